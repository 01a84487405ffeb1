using System.Security.Cryptography;
using System.Text;

namespace Audit.Core;

/// <summary>Writes a file completely or not at all: to a temporary file beside it, flushed, then renamed over the target.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write) => WriteAll([(path, write)]);

    /// <summary>
    /// Writes several files as a set: each to its temporary file (in parallel), and only when every one succeeded are
    /// they renamed over their targets. A failure in any writer leaves every target as it was.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, Action<Stream> Write)> files)
    {
        var temps = new string?[files.Count];
        try
        {
            Parallel.For(0, files.Count, i =>
            {
                var full = Path.GetFullPath(files[i].Path);
                var tmp = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                temps[i] = tmp;
                using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                files[i].Write(fs);
                fs.Flush(flushToDisk: true);
            });
        }
        catch (AggregateException e)
        {
            foreach (var t in temps)
            {
                if (t is not null)
                {
                    TryDelete(t);
                }
            }
            // The first writer's own exception (an InputException from a template, say), not the wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
            throw;
        }
        var moved = 0;
        try
        {
            for (; moved < files.Count; moved++)
            {
                File.Move(temps[moved]!, Path.GetFullPath(files[moved].Path), overwrite: true);
            }
        }
        catch
        {
            foreach (var t in temps.Skip(moved))
            {
                TryDelete(t!);
            }
            throw;
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

    private static void TryDelete(string path)
    {
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

public static class Hashing
{
    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
