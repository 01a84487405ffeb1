using Audit.Core.Results;
using Audit.Core.Snapshots;

namespace Audit.Rules;

/// <summary>An input an expression of a scope can reference by name.</summary>
/// <param name="Name">Name in expressions (host, vm, source...).</param>
/// <param name="Type">Static type.</param>
/// <param name="Required">A null value for a referenced required input is an error verdict naming it.</param>
/// <param name="FromDirectory">Values come from the directory: referencing it requires directory collection to be ok.</param>
/// <param name="Description">What it is, for messages and documentation.</param>
public sealed record InputDeclaration(string Name, Type Type, bool Required, bool FromDirectory, string Description);

/// <summary>The inputs of each scope. Documented in README (rule expressions).</summary>
internal static class ScopeInputs
{
    public const string Params = "params";
    public const string Lookups = "lookups";
    public const string CollectedAt = "collectedAt";

    /// <summary>
    /// The rule-set parameter (a list of host-name groups) whose groups add host pairs to the hostPair scope, besides
    /// common clusters and inventory migration groups; README (host pairs) documents it.
    /// </summary>
    public const string MigrationGroups = "migrationGroups";

    public static IReadOnlyList<InputDeclaration> For(Scope scope) => scope switch
    {
        Scope.Host => [new("host", typeof(HostFacts), true, false, "the host")],
        Scope.Vm => [new("vm", typeof(VmFacts), true, false, "the virtual machine"), new("host", typeof(HostFacts), true, false, "the host it runs on")],
        Scope.HostPair =>
        [
            new("source", typeof(HostFacts), true, false, "the host a VM migrates from"),
            new("target", typeof(HostFacts), true, false, "the host a VM migrates to"),
            new("sourceAccount", typeof(ComputerFacts), true, true, "the source host's computer account in the directory"),
            new("targetAccount", typeof(ComputerFacts), true, true, "the target host's computer account in the directory"),
            new("pair", typeof(HostPairFacts), true, false, "how the pair was formed: common cluster, declared migration partners"),
            new("directory", typeof(DirectoryFacts), true, true, "all directory facts (computers, domain controllers, groups)"),
        ],
        Scope.Computer =>
        [
            new("computer", typeof(ComputerFacts), true, true, "the computer account"),
            new("directory", typeof(DirectoryFacts), true, true, "all directory facts (computers, groups)"),
            new("host", typeof(HostFacts), false, false, "the snapshot host with this account, or null when it is not an audited host"),
        ],
        Scope.Cluster => [new("cluster", typeof(ClusterFacts), true, false, "the cluster: name and nodes (snapshot hosts)")],
        _ => throw new ArgumentOutOfRangeException(nameof(scope)),
    };

    /// <summary>Inputs every scope has after its own.</summary>
    public static IReadOnlyList<InputDeclaration> Common(Type paramsType, Type lookupsType) =>
    [
        new(Params, paramsType, true, false, "the rule set's parameters (defaults merged with overrides)"),
        new(Lookups, lookupsType, true, false, "the rule set's lookup tables"),
        new(CollectedAt, typeof(DateTimeOffset), true, false, "when the snapshot was collected (use instead of a clock)"),
    ];
}
