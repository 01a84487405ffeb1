using System.Globalization;
using System.Xml;
using Audit.Rules.Compilation;
using Audit.Rules.Evaluation;
using Audit.Core.Snapshots;

namespace Audit.Rules;

/// <summary>
/// Functions rule expressions may call as <c>Fn.Name(...)</c>. The only static methods reachable from rules besides
/// the allow-listed BCL members (see <see cref="ExpressionGuard"/>). Pure, bounded by their inputs, no I/O.
/// A function that cannot answer throws <see cref="FactException"/>: the verdict becomes error with that message.
/// </summary>
public static class Fn
{
    /// <summary>Parses a version (trimmed); throws when it is not one, so a garbled fact is an error, not a pass.</summary>
    public static Version Ver(string? text) => Remembered(text, ref t_lastVersion, ParseVer);

    // A check often parses the same fact many times (a lookup table's rows against one version): the last text on this
    // thread and what it gave are remembered, by reference (strings and versions are immutable).
    [ThreadStatic]
    private static (string? Text, Version? Value) t_lastVersion;

    [ThreadStatic]
    private static (string? Text, string? Value) t_lastMajorMinor;

    private static T Remembered<T>(string? text, ref (string? Text, T? Value) last, Func<string?, T> compute)
        where T : class
    {
        if (text is not null && ReferenceEquals(text, last.Text))
        {
            return last.Value!;
        }
        var value = compute(text);
        last = (text, value);
        return value;
    }

    private static Version ParseVer(string? text)
    {
        var t = text?.Trim();
        if (string.IsNullOrEmpty(t))
        {
            throw new FactException("no version reported");
        }
        return Version.TryParse(t, out var v) ? v : throw new FactException($"'{Truncate(t)}' is not a version");
    }

    /// <summary>The version, or null when the text is not one.</summary>
    public static Version? TryVer(string? text) => Version.TryParse(text?.Trim(), out var v) ? v : null;

    /// <summary>True when <paramref name="actual"/> is a version at least <paramref name="minimum"/> (both parsed, never string-compared).</summary>
    public static bool VerAtLeast(string? actual, string? minimum) => Ver(actual) >= Ver(minimum);

    /// <summary>Host OS version at least <paramref name="minimum"/> (e.g. "6.2" for 2012, "10.0" for 2016).</summary>
    [ReadsFacts(FactFamilies.Os)]
    public static bool OsAtLeast(HostFacts host, string minimum) =>
        Ver(host.Os?.Version ?? throw new FactException($"OS facts of {host.Name} are missing")) >= Ver(minimum);

    /// <summary>Throws (error verdict with <paramref name="what"/>) when the value is null; returns it otherwise.</summary>
    public static string Need(string? value, string what) => value ?? throw new FactException(what);

    /// <summary>As <see cref="Need(string?, string)"/>, with how to find out (the error verdict's remediation).</summary>
    public static string Need(string? value, string what, string howToTell) => value ?? throw new FactException(what) { HowToTell = howToTell };

    /// <summary>A domain controller account: SERVER_TRUST_ACCOUNT (0x2000), or PARTIAL_SECRETS_ACCOUNT (0x4000000) for a read-only DC.</summary>
    public static bool IsDomainController(ComputerFacts computer) => computer.Flags.ServerTrustAccount || (computer.UserAccountControl & 0x4000000) != 0;

