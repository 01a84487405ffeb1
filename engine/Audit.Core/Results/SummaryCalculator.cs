namespace Audit.Core.Results;

/// <summary>Counts and the run verdict / exit code from verdicts (DESIGN.md exit codes). Waived checks never affect the exit code.</summary>
public static class SummaryCalculator
{
    public static Summary Compute(IReadOnlyList<Verdict> verdicts, Severity failOn)
    {
        var all = new Counter();
        var bySeverity = new SortedDictionary<Severity, Counter>();
        foreach (var s in Enum.GetValues<Severity>())
        {
            bySeverity[s] = new Counter();
        }
        var gateFail = false;
        var anyError = false;
        foreach (var v in verdicts)
        {
            all.Add(v.Outcome);
            bySeverity[v.Severity].Add(v.Outcome);
            gateFail |= v.Outcome == Outcome.Fail && v.Severity <= failOn;
            anyError |= v.Outcome == Outcome.Error;
        }
        var exit = gateFail ? ExitCodes.Failed : anyError ? ExitCodes.Incomplete : ExitCodes.Compliant;
        return new Summary
        {
            Total = verdicts.Count,
            ByOutcome = all.ToCounts(),
            BySeverity = bySeverity.ToDictionary(kv => kv.Key, kv => kv.Value.ToCounts()),
            Verdict = exit switch
            {
                ExitCodes.Failed => "noncompliant",
                ExitCodes.Incomplete => "incomplete",
                _ => "compliant",
            },
            ExitCode = exit,
        };
    }

    private sealed class Counter
    {
        private readonly int[] _n = new int[5];

        public void Add(Outcome o) => _n[(int)o]++;

        public OutcomeCounts ToCounts() => new()
        {
            Pass = _n[(int)Outcome.Pass],
            Fail = _n[(int)Outcome.Fail],
            Error = _n[(int)Outcome.Error],
            NotApplicable = _n[(int)Outcome.NotApplicable],
            Waived = _n[(int)Outcome.Waived],
        };
    }
}
