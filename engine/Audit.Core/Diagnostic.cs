using System.Globalization;

namespace Audit.Core;

public enum DiagnosticLevel
{
    Error,
    Warning,
}

/// <summary>A problem in an input file, printed compiler-style: <c>rules/x.json(12,5): error AUD0012: [HV-IS-001] message</c>.</summary>
public sealed record Diagnostic(string Code, DiagnosticLevel Level, string Message, string? File = null, int Line = 0, int Column = 0, string? RuleId = null)
{
    public override string ToString()
    {
        var where = File is null ? "audit" : Line > 0 ? string.Create(CultureInfo.InvariantCulture, $"{File}({Line},{Column})") : File;
        var level = Level == DiagnosticLevel.Error ? "error" : "warning";
        var rule = RuleId is null ? "" : $"[{RuleId}] ";
        return $"{where}: {level} {Code}: {rule}{Message}";
    }
}

/// <summary>Collects diagnostics instead of stopping at the first.</summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    public IReadOnlyList<Diagnostic> Items => _items;
    public bool HasErrors => _items.Exists(d => d.Level == DiagnosticLevel.Error);

    public void Add(Diagnostic d) => _items.Add(d);
    public void AddRange(IEnumerable<Diagnostic> ds) => _items.AddRange(ds);

    public void Error(string code, string message, string? file = null, int line = 0, int column = 0, string? ruleId = null)
        => _items.Add(new Diagnostic(code, DiagnosticLevel.Error, message, file, line, column, ruleId));

    public void Warning(string code, string message, string? file = null, int line = 0, int column = 0, string? ruleId = null)
        => _items.Add(new Diagnostic(code, DiagnosticLevel.Warning, message, file, line, column, ruleId));

    /// <summary>Sorted by file, position and code so output is deterministic.</summary>
    public IReadOnlyList<Diagnostic> Sorted() =>
        [.. _items.OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ThenBy(d => d.Column).ThenBy(d => d.Code, StringComparer.Ordinal).ThenBy(d => d.Message, StringComparer.Ordinal)];
}

/// <summary>Thrown when an input cannot be used; carries every diagnostic found.</summary>
public sealed class InputException : Exception
{
    public InputException(IReadOnlyList<Diagnostic> diagnostics)
        : base(diagnostics.Count > 0 ? diagnostics[0].ToString() : "invalid input") => Diagnostics = diagnostics;

    public InputException(Diagnostic diagnostic) : this([diagnostic]) { }

    public InputException() : this([]) { }

    public InputException(string message) : this(new Diagnostic(DiagnosticCodes.InvalidInput, DiagnosticLevel.Error, message)) { }

    public InputException(string message, Exception inner) : base(message, inner) => Diagnostics = [new Diagnostic(DiagnosticCodes.InvalidInput, DiagnosticLevel.Error, message)];

    public IReadOnlyList<Diagnostic> Diagnostics { get; }
}
