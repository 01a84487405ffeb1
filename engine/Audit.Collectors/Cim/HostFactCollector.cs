using Audit.Core.Snapshots;

namespace Audit.Collectors.Cim;

/// <summary>One fact family on one host (the names of <see cref="FactFamilies"/>).</summary>
public interface IHostFactCollector
{
    /// <summary>One of <see cref="FactFamilies.OfHosts"/>.</summary>
    string Name { get; }

    /// <summary>
    /// Returns <paramref name="facts"/> with this family filled in. Throws <see cref="CimException"/> when the data
    /// cannot be read (absent namespace/class become "unsupported", anything else "error"), or
    /// <see cref="FactCollectionException"/> for an outcome it decides itself.
    /// </summary>
    Task<HostFacts> CollectAsync(HostCollectionContext context, HostFacts facts);
}

/// <summary>What a collector works with: the session, the cancellation token, and notes for its status message.</summary>
public sealed class HostCollectionContext(ICimSession session, CancellationToken cancellationToken)
{
    private readonly List<string> _notes = [];

    public ICimSession Session { get; } = session;
    public CancellationToken CancellationToken { get; } = cancellationToken;
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Something worth knowing about a successful collection (kept in the status message).</summary>
    public void Note(string text) => _notes.Add(text);

    internal void ClearNotes() => _notes.Clear();

    public Task<IReadOnlyList<CimRecord>> QueryAsync(string cimNamespace, string wql) => Session.QueryAsync(cimNamespace, wql, CancellationToken);

    /// <summary>
    /// The first query of a collector whose namespace or class may be absent: absent means the fact family is
    /// unsupported on this host ("{namespace} is absent ({code}): {absentBecause}"), not an error.
    /// </summary>
    public async Task<IReadOnlyList<CimRecord>> QueryOrUnsupportedAsync(string cimNamespace, string wql, string absentBecause)
    {
        try
        {
            return await QueryAsync(cimNamespace, wql).ConfigureAwait(false);
        }
        catch (CimException e) when (e.Code is CimErrorCode.InvalidNamespace or CimErrorCode.InvalidClass)
        {
            throw new FactCollectionException(CollectionState.Unsupported, $"{cimNamespace} is absent ({e.Code}): {absentBecause}", (int)e.Code);
        }
    }
}

/// <summary>A collector's own verdict on its family: unsupported with a reason, or an error with a message.</summary>
public sealed class FactCollectionException : Exception
{
    public FactCollectionException()
    {
    }

    public FactCollectionException(string message) : base(message)
    {
    }

    public FactCollectionException(string message, Exception inner) : base(message, inner)
    {
    }

    public FactCollectionException(CollectionState state, string message, int? errorCode = null) : base(message)
    {
        State = state;
        ErrorCode = errorCode;
    }

    public CollectionState State { get; } = CollectionState.Error;
    public int? ErrorCode { get; }
}

/// <summary>CIM namespaces the collectors read.</summary>
public static class CimNamespaces
{
    public const string Cimv2 = "root/cimv2";
    public const string Default = "root/default";
    public const string Virtualization = "root/virtualization/v2";
    public const string Cluster = "root/MSCluster";
    public const string TaskScheduler = "Root/Microsoft/Windows/TaskScheduler";
    public const string Smb = "root/Microsoft/Windows/SMB";
    public const string StandardCimv2 = "root/StandardCimv2";
}

internal static class ListExtensions
{
    public static T? FirstOrNull<T>(this IReadOnlyList<T> list) where T : class => list.Count > 0 ? list[0] : null;
}
