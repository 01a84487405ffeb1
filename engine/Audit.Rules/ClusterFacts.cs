using Audit.Core.Snapshots;

namespace Audit.Rules;

/// <summary>The entity of cluster-scope rules: a cluster name and the snapshot hosts that are its nodes.</summary>
internal sealed record ClusterFacts
{
    public string Name { get; init; } = "";
    public IReadOnlyList<HostFacts> Nodes { get; init; } = [];
}
