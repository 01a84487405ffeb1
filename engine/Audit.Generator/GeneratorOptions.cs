namespace Audit.Generator;

/// <summary>What estate to generate.</summary>
public sealed record GeneratorOptions
{
    /// <summary>Hyper-V hosts (two domain controllers are added as hosts besides them).</summary>
    public int Hosts { get; init; } = 10;

    /// <summary>Virtual machines on each Hyper-V host.</summary>
    public int VmsPerHost { get; init; } = 10;

    /// <summary>Failover clusters the clustered hosts are spread over; default one per 16 clustered hosts. One host in ten stays stand-alone.</summary>
    public int? Clusters { get; init; }

    /// <summary>The seed of <see cref="SeededRandom"/>; the same seed and options give the same estate.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Share (0..1) of the entities each rule applies to that are made to violate it.</summary>
    public double ViolationRate { get; init; } = 0.05;

    /// <summary>Share (0..1) of Hyper-V hosts whose hotfix collection is made to fail (access denied), giving error verdicts.</summary>
    public double ErrorRate { get; init; }

    /// <summary>The snapshot time; fixed so output is reproducible.</summary>
    public DateTimeOffset CollectedAt { get; init; } = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    /// <summary>The Active Directory domain the hosts and domain controllers are named in.</summary>
    public string Domain { get; init; } = "corp.example";

    /// <summary>The most hosts <see cref="Hosts"/> may ask for.</summary>
    public const int MaxHosts = 100_000;
    /// <summary>The most VMs per host <see cref="VmsPerHost"/> may ask for.</summary>
    public const int MaxVmsPerHost = 1_024;

    /// <summary>Problems with these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (Hosts is < 1 or > MaxHosts)
        {
            p.Add($"--hosts {Hosts} must be between 1 and {MaxHosts}");
        }
        if (VmsPerHost is < 0 or > MaxVmsPerHost)
        {
            p.Add($"--vms-per-host {VmsPerHost} must be between 0 and {MaxVmsPerHost}");
        }
        if (Clusters is { } k && (k < 0 || k > Hosts))
        {
            p.Add($"--clusters {k} must be between 0 and the number of hosts ({Hosts})");
        }
        if (double.IsNaN(ViolationRate) || ViolationRate is < 0 or > 1)
        {
            p.Add($"--violation-rate {ViolationRate} must be between 0 and 1");
        }
        if (double.IsNaN(ErrorRate) || ErrorRate is < 0 or > 1)
        {
            p.Add($"--error-rate {ErrorRate} must be between 0 and 1");
        }
        return p;
    }
}
