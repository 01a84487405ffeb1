using Audit.Core.Results;

namespace Audit.Core;

/// <summary>Wire names of enums (as in JSON), for text outputs.</summary>
public static class EnumNames
{
    public static string Name(this Outcome o) => o switch
    {
        Outcome.Pass => "pass",
        Outcome.Fail => "fail",
        Outcome.Error => "error",
        Outcome.NotApplicable => "notApplicable",
        Outcome.Waived => "waived",
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };

    public static string Name(this Severity s) => s switch
    {
        Severity.Critical => "critical",
        Severity.High => "high",
        Severity.Medium => "medium",
        Severity.Low => "low",
        Severity.Info => "info",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static string Name(this Scope s) => s switch
    {
        Scope.Host => "host",
        Scope.Vm => "vm",
        Scope.HostPair => "hostPair",
        Scope.Computer => "computer",
        Scope.Cluster => "cluster",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static bool TryParseSeverity(string? text, out Severity severity)
    {
        foreach (var s in Enum.GetValues<Severity>())
        {
            if (string.Equals(s.Name(), text, StringComparison.OrdinalIgnoreCase))
            {
                severity = s;
                return true;
            }
        }
        severity = default;
        return false;
    }

    public static bool TryParseScope(string? text, out Scope scope)
    {
        foreach (var s in Enum.GetValues<Scope>())
        {
            if (string.Equals(s.Name(), text, StringComparison.Ordinal))
            {
                scope = s;
                return true;
            }
        }
        scope = default;
        return false;
    }
}
