using System.CommandLine;

namespace Audit.Cli;

/// <summary>"Did you mean": the option or subcommand name nearest to a mistyped one (--fial-on: --fail-on; evalute: evaluate).</summary>
internal static class Suggestions
{
    /// <summary>
    /// The name of <paramref name="command"/>'s options (for a token starting with '-') or subcommands (otherwise)
    /// nearest to <paramref name="token"/> in optimal string alignment distance (an adjacent transposition counts one edit),
    /// case aside, if it is within a third of the name's length (at least one edit) and closer than any other; null otherwise.
    /// </summary>
    public static string? For(Command command, string token)
    {
        if (token.Length > 100)
        {
            return null;
        }
        var typed = token.StartsWith('-') && token.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? token[..eq] : token;
        var names = typed.StartsWith('-')
            ? HelpLayout.AllOptions(command).Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal))
            : command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
        var ranked = names.Distinct(StringComparer.Ordinal)
            .Select(n => (Name: n, Distance: Distance(typed.ToLowerInvariant(), n)))
            .Where(x => x.Distance <= Math.Max(1, x.Name.TrimStart('-').Length / 3))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal)
            .ToList();
        return ranked.Count == 0 || (ranked.Count > 1 && ranked[1].Distance == ranked[0].Distance) ? null : ranked[0].Name;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
