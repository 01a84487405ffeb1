using System.CommandLine;
using Audit.Core;
using Audit.Core.Results;
using Audit.Reports;

namespace Audit.Cli;

/// <summary>Options several commands take, each declared once here with its validator: a bad value is a parse error
/// (exit 64, with the option and the accepted values) before any command runs.</summary>
internal static class SharedOptions
{
    public const string SeverityNames = "critical, high, medium, low or info";

    /// <summary>A severity option (--fail-on, --min-severity).</summary>
    public static Option<string> SeverityOption(string name, string description, string? defaultValue = null)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "SEVERITY" };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { } text && !EnumNames.TryParseSeverity(text, out _))
            {
                r.AddError($"{name} '{text}' is not a severity: use {SeverityNames}");
            }
        });
        return option;
    }

    /// <summary>The parsed value of a validated severity option (null when not given and without default).</summary>
    public static Severity? SeverityOf(ParseResult r, Option<string> option) =>
        r.GetValue(option) is { } text && EnumNames.TryParseSeverity(text, out var s) ? s : null;

    /// <summary>--format: outputs to write, comma-separated or repeated.</summary>
    public static Option<string[]> Formats()
    {
        var option = new Option<string[]>("--format") { Description = "Outputs to write: html, junit, json, console (comma-separated or repeated). [default: all]", HelpName = "LIST" };
        option.Validators.Add(r =>
        {
            foreach (var f in Split(r.GetValueOrDefault<string[]>()))
            {
                if (!OutputFormatNames.TryParse(f, out _))
                {
                    r.AddError($"--format '{f}' is not known: use {string.Join(", ", OutputFormatNames.All.Select(x => x.Name))}");
                }
            }
        });
        return option;
    }

    /// <summary>The formats of a validated --format (every format when not given).</summary>
    public static OutputFormats FormatsOf(ParseResult r, Option<string[]> option)
    {
        var values = Split(r.GetValue(option)).ToList();
        if (values.Count == 0)
        {
            return OutputFormats.All;
        }
        var set = OutputFormats.None;
        foreach (var f in values)
        {
            set |= OutputFormatNames.TryParse(f, out var format) ? format : OutputFormats.None;
        }
        return set;
    }

    /// <summary>--max-input-mb: the input size limit, checked before reading.</summary>
    public static Option<long> MaxInputMb()
    {
        var option = new Option<long>("--max-input-mb") { Description = "Refuse input files larger than this many MiB before reading them.", HelpName = "MIB", DefaultValueFactory = _ => 1024 };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long>() is var mb && mb is < 1 or > 1 << 20)
            {
                r.AddError($"--max-input-mb {mb} must be between 1 and {1 << 20}");
            }
        });
        return option;
    }

    /// <summary>The limit in bytes of a validated --max-input-mb.</summary>
    public static long MaxInputBytesOf(ParseResult r, Option<long> option) => r.GetValue(option) * 1024 * 1024;

    /// <summary>--rules: rule set files or folders (default: the rules/ folder, <see cref="CliContext.RulePaths"/>).</summary>
    public static Option<string[]> Rules() =>
        new("--rules") { Description = "Rule set file or folder; repeatable. [default: rules/]", HelpName = "PATH" };

    /// <summary>--template: a Scriban template replacing the embedded report.html.sbn.</summary>
    public static Option<string?> Template() =>
        new("--template") { Description = "Scriban template replacing the embedded report.html.sbn (values are HTML-escaped by default).", HelpName = "FILE" };

    /// <summary>--param NAME=VALUE, repeatable: each must have a name, and no name twice.</summary>
    public static Option<string[]> Params(string description)
    {
        var option = new Option<string[]>("--param") { Description = description, HelpName = "NAME=VALUE" };
        option.Validators.Add(r =>
        {
            if (ParseParams(r.GetValueOrDefault<string[]>()).Problem is { } problem)
            {
                r.AddError(problem);
            }
        });
        return option;
    }

    /// <summary>The overrides of a validated --param: name -> value.</summary>
    public static IReadOnlyDictionary<string, string> ParamsOf(ParseResult r, Option<string[]> option) => ParseParams(r.GetValue(option)).Values;

    private static (SortedDictionary<string, string> Values, string? Problem) ParseParams(string[]? values)
    {
        var d = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var v in values ?? [])
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            var key = eq <= 0 ? "" : v[..eq].Trim();
            var problem = eq <= 0 ? $"--param '{v}' must be name=value"
                : key.Length == 0 ? $"--param '{v}' has no name before '='"
                : !d.TryAdd(key, v[(eq + 1)..]) ? $"--param '{key}' is given twice"
                : null;
            if (problem is not null)
            {
                return (d, problem);
            }
        }
        return (d, null);
    }

    private static IEnumerable<string> Split(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