    /// <summary>Installed KBs numbered above every KB of <paramref name="known"/>: updates newer than the data knows (possibly newer rollups).</summary>
    [ReadsFacts(FactFamilies.Hotfixes)]
    public static IReadOnlyList<string> KbsAbove(IEnumerable<HotfixFacts>? hotfixes, IEnumerable<string> known)
    {
        var list = hotfixes ?? throw new FactException("hotfix list is missing");
        var max = known.Select(k => long.TryParse(KbNumber(k), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).DefaultIfEmpty(0).Max();
        return [.. list.Select(h => Kb(h.Id)).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(k => long.TryParse(KbNumber(k), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > max).Order(StringComparer.Ordinal)];
    }

    /// <summary>Map lookup that returns null when the key is absent (case-insensitive keys).</summary>
    public static string? Get(IReadOnlyDictionary<string, string>? map, string? key)
    {
        if (map is null || key is null)
        {
            return null;
        }
        if (map.TryGetValue(key, out var v))
        {
            return v;
        }
        foreach (var kv in map)
        {
            if (string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return kv.Value;
            }
        }
        return null;
    }

    public static string? Str(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The Integration Services package version a host offers to guests of one OS family.
    /// <paramref name="packageFamilies"/> maps GuestInstaller value names to families ("Win6x", "Win5x", or "*" for a single package for all);
    /// <paramref name="guestFamilies"/> maps the guest's major NT version ("5", "6", "10") to a family.
    /// Returns null when the host has no package for that family.
    /// </summary>
    public static string? IsPackageVersion(IReadOnlyDictionary<string, string>? hostValues, IReadOnlyDictionary<string, string> packageFamilies,
        IReadOnlyDictionary<string, string> guestFamilies, int? guestMajorVersion)
    {
        if (hostValues is null || guestMajorVersion is null)
        {
            return null;
        }
        var family = Get(guestFamilies, guestMajorVersion.Value.ToString(CultureInfo.InvariantCulture));
        if (family is null)
        {
            return null;
        }
        string? any = null;
        foreach (var (name, version) in hostValues.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var f = Get(packageFamilies, name);
            if (string.Equals(f, family, StringComparison.OrdinalIgnoreCase))
            {
                return version.Trim();
            }
            if (f == "*")
            {
                any = version.Trim();
            }
        }
        return any;
    }

    /// <summary>The guest family ("Win5x", "Win6x"...) of a VM's reported major version, or null.</summary>
    public static string? GuestFamily(IReadOnlyDictionary<string, string> guestFamilies, int? guestMajorVersion) =>
        guestMajorVersion is null ? null : Get(guestFamilies, guestMajorVersion.Value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Normalises a hotfix id: "kb2770917", "2770917" and "KB2770917" are the same.</summary>
    public static string Kb(string id)
    {
        var t = id.Trim();
        return t.StartsWith("KB", StringComparison.OrdinalIgnoreCase) ? "KB" + t[2..] : "KB" + t;
    }

    [ReadsFacts(FactFamilies.Hotfixes)]
    public static bool HasKb(IEnumerable<HotfixFacts>? hotfixes, string kb)
    {
        var list = hotfixes ?? throw new FactException("hotfix list is missing");
        var wanted = KbNumber(kb);
        if (list is IReadOnlyCollection<HotfixFacts> { Count: > KbIndexFrom } collection)
        {
            return KbIndex.Of(collection).Contains(wanted);
        }
        foreach (var h in list)
        {
            if (KbNumber(h.Id).Equals(wanted, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Hotfix lists longer than this are looked up through a <see cref="KbIndex"/> rather than scanned.</summary>
    private const int KbIndexFrom = 8;

    /// <summary>
    /// The KB numbers of one hotfix list (a host's, from the snapshot) as a set, built at its first lookup and kept while
    /// the list lives: a rule such as KB-004 asks about a hundred KBs of the same host, which scanned the list each time
    /// (a quarter of the evaluation time of a 1,000-host estate). Snapshot lists are not changed after loading; a list
    /// whose length differs from the indexed one is indexed again.
    /// </summary>
    private sealed class KbIndex
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyCollection<HotfixFacts>, KbIndex> Indexes = new();

        private readonly int _count;
        private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _numbers;

        private KbIndex(IReadOnlyCollection<HotfixFacts> list)
        {
            var numbers = new HashSet<string>(list.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var h in list)
            {
                numbers.Add(KbNumber(h.Id).ToString());
            }
            _count = list.Count;
            _numbers = numbers.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public static KbIndex Of(IReadOnlyCollection<HotfixFacts> list)
        {
            if (Indexes.TryGetValue(list, out var index) && index._count == list.Count)
            {
                return index;
            }
            index = new KbIndex(list);
            Indexes.AddOrUpdate(list, index);
            return index;
        }

        public bool Contains(ReadOnlySpan<char> number) => _numbers.Contains(number);
    }

    /// <summary>The id without surrounding blanks and without a leading "KB" (what <see cref="Kb"/> normalises), without allocating.</summary>
    private static ReadOnlySpan<char> KbNumber(string id)
    {
        var t = id.AsSpan().Trim();
        return t.StartsWith("KB", StringComparison.OrdinalIgnoreCase) ? t[2..] : t;
    }

    /// <summary>True when any of <paramref name="kbs"/> is installed (a fix or anything that supersedes it).</summary>
    [ReadsFacts(FactFamilies.Hotfixes)]
    public static bool HasAnyKb(IEnumerable<HotfixFacts>? hotfixes, IEnumerable<string> kbs) => kbs.Any(k => HasKb(hotfixes, k));

    /// <summary>Installed hotfix ids, normalised and sorted.</summary>
    [ReadsFacts(FactFamilies.Hotfixes)]
    public static IReadOnlyList<string> Kbs(IEnumerable<HotfixFacts>? hotfixes) =>
        [.. (hotfixes ?? throw new FactException("hotfix list is missing")).Select(h => Kb(h.Id)).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)];

    /// <summary>
    /// For nodes of one cluster: each update that some nodes have and others lack, as "KB123 (missing on B, C)".
    /// Empty when all nodes carry the same set.
    /// </summary>
    [ReadsFacts(FactFamilies.Hotfixes)]
    public static IReadOnlyList<string> KbDifferences(IEnumerable<HostFacts> nodes) => KbDifferences(nodes, []);

    /// <summary>
    /// As <see cref="KbDifferences(IEnumerable{HostFacts})"/>, with cumulative rollups compared by the newest each node
    /// carries rather than one by one: a node with a later rollup does not "lack" the superseded one (Windows Update no
    /// longer offers it).
    /// </summary>
    [ReadsFacts(FactFamilies.Hotfixes)]
    public static IReadOnlyList<string> KbDifferences(IEnumerable<HostFacts> nodes, IEnumerable<string> rollups)
    {
        var list = nodes.ToList();
        var cumulative = new HashSet<string>(rollups.Select(Kb), StringComparer.OrdinalIgnoreCase);
        var kbs = list.ToDictionary(n => n.Name, n => Kbs(n.Hotfixes), StringComparer.Ordinal);
        var sets = list.ToDictionary(n => n.Name, n => new HashSet<string>(kbs[n.Name].Where(k => !cumulative.Contains(k)), StringComparer.OrdinalIgnoreCase), StringComparer.Ordinal);
        var newest = list.ToDictionary(n => n.Name, n => kbs[n.Name].Where(cumulative.Contains)
            .OrderByDescending(k => long.Parse(KbNumber(k), NumberStyles.None, CultureInfo.InvariantCulture)).FirstOrDefault() ?? "none", StringComparer.Ordinal);
        var head = new List<string>();
        if (cumulative.Count > 0 && newest.Values.Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1)
        {
            head.Add("newest Monthly Rollup (" + string.Join(", ", list.Select(n => $"{n.Name}: {newest[n.Name]}")) + ")");
        }
        var all = sets.Values.SelectMany(s => s).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal);
        var result = head;
        foreach (var kb in all)
        {
            var missing = list.Where(n => !sets[n.Name].Contains(kb)).Select(n => n.Name).Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0)
            {
                result.Add($"{kb} (missing on {string.Join(", ", missing)})");
            }
        }
        return result;
    }

    /// <summary>The SPNs a source host must be allowed to delegate to for a target: each service in short and FQDN form.</summary>
    public static IReadOnlyList<string> RequiredSpns(HostFacts target, IEnumerable<string> services)
    {
        var names = new List<string> { target.Name };
        if (!string.IsNullOrWhiteSpace(target.Fqdn) && !string.Equals(target.Fqdn, target.Name, StringComparison.OrdinalIgnoreCase))
        {
            names.Add(target.Fqdn!);
        }
        return [.. services.SelectMany(s => names.Select(n => $"{s}/{n}"))];
    }

    /// <summary>Required SPNs (see <see cref="RequiredSpns"/>) missing from the source account's msDS-AllowedToDelegateTo (case-insensitive, as the KDC matches).</summary>
    public static IReadOnlyList<string> MissingSpns(ComputerFacts source, HostFacts target, IEnumerable<string> services)
    {
        // Built once per source account: a host is the source of every other host of its cluster.
        var have = DelegationSets.GetValue(source, static s => new HashSet<string>(s.AllowedToDelegateTo.Select(x => x.Trim()), StringComparer.OrdinalIgnoreCase));
        return [.. RequiredSpns(target, services).Where(s => !have.Contains(s))];
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ComputerFacts, HashSet<string>> DelegationSets = [];

    /// <summary>
    /// Delegation entries that resolve to no account: the KDC finds the service of an entry <c>service/host[:port]</c>
    /// through the servicePrincipalName of some account: the entry itself, or <c>HOST/host</c> for the services HOST
    /// stands for by default (cifs among them; Hyper-V's migration service registers its own SPN). An entry naming a group
    /// or a host with no account resolves to nothing and cannot work.
    /// </summary>
    public static IReadOnlyList<string> SpnsWithoutAccount(ComputerFacts source, IEnumerable<ComputerFacts> computers)
    {
        // Built once per directory list (rules call this once per computer: n x n otherwise).
        var registered = RegisteredSpns.GetValue(computers, static list =>
        {
            var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var c in list)
            {
                foreach (var spn in c.ServicePrincipalNames)
                {
                    set.Add(spn.Trim());
                }
            }
            return set;
        });
        return [.. source.AllowedToDelegateTo.Where(spn =>
        {
            var entry = spn.Trim();
            if (registered.Contains(entry))
            {
                return false;
            }
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == entry.Length - 1)
            {
                return true;
            }
            var service = entry[..slash];
            var rest = entry[(slash + 1)..];
            var host = rest.Split(':')[0];
            return !(HostAliases.Contains(service) && registered.Contains("HOST/" + host));
        })];
    }

    /// <summary>Services the default sPNMappings of Active Directory map to HOST that matter here (cifs for the migration share).</summary>
    private static readonly HashSet<string> HostAliases = new(StringComparer.OrdinalIgnoreCase) { "cifs", "http", "rpcss", "wsman", "host" };

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IEnumerable<ComputerFacts>, HashSet<string>> RegisteredSpns = [];

    /// <summary>
    /// Resource-based delegation for a pair: null when the destination's account does not allow the source; otherwise
    /// the domain controllers that would not honour it (older than Windows Server 2012: RBCD needs a 2012 or later KDC),
    /// empty when every DC in the directory honours it. Throws (error verdict) when no DC's version is known. Null too when
    /// not <paramref name="needed"/> (classic delegation is complete), so unknown DC versions cost nothing then.
    /// </summary>
    public static IReadOnlyList<string>? RbcdBlockers(DirectoryFacts directory, ComputerFacts? target, ComputerFacts? source, bool needed)
    {
        if (!needed || !RbcdAllows(target, source))
        {
            return null;
        }
        var dcs = directory.Computers.Where(c => c.Flags.ServerTrustAccount && !c.Flags.Disabled).ToList();
        if (dcs.Count == 0)
        {
            throw new FactException("resource-based delegation is set, but the directory lists no domain controller, so whether a KDC honours it cannot be told");
        }
        var unknown = dcs.Where(c => TryVer(OsVersionNumber(c.OperatingSystemVersion)) is null).Select(c => c.SamAccountName.TrimEnd('$')).ToList();
        if (unknown.Count > 0)
        {
            throw new FactException($"resource-based delegation is set, but the operating system version of {Join(unknown)} is unknown, so whether every KDC honours it cannot be told");
        }
        return [.. dcs.Where(c => TryVer(OsVersionNumber(c.OperatingSystemVersion))! < new Version(6, 2))
            .Select(c => $"{c.SamAccountName.TrimEnd('$')} ({c.OperatingSystem ?? "Windows"} {c.OperatingSystemVersion})").Order(StringComparer.Ordinal)];
    }

    /// <summary>"6.1 (7601)" (operatingSystemVersion as AD stores it) -> "6.1.7601"; other forms returned trimmed.</summary>
    public static string? OsVersionNumber(string? adVersion)
    {
        if (adVersion is null)
        {
            return null;
        }
        var t = adVersion.Trim();
        var open = t.IndexOf('(', StringComparison.Ordinal);
        if (open > 0 && t.EndsWith(')'))
        {
            return t[..open].Trim() + "." + t[(open + 1)..^1].Trim();
        }
        return t;
    }

    /// <summary>
    /// True unless the guest reports an OS name that is not Windows (Linux and FreeBSD guests send /etc/os-release NAME
    /// as OSName over KVP). A guest that reports no name is taken as Windows: its other facts are then judged as such.
    /// </summary>
    public static bool GuestIsWindows(GuestFacts? guest) =>
        guest?.OsName is not { Length: > 0 } name || name.Contains("Windows", StringComparison.OrdinalIgnoreCase);

    /// <summary>"6.1" of "6.1.7601" (major.minor of a version); throws when the text is not a version.</summary>
    public static string MajorMinor(string? version) => Remembered(version, ref t_lastMajorMinor, static v =>
    {
        var parsed = Ver(v);
        return string.Create(CultureInfo.InvariantCulture, $"{parsed.Major}.{parsed.Minor}");
    });

    /// <summary>The build (third part) of "6.1.7601"; throws when there is none.</summary>
    public static int Build(string? version)
    {
        var v = Ver(version);
        return v.Build >= 0 ? v.Build : throw new FactException($"version '{Truncate(version!.Trim())}' has no build number");
    }

    /// <summary>A date written yyyy-MM-dd (data in rule sets), as midnight UTC; throws on anything else.</summary>
    public static DateTimeOffset Date(string? isoDate) =>
        DateTimeOffset.TryParseExact(isoDate?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)
            ? d : throw new FactException($"'{Truncate(isoDate ?? "")}' is not a date (yyyy-MM-dd)");

    /// <summary>Whole days from <paramref name="now"/> to the date (negative once it has passed).</summary>
    public static int DaysUntil(string? isoDate, DateTimeOffset now) => checked((int)Math.Floor((Date(isoDate) - now).TotalDays));

    /// <summary>
    /// The host's GuestInstaller package version under <paramref name="valueName"/>, or null when it has none or the
    /// Integration Services facts were not collected. Evidence only: a rule may pass on what it shows, never on its absence,
    /// so reading it does not make the rule depend on that collection (a node without Hyper-V has no such package).
    /// </summary>
    public static string? GuestInstallerVersion(HostFacts host, string valueName)
    {
        var status = host.Collection.FirstOrDefault(c => c.Collector == FactFamilies.IntegrationServices);
        if (host.Roles?.HyperV == true && status?.Status is not CollectionState.Ok)
        {
            // A Hyper-V host has the package; not having read it is not its absence.
            throw new FactException($"the Integration Services packages of {host.Name} were not collected ({status?.Message ?? "no collection record"}), so their evidence is unknown")
            {
                HowToTell = CollectionRemediation.For(FactFamilies.IntegrationServices, host.Name, status),
            };
        }
        return Get(host.IntegrationServices, valueName)?.Trim() is { Length: > 0 } v && TryVer(v) is not null ? v : null;
    }

    /// <summary>Installed KBs among <paramref name="kbs"/>, in the order given.</summary>
    [ReadsFacts(FactFamilies.Hotfixes)]
    public static IReadOnlyList<string> InstalledOf(IEnumerable<HotfixFacts>? hotfixes, IEnumerable<string> kbs) =>
        [.. kbs.Where(k => HasKb(hotfixes, k)).Select(Kb)];

    /// <summary>The newest InstalledOn of the host's updates; throws when none carries a date.</summary>
    [ReadsFacts(FactFamilies.Hotfixes)]
    public static DateTimeOffset NewestInstall(IEnumerable<HotfixFacts>? hotfixes)
    {
        var list = hotfixes ?? throw new FactException("hotfix list is missing");
        var dates = list.Where(h => h.InstalledOn is not null).Select(h => h.InstalledOn!.Value).ToList();
        return dates.Count > 0 ? dates.Max() : throw new FactException("no installed update carries an installation date (InstalledOn), so how current the host is cannot be told");
    }

    /// <summary>True when RBCD on <paramref name="target"/> allows <paramref name="source"/> (by SID).</summary>
    public static bool RbcdAllows(ComputerFacts? target, ComputerFacts? source) =>
        target is not null && source?.ObjectSid is { Length: > 0 } sid && target.HasResourceBasedDelegation
        && target.ResourceBasedDelegationSids.Contains(sid, StringComparer.OrdinalIgnoreCase);

    /// <summary>Finds a scheduled task by folder path and name, or null. Paths compare case-insensitively with / or \ separators: "Microsoft/Windows/Defrag".</summary>
    [ReadsFacts(FactFamilies.ScheduledTasks)]
    public static ScheduledTaskFacts? Task(HostFacts host, string path, string name) =>
        (host.ScheduledTasks ?? throw new FactException($"scheduled tasks of {host.Name} were not collected"))
        .FirstOrDefault(t => string.Equals(TaskFolder(t.Path), TaskFolder(path), StringComparison.OrdinalIgnoreCase)
                             && string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    private static string TaskFolder(string path) => path.Replace('/', '\\').Trim('\\');

    /// <summary>Evidence text of any value (lists joined, numbers invariant, null as "(none)").</summary>
    public static string Text(object? value) => Evaluator.Format(value);

    /// <summary>Days of an ISO 8601 duration (P7D, P1W, PT24H); throws on garbage.</summary>
    public static double DurationDays(string? iso)
    {
        if (string.IsNullOrWhiteSpace(iso))
        {
            throw new FactException("no duration");
        }
        var t = iso.Trim();
        if (t.EndsWith('W') && t.StartsWith('P') && long.TryParse(t[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var weeks))
        {
            // Beyond what a TimeSpan holds (about 29,000 years) a duration is garbage, not a very long period.
            return weeks <= TimeSpan.MaxValue.Days / 7 ? weeks * 7.0 : throw new FactException($"'{Truncate(t)}' is a duration beyond any schedule");
        }
        try
        {
            return XmlConvert.ToTimeSpan(t).TotalDays;
        }
        catch (FormatException)
        {
            throw new FactException($"'{Truncate(t)}' is not an ISO 8601 duration");
        }
        catch (OverflowException)
        {
            throw new FactException($"'{Truncate(t)}' is a duration beyond any schedule");
        }
    }

    /// <summary>Whole days from <paramref name="then"/> to <paramref name="now"/>; throws when <paramref name="then"/> is unknown.</summary>
    public static double DaysSince(DateTimeOffset? then, DateTimeOffset now) =>
        then is null ? throw new FactException("time not reported (never run?)") : Math.Floor((now - then.Value).TotalDays);

    public static string Join(IEnumerable<string>? items) => items is null ? "" : EvaluationBudget.Join(", ", items);

    public static bool HasBits(long value, long mask) => (value & mask) == mask;

    /// <summary>Hexadecimal form of an HRESULT-like number: 0x80070005.</summary>
    public static string Hex(long? value) => value is null ? "(none)" : "0x" + value.Value.ToString("X8", CultureInfo.InvariantCulture);

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "...";
}

/// <summary>A fact is missing or malformed: the verdict is error with this message.</summary>
public sealed class FactException : Exception
{
    public FactException()
    {
    }

    public FactException(string message) : base(message)
    {
    }

    public FactException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>How to find out, for a rule that cannot tell: becomes the error verdict's remediation.</summary>
    public string? HowToTell { get; init; }
}

/// <summary>
/// Declares that an <see cref="Fn"/> function reads a fact family from the objects passed to it, so the rule compiler
/// counts the dependency (for fail-closed checks) even though the expression never names the property.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ReadsFactsAttribute(string collector) : Attribute
{
    public string Collector { get; } = collector;
}
