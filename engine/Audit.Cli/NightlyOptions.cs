using System.CommandLine;

namespace Audit.Cli;

/// <summary>What a nightly audit adds to run/evaluate: waivers, parameter files, rule selection, history and drift.</summary>
public sealed record NightlySettings
{
    public string? Waivers { get; init; }
    public int WaiverWarnDays { get; init; } = Audit.Rules.WaiverApplier.DefaultWarnDays;
}

/// <summary>The options behind <see cref="NightlySettings"/>, shared by run and evaluate.</summary>
internal sealed class NightlyOptions
{
    public Option<string?> Waivers { get; } = new("--waivers") { Description = "Waivers file (schema/waivers.v1.schema.json): accepted exceptions with owner, justification and expiry; a matching unexpired waiver turns a failure into 'waived'.", HelpName = "FILE" };
    public Option<int> WaiverWarnDays { get; } = new("--waiver-warn-days") { Description = "List waivers expiring within this many days as warnings (default 14).", HelpName = "DAYS", DefaultValueFactory = _ => Audit.Rules.WaiverApplier.DefaultWarnDays };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Waivers, WaiverWarnDays })
        {
            c.Options.Add(o);
        }
    }

    public NightlySettings Parse(ParseResult r)
    {
        var warn = r.GetValue(WaiverWarnDays);
        if (warn is < 0 or > 3650)
        {
            throw new UsageException($"--waiver-warn-days {warn} must be between 0 and 3650");
        }
        return new NightlySettings
        {
            Waivers = r.GetValue(Waivers),
            WaiverWarnDays = warn,
        };
    }
}
