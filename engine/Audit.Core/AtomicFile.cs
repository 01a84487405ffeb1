using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Audit.Core;

/// <summary>
/// Writes output files completely or not at all, as a set: each to a temporary file beside it, flushed; then the set
/// replaces the previous files (each previous file kept as a backup until all are in place, and put back if any step
/// fails). Temporary and backup files are named <c>.NAME.PID.GUID.tmp</c> / <c>.bak</c>: those of runs that no longer
/// exist are removed (or, for a backup whose file is missing, put back) by the next write into the same folder.
/// Failures are <see cref="OutputException"/>s naming the path and the operating system's reason.
/// </summary>
public static partial class AtomicFile
{
    public static void Write(string path, Action<Stream> write) => WriteAll([(path, write)]);

    /// <summary>
    /// Writes several files as a set: each to its temporary file (in parallel), and only when every one succeeded are
    /// they put in place. A failure in any writer, or in putting any file in place, leaves every target as it was.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, Action<Stream> Write)> files, CancellationToken cancel = default)
    {
        var targets = files.Select(f => Path.GetFullPath(f.Path)).ToList();
        foreach (var dir in targets.Select(t => Path.GetDirectoryName(t) ?? ".").Distinct(StringComparer.Ordinal))
        {
            CleanUpAfterKilledRuns(dir);
        }
        var temps = new string?[files.Count];
        try
        {
            Parallel.For(0, files.Count, i =>
            {
                var tmp = Sibling(targets[i], "tmp");
                temps[i] = tmp;
                try
                {
                    using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                    files[i].Write(fs);
                    fs.Flush(flushToDisk: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not OutputException)
                {
                    throw new OutputException(targets[i], e);
                }
            });
        }
        catch (AggregateException e)
        {
            foreach (var t in temps)
            {
                TryDelete(t);
            }
            // The first writer's own exception (an InputException from a template, say), not the wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
            throw;
        }
        if (cancel.IsCancellationRequested)
        {
            // Stopped (Ctrl+C, SIGTERM) after the writers: nothing is put in place.
            foreach (var t in temps)
            {
                TryDelete(t);
            }
            cancel.ThrowIfCancellationRequested();
        }
        ReplaceAsSet(targets, temps!);
    }

    private static void ReplaceAsSet(List<string> targets, string[] temps)
    {
        var backups = new string?[targets.Count];
        var placed = 0;
        try
        {
            for (; placed < targets.Count; placed++)
            {
                if (File.Exists(targets[placed]))
                {
                    backups[placed] = Sibling(targets[placed], "bak");
                    Move(targets[placed], backups[placed]!);
                }
                Move(temps[placed], targets[placed]);
            }
        }
        catch
        {
            // Put the previous set back: the new files placed so far go, the backups return.
            for (var i = 0; i <= Math.Min(placed, targets.Count - 1); i++)
            {
                if (i < placed)
                {
                    TryDelete(targets[i]);
                }
                if (backups[i] is { } b && File.Exists(b))
                {
                    try
                    {
                        File.Move(b, targets[i], overwrite: true);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Left as .bak: the next write into this folder puts it back.
                    }
                }
            }
            foreach (var t in temps)
            {
                TryDelete(t);
            }
            throw;
        }
        foreach (var b in backups)
        {
            TryDelete(b);
        }
    }

    private static void Move(string from, string to)
    {
        try
        {
            File.Move(from, to, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(to, e);
        }
    }

    private static string Sibling(string target, string kind) =>
        Path.Combine(Path.GetDirectoryName(target) ?? ".", string.Create(CultureInfo.InvariantCulture, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.{kind}"));

    [GeneratedRegex(@"^\.(?<name>.+)\.(?<pid>[0-9]+)\.[0-9a-f]{32}\.(?<kind>tmp|bak)$", RegexOptions.CultureInvariant)]
    private static partial Regex OwnSibling();

    /// <summary>Temporary files of runs that were killed are removed; a backup whose file is missing is put back. Only files
    /// named as this class names them, of a process that no longer runs (or older than a day), are touched.</summary>
    public static void CleanUpAfterKilledRuns(string dir)
    {
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFiles(dir, ".*").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var path in entries)
        {
            var m = OwnSibling().Match(Path.GetFileName(path));
            if (!m.Success || !int.TryParse(m.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            var stale = !IsRunning(pid) || File.GetLastWriteTimeUtc(path) < DateTime.UtcNow.AddDays(-1);
            if (!stale || pid == Environment.ProcessId)
            {
                continue;
            }
            var target = Path.Combine(dir, m.Groups["name"].Value);
            if (m.Groups["kind"].Value == "bak" && !File.Exists(target))
            {
                try
                {
                    File.Move(path, target);
                    continue;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
            }
            TryDelete(path);
        }
    }

    private static bool IsRunning(int pid)
    {
        if (!OperatingSystem.IsWindows())
        {
            return Directory.Exists($"/proc/{pid}") || !Directory.Exists("/proc/self");
        }
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public static void WriteText(string path, string text) =>
        Write(path, s =>
        {
            var bytes = new UTF8Encoding(false).GetBytes(text);
            s.Write(bytes, 0, bytes.Length);
        });

    /// <summary>Fails early (before any work) when a folder cannot be created or written.</summary>
    public static void EnsureWritableDirectory(string dir)
    {
        Directory.CreateDirectory(dir);
        var probe = Path.Combine(dir, $".audit-write-probe.{Environment.ProcessId}.{Guid.NewGuid():N}");
        using (File.Create(probe, 1, FileOptions.DeleteOnClose))
        {
        }
    }

    private static void TryDelete(string? path)
    {
        if (path is null)
        {
            return;
        }
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>An output could not be written (disk full, read-only file system, permission): the path and the OS's reason.</summary>
public sealed class OutputException : IOException
{
    public OutputException()
    {
    }

    public OutputException(string message) : base(message)
    {
    }

    public OutputException(string path, Exception inner) : base($"cannot write {path}: {inner.Message}", inner)
    {
        Path = path;
    }

    public OutputException(string message, Exception? inner, string? path) : base(message, inner)
    {
        Path = path;
    }

    public string? Path { get; }
}

public static class Hashing
{
    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
