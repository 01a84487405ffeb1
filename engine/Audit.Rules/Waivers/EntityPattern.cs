using Audit.Core.Results;

namespace Audit.Rules.Waivers;

/// <summary>
/// A waiver's entity pattern. Its shape follows verdict entity keys: <c>HOST</c> (also a cluster name or a computer
/// account <c>NAME$</c>), <c>HOST/VM</c>, <c>SOURCE->TARGET</c>; <c>*</c> alone matches every entity. Wildcards match
/// within one part (<c>ZULU/*</c> matches ZULU's VMs, not ZULU itself), case-insensitively.
/// </summary>
public sealed class EntityPattern
{
    public enum Shape
    {
        All,
        Plain,
        Vm,
        Pair,
    }

    private readonly string[] _parts;

    private EntityPattern(string text, Shape shape, string[] parts)
    {
        Text = text;
        Kind = shape;
        _parts = parts;
    }

    public string Text { get; }
    public Shape Kind { get; }

    /// <summary>Parses a pattern; returns null with a sentence saying what is wrong.</summary>
    public static EntityPattern? Parse(string text, out string? error)
    {
        error = null;
        if (text.Length == 0 || text.Trim().Length != text.Length)
        {
            error = $"entity pattern '{text}' is empty or has leading/trailing spaces";
            return null;
        }
        if (text.Any(char.IsControl))
        {
            error = "entity pattern contains a control character";
            return null;
        }
        if (text == "*")
        {
            return new EntityPattern(text, Shape.All, []);
        }
        var arrows = CountOf(text, "->");
        if (arrows > 1)
        {
            error = $"entity pattern '{text}' has more than one '->' (a host pair is SOURCE->TARGET)";
            return null;
        }
        if (arrows == 1)
        {
            var cut = text.IndexOf("->", StringComparison.Ordinal);
            string[] pair = [text[..cut], text[(cut + 2)..]];
            foreach (var side in pair)
            {
                if (HostPartError(side, text) is { } e)
                {
                    error = e;
                    return null;
                }
            }
            return new EntityPattern(text, Shape.Pair, pair);
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            string[] vm = [text[..slash], text[(slash + 1)..]];
            if (HostPartError(vm[0], text) is { } e)
            {
                error = e;
                return null;
            }
            if (vm[1].Length == 0)
            {
                error = $"entity pattern '{text}' names no VM after '/' (use HOST/VM or HOST/*)";
                return null;
            }
            return new EntityPattern(text, Shape.Vm, vm);
        }
        if (HostPartError(text, text) is { } plainError)
        {
            error = plainError;
            return null;
        }
        return new EntityPattern(text, Shape.Plain, [text]);
    }

    private static string? HostPartError(string part, string whole)
    {
        if (part.Length == 0)
        {
            return $"entity pattern '{whole}' has an empty host name (use HOST, HOST/VM or SOURCE->TARGET)";
        }
        foreach (var ch in part)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '.' or '_' or '*' or '$'))
            {
                var hint = ch == '\\' ? " (a VM is written HOST/VM)" : "";
                return $"entity pattern '{whole}': host or account name '{part}' contains '{ch}'; names use letters, digits, '-', '.', '_', '$' and the wildcard '*'{hint}";
            }
        }
        return null;
    }

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }
        return n;
    }

    /// <summary>Whether this pattern can name entities of a rule of the given scope; otherwise a hint how to write it.</summary>
    public string? IncompatibilityWith(Scope scope) => (Kind, scope) switch
    {
        (Shape.All, _) => null,
        (Shape.Pair, Scope.HostPair) => null,
        (Shape.Vm, Scope.Vm) => null,
        (Shape.Plain, Scope.Computer) when _parts[0].EndsWith('$') || _parts[0].EndsWith('*') => null,
        (Shape.Plain, Scope.Computer) => "computer account names end in '$' (e.g. ZULU$)",
        (Shape.Plain, Scope.Host or Scope.Cluster) when !_parts[0].EndsWith('$') => null,
        (_, Scope.Vm) => "it checks VMs: write HOST/VM or HOST/*",
        (_, Scope.HostPair) => "it checks host pairs: write SOURCE->TARGET (wildcards allowed)",
        (_, Scope.Computer) => "it checks computer accounts: write NAME$",
        (_, Scope.Cluster) => "it checks clusters: write the cluster name",
        _ => "it checks hosts: write the host name",
    };

    /// <summary>Whether this pattern names the entity: a pair pattern matches host pairs side by side, a VM pattern the host and the VM part of VM keys, a plain pattern any other key whole.</summary>
    public bool IsMatch(EntityId entity) => Kind switch
    {
        Shape.All => true,
        Shape.Pair => entity.Kind == EntityKind.HostPair && entity.Member is { } target && Glob.IsMatch(_parts[0], entity.Name) && Glob.IsMatch(_parts[1], target),
        Shape.Vm => entity.VmLabel is { } vm && Glob.IsMatch(_parts[0], entity.Name) && Glob.IsMatch(_parts[1], vm),
        _ => entity.Kind is not (EntityKind.Vm or EntityKind.HostPair) && Glob.IsMatch(_parts[0], entity.Key),
    };
}
