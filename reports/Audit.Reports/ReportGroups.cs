using Audit.Core.Results;

namespace Audit.Reports;

/// <summary>
/// How verdicts are grouped for every renderer: by host (pairs under their source host), one group for directory
/// (computer-scope) checks, one per cluster for cluster-scope checks. Shared by the HTML matrix and JUnit test suites.
/// </summary>
internal static class ReportGroups
{
    /// <summary>The group of computer-scope checks: named as the directory entity is.</summary>
    public static readonly string DirectoryGroup = EntityId.Directory.Key;

    public static GroupKey Of(Verdict v) => v.Scope switch
    {
        Scope.Computer => new GroupKey(GroupKind.Directory, DirectoryGroup),
        Scope.Cluster => new GroupKey(GroupKind.Cluster, v.Entity.Key),
        _ => new GroupKey(GroupKind.Host, v.Host ?? v.Entity.HostName ?? v.Entity.Key),
    };

    /// <summary>Hosts first (by name), then clusters, then the directory: a stable order.</summary>
    public static IComparer<GroupKey> Order { get; } = Comparer<GroupKey>.Create((a, b) =>
    {
        var k = ((int)a.Kind).CompareTo((int)b.Kind);
        return k != 0 ? k : StringComparer.OrdinalIgnoreCase.Compare(a.Name, b.Name) is var c && c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
    });
}

internal enum GroupKind
{
    Host,
    Cluster,
    Directory,
}

internal readonly record struct GroupKey(GroupKind Kind, string Name)
{
    public string Label => Kind switch
    {
        GroupKind.Cluster => "cluster " + Name,
        // Parentheses cannot occur in a host name, so no host's suite or matrix row can be mistaken for this one.
        GroupKind.Directory => ReportGroups.DirectoryGroup,
        _ => Name,
    };
}
