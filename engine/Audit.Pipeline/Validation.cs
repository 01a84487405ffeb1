using Audit.Core;
using Audit.Rules.Compilation;
using Audit.Rules.Waivers;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Pipeline;

/// <summary>What <c>audit validate</c> checks: rule sets with parameters, a waivers file, snapshots; nothing is evaluated.</summary>
public sealed record ValidationRequest
{
    /// <summary>Rule set files or folders.</summary>
    public required IReadOnlyList<string> RulePaths { get; init; }
    /// <summary>--param values: name or ruleSetId.name -> text.</summary>
    public IReadOnlyDictionary<string, string> ParameterOverrides { get; init; } = new Dictionary<string, string>();
    /// <summary>--params: JSON file of parameter values.</summary>
    public string? ParametersFile { get; init; }
    /// <summary>The waivers file to check against the rule sets, if any.</summary>
    public string? WaiversFile { get; init; }
    /// <summary>Snapshot files: full path and the spelling shown in diagnostics.</summary>
    public IReadOnlyList<(string Path, string Display)> Snapshots { get; init; } = [];
    /// <summary>A full path as messages show it (relative to the current folder where possible).</summary>
    public Func<string, string> Display { get; init; } = p => p;
}

/// <summary>The outcome of a validation: every diagnostic (rule sets, waivers, snapshots, in that order), and the compiled
/// catalogue when there was no error.</summary>
public sealed record ValidationResult(RuleCatalog? Catalog, IReadOnlyList<Diagnostic> Diagnostics);

public static partial class AuditPipeline
{
    /// <summary>Loads and checks everything <paramref name="request"/> names, collecting every diagnostic. Throws
    /// <see cref="InputException"/> only for an invalid parameters file (the rule sets cannot be checked without it).</summary>
    public static ValidationResult Validate(ValidationRequest request)
    {
        var parametersFile = LoadParametersFile(request.ParametersFile, LoadOptions.Default, request.Display);
        var rules = RuleSetLoader.Load(request.RulePaths, new RuleLoadOptions { ParameterOverrides = request.ParameterOverrides, ParameterFile = parametersFile?.Loaded, Display = request.Display });
        var diagnostics = new List<Diagnostic>(rules.Diagnostics);
        if (rules.Catalog is not null && request.WaiversFile is { } w)
        {
            try
            {
                WaiversLoader.Load(w, rules.Catalog.Infos, LoadOptions.Default, request.Display(w));
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
            }
        }
        foreach (var (path, display) in request.Snapshots)
        {
            try
            {
                SnapshotLoader.Load(path, displayPath: display);
            }
            catch (InputException e)
            {
                diagnostics.AddRange(e.Diagnostics);
            }
        }
        var failed = diagnostics.Exists(d => d.Level == DiagnosticLevel.Error);
        return new ValidationResult(failed ? null : rules.Catalog, diagnostics);
    }
}
