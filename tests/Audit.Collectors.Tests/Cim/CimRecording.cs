using Audit.Collectors.Cim;
using Audit.Collectors.Recording;
using Audit.Tests.Common;
using Audit.Core.Loading;

namespace Audit.Collectors.Tests.Cim;

/// <summary>
/// The CIM recordings of Fixtures/cim (schema cimrecording.v1, the format 'audit collect --record' writes), loaded
/// strictly and played through the engine's own <see cref="ReplayCimSessionFactory"/>: the collector tests run on
/// recordings, and a question a recording does not answer is an error the tests see (<see cref="AssertAllAnswered"/>).
/// </summary>
public static class CimRecording
{
    public static string Folder => Path.Combine(RepoPaths.Fixtures("Audit.Collectors.Tests"), "cim");

    public static IReadOnlyList<string> Names =>
        [.. System.IO.Directory.GetFiles(Folder, "*" + CimRecordingDocument.FileSuffix).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>Fixtures/cim/NAME (".cim.json" may be left off), checked against the schema.</summary>
    public static CimRecordingDocument Load(string name)
    {
        var file = name.EndsWith(CimRecordingDocument.FileSuffix, StringComparison.Ordinal) ? name : name + CimRecordingDocument.FileSuffix;
        return JsonFileLoader.Load<CimRecordingDocument>(Path.Combine(Folder, file), CimRecordingDocument.SchemaName).Value;
    }

    /// <summary>A replay of one recording and a session on its host.</summary>
    public static async Task<(ReplayCimSessionFactory Replay, ICimSession Session)> OpenAsync(string name)
    {
        var replay = new ReplayCimSessionFactory([Load(name)]);
        var host = replay.Hosts.Single().Name;
        return (replay, await replay.CreateAsync(host, new CimConnectionOptions(), CancellationToken.None));
    }

    public static void AssertAllAnswered(ReplayCimSessionFactory replay) =>
        Assert.True(replay.Misses.Count == 0, "asked but not recorded:\n" + string.Join("\n", replay.Misses));
}
