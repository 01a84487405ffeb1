using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Audit.Core.Results;

namespace Audit.Core.History;

/// <summary>A results file kept in a history folder: results-YYYYMMDDTHHMMSSZ[-N].json, named from the snapshot time.</summary>
public sealed record HistoryEntry(string Path, string Name, DateTimeOffset CollectedAt, int Suffix);

/// <summary>The history folder is held by another run for longer than we were willing to wait.</summary>
/// <summary>The history folder cannot be written (read-only, permission, disk full): not a lock held by another run.</summary>
public sealed class HistoryUnwritableException : IOException
{
    public HistoryUnwritableException()
    {
    }

    public HistoryUnwritableException(string message) : base(message)
    {
    }

    public HistoryUnwritableException(string message, Exception inner) : base(message, inner)
    {
    }
}

public sealed class HistoryLockedException : IOException
{
    public HistoryLockedException()
    {
    }

    public HistoryLockedException(string message) : base(message)
    {
    }

    public HistoryLockedException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>
/// A folder of past results. Opening it takes an exclusive lock (a lock file held open without sharing; the OS releases
/// it if the process dies), so two runs starting at once are serialised: the second waits up to a limit, then fails
/// clearly. Entries are named from the snapshot's collectedAt (not the wall clock), never overwritten (a second run of
/// the same snapshot gets -2, -3, ...), written atomically, and pruned to the newest N.
/// </summary>
public sealed partial class HistoryStore : IDisposable
{
    public const string LockFileName = ".audit-history.lock";

    private readonly FileStream _lock;

    private HistoryStore(string directory, FileStream lockStream)
    {
        Directory = directory;
        _lock = lockStream;
    }

    public string Directory { get; }

    [GeneratedRegex(@"^results-(\d{8}T\d{6}Z)(?:-(\d+))?\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex EntryName();

    public static HistoryStore Open(string directory, TimeSpan wait, CancellationToken cancel = default)
    {
        System.IO.Directory.CreateDirectory(directory);
        var lockPath = Path.Combine(directory, LockFileName);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                var fs = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                return new HistoryStore(directory, fs);
            }
            catch (Exception e) when (e is UnauthorizedAccessException || (e is IOException io && !IsLockConflict(io)))
            {
                // Not another run holding the lock: the folder cannot be written (read-only, permission, full).
                throw new HistoryUnwritableException($"cannot write the history folder '{directory}': {e.Message}", e);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
            catch (IOException e)
            {
                throw new HistoryLockedException(
                    $"history folder '{directory}' is in use by another audit run (lock file {LockFileName} still held after {wait.TotalSeconds:0} s); try again later or raise --history-wait", e);
            }
        }
    }

    /// <summary>
    /// The lock is held by another process, as opposed to any other failure to open it: on Windows a sharing or lock
    /// violation (ERROR_SHARING_VIOLATION 32, ERROR_LOCK_VIOLATION 33); on Unix .NET's advisory lock failing with
    /// EWOULDBLOCK, whose errno .NET reports as the HResult (11 on Linux, 35 on macOS).
    /// </summary>
    private static bool IsLockConflict(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult is 11 or 35;

    /// <summary>Entries oldest first (by snapshot time, then suffix).</summary>
    public IReadOnlyList<HistoryEntry> Entries()
    {
        var list = new List<HistoryEntry>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "results-*.json"))
        {
            var name = Path.GetFileName(path);
            var m = EntryName().Match(name);
            if (!m.Success)
            {
                continue;
            }
            var at = DateTimeOffset.ParseExact(m.Groups[1].Value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var suffix = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 1;
            list.Add(new HistoryEntry(path, name, at, suffix));
        }
        return [.. list.OrderBy(e => e.CollectedAt).ThenBy(e => e.Suffix).ThenBy(e => e.Name, StringComparer.Ordinal)];
    }

    public static string BaseName(DateTimeOffset collectedAt) =>
        "results-" + collectedAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Writes the results as a new entry (never replacing one) and returns it.</summary>
    public HistoryEntry Store(ResultsDocument results)
    {
        var stem = BaseName(results.Run.Snapshot.CollectedAt);
        var tmp = Path.Combine(Directory, $".{stem}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                JsonSerializer.Serialize(fs, results, AuditJson.Options);
                fs.Flush(flushToDisk: true);
            }
            for (var n = 1; ; n++)
            {
                var name = n == 1 ? $"{stem}.json" : $"{stem}-{n}.json";
                var target = Path.Combine(Directory, name);
                if (File.Exists(target))
                {
                    continue;
                }
                try
                {
                    File.Move(tmp, target, overwrite: false);
                    return new HistoryEntry(target, name, results.Run.Snapshot.CollectedAt, n);
                }
                catch (IOException) when (File.Exists(target))
                {
                    // Someone created it meanwhile (a writer not honouring the lock): take the next suffix.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HistoryUnwritableException($"cannot write a history entry in '{Directory}': {e.Message}", e);
        }
        finally
        {
            if (File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }

    /// <summary>Deletes the oldest entries so that at most <paramref name="keep"/> remain, never the one just stored.</summary>
    public IReadOnlyList<HistoryEntry> Prune(int keep, HistoryEntry? justStored = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var entries = Entries();
        var deleted = new List<HistoryEntry>();
        var excess = entries.Count - keep;
        foreach (var e in entries)
        {
            if (excess <= 0)
            {
                break;
            }
            if (justStored is not null && e.Name == justStored.Name)
            {
                continue;
            }
            File.Delete(e.Path);
            deleted.Add(e);
            excess--;
        }
        return deleted;
    }

    public void Dispose() => _lock.Dispose();
}
