using System.Text.Json;
using Audit.Collectors.Cim;
using Audit.Collectors.Inventory;
using Audit.Collectors.Preflight;
using Audit.Collectors.Recording;
using Audit.Collectors.WsMan;
using Audit.Core;
using Audit.Core.Snapshots;

namespace Audit.Collectors.Estate;

/// <summary>What a collection tells its caller while it works.</summary>
public interface ICollectObserver : IProgress<CollectionProgress>
{
    /// <summary>A warning to show before collection starts (a password about to be sent in clear text).</summary>
    void Warning(Diagnostic warning);
}

/// <summary>
/// One 'audit collect' as a library: the inventory (file, list, this machine, or the hosts of a replay), the sessions
/// (MI, our WS-Management client, recordings; recorded when asked), then a preflight table, or the hosts and the
/// directory collected into a snapshot file, and the recording saved.
/// </summary>
public static class CollectPipeline
{
    /// <summary>Runs <paramref name="request"/>. Throws <see cref="CollectRequestException"/> (exit 64),
    /// <see cref="InputException"/> (an invalid hosts file, recording or CA file: exit 65).</summary>
    public static CollectResult Run(CollectRequest request, ICollectObserver observer, CancellationToken cancel = default)
    {
        var replay = request.Replay is null ? null : ReplayCimSessionFactory.Load(request.Resolve(request.Replay), request.Replay);
        var inventory = Inventory(request);
        if (replay is not null && inventory.Count == 0)
        {
            inventory = replay.Hosts;
        }
        CheckInventory(request, inventory);
        if (request.Problems() is [var problem, ..])
        {
            throw new CollectRequestException(problem);
        }
        var wsman = request.EffectiveTransport == "wsman";
        if (inventory.Count > 0 && replay is null && !wsman && !request.CanUseMi && request.Sessions is null)
        {
            return new CollectResult { Unsupported = true };
        }
        if (request.Record is not null)
        {
            EnsureFolder(request, request.Record, "--record");
        }
        // A replay writes the snapshot the recorded run wrote: its time and machine, not ours.
        var collectedAt = replay?.RecordedAt ?? request.Clock();
        using var wsmanFactory = wsman && replay is null ? new WsManCimSessionFactory() : null;
        ICimSessionFactory factory = replay ?? wsmanFactory ?? request.Sessions ?? new MiCimSessionFactory();
        RecordingCimSessionFactory? recorder = null;
        if (request.Record is not null && inventory.Count > 0)
        {
            recorder = new RecordingCimSessionFactory(factory, new RecordedBy { Tool = "audit", Version = request.ToolVersion, Machine = Environment.MachineName, Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription }, () => collectedAt);
            foreach (var h in inventory)
            {
                recorder.Expect(h);
            }
            factory = recorder;
        }
        var runOptions = inventory.Count == 0 ? null : new CollectionRunOptions
        {
            Parallel = request.Parallel,
            HostTimeout = TimeSpan.FromSeconds(request.TimeoutSeconds),
            OperationTimeout = TimeSpan.FromSeconds(request.OperationTimeoutSeconds),
            Connection = replay is null ? EstateConnections.Hosts(request) : new CimConnectionOptions { OperationTimeout = TimeSpan.FromSeconds(request.OperationTimeoutSeconds) },
        };
        if (request.Preflight)
        {
            var checks = new PreflightRunner(factory).RunAsync(inventory, runOptions!, cancel).GetAwaiter().GetResult();
            return new CollectResult { Preflight = checks, HostsAsked = true, Recording = SaveRecording(request, recorder) };
        }
        var outPath = request.Resolve(request.Out);
        EnsureFolder(request, Path.GetDirectoryName(request.Out) is { Length: > 0 } d ? d : ".", "--out");
        var directory = request.Directory is null ? null : EstateConnections.Directory(request, observer);

        var collected = new EstateCollector(factory).CollectAsync(new EstateRequest
        {
            Hosts = inventory,
            HostOptions = runOptions,
            Directory = directory,
            CollectedAt = collectedAt,
            Collector = new ToolInfo { Name = "audit", Version = request.ToolVersion, Machine = replay is null ? Environment.MachineName : replay.RecordedOn },
        }, observer, cancel).GetAwaiter().GetResult();
        WriteSnapshot(outPath, request.Out, collected.Snapshot);
        return new CollectResult
        {
            Estate = collected,
            HostsAsked = inventory.Count > 0,
            ReplayMisses = replay?.Misses ?? [],
            Recording = SaveRecording(request, recorder),
        };
    }

    /// <summary>Writes <paramref name="snapshot"/> to <paramref name="path"/> atomically, creating its folder
    /// (<see cref="CollectRequestException"/> naming <paramref name="display"/> when it cannot).</summary>
    public static void WriteSnapshot(string path, string display, Snapshot snapshot)
    {
        try
        {
            var dir = Path.GetDirectoryName(path);
            if (!string.IsNullOrEmpty(dir))
            {
                System.IO.Directory.CreateDirectory(dir);
            }
            AtomicFile.Write(path, s => JsonSerializer.Serialize(s, snapshot, AuditJson.Options));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CollectRequestException($"cannot write '{display}': {e.Message}", e);
        }
    }

    private static void CheckInventory(CollectRequest request, IReadOnlyList<InventoryHost> inventory)
    {
        if (inventory.Count == 0 && request.Directory is null)
        {
            throw new CollectRequestException(request.Replay is null
                ? "nothing to collect: give --hosts, --hosts-file, --local and/or --directory"
                : "nothing to collect: the recordings name no host");
        }
        if (request.Preflight && inventory.Count == 0)
        {
            throw new CollectRequestException("--preflight checks hosts: give --hosts, --hosts-file or --local (a directory is checked by collecting it)");
        }
    }

    private static void EnsureFolder(CollectRequest request, string display, string option)
    {
        try
        {
            AtomicFile.EnsureWritableDirectory(request.Resolve(display));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CollectRequestException($"cannot write to the folder of {option} '{display}': {e.Message}", e);
        }
    }

    /// <summary>Writes the recording when one was asked for; nothing is written when it would hold the password.</summary>
    private static RecordingSaved? SaveRecording(CollectRequest request, RecordingCimSessionFactory? recorder)
    {
        if (recorder is null || request.Record is not { } folder)
        {
            return null;
        }
        try
        {
            return new RecordingSaved(recorder.Save(request.Resolve(folder)).Count, null);
        }
        catch (RecordingRefusedException e)
        {
            return new RecordingSaved(0, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new RecordingSaved(0, $"cannot write the recording into '{folder}': {e.Message}");
        }
    }

    private static IReadOnlyList<InventoryHost> Inventory(CollectRequest request)
    {
        var parts = new List<IReadOnlyList<InventoryHost>>();
        if (request.HostsFile is not null)
        {
            parts.Add(InventoryLoader.Load(request.Resolve(request.HostsFile), request.HostsFile));
        }
        if (request.Hosts.Count > 0)
        {
            try
            {
                parts.Add(InventoryLoader.ParseList(request.Hosts));
            }
            catch (InputException e)
            {
                throw new CollectRequestException(e.Diagnostics[0].Message, e);
            }
        }
        if (request.Local)
        {
            parts.Add([new InventoryHost { Name = Environment.MachineName, Local = true }]);
        }
        return InventoryLoader.Combine([.. parts]);
    }
}
