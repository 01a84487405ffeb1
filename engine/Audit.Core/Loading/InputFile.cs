using System.Runtime.InteropServices;

namespace Audit.Core.Loading;

/// <summary>
/// Reads an input file (snapshot, rule set, waivers, params, hosts file, results, template) whole and safely: only a
/// regular file is opened (a FIFO would block the open forever, a device such as /dev/zero never ends), and the size
/// limit is enforced on the bytes actually read, not only on the length the file system reports (0 for a device, and a
/// file may grow while it is read). Every refusal is an <see cref="InputException"/> naming the file.
/// </summary>
public static class InputFile
{
    /// <summary>The file's bytes; refuses anything but a regular file within <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes, string displayPath)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Refused(DiagnosticCodes.FileNotFound, $"invalid path: {e.Message}", displayPath);
        }
        if (Directory.Exists(path))
        {
            throw Refused(DiagnosticCodes.FileNotFound, "is a folder, expected a file", displayPath);
        }
        if (!info.Exists)
        {
            throw Refused(DiagnosticCodes.FileNotFound, "file not found", displayPath);
        }
        if (KindOf(path) is { } kind and not FileKind.Regular)
        {
            throw Refused(DiagnosticCodes.FileNotFound, $"is a {Describe(kind)}, not a regular file: inputs are read from regular files only", displayPath);
        }
        if (info.Length > maxBytes)
        {
            throw TooLarge(info.Length, maxBytes, displayPath);
        }
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            var buffer = new byte[Math.Min(maxBytes + 1, Math.Max(info.Length + 1, 1 << 16))];
            var total = 0L;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total > maxBytes)
                    {
                        throw TooLarge(total, maxBytes, displayPath, whileReading: true);
                    }
                    Array.Resize(ref buffer, (int)Math.Min(Math.Min((long)buffer.Length * 2, Array.MaxLength), maxBytes + 1));
                }
                var n = fs.Read(buffer, (int)total, (int)(buffer.Length - total));
                if (n == 0)
                {
                    break;
                }
                total += n;
                if (total > maxBytes)
                {
                    throw TooLarge(total, maxBytes, displayPath, whileReading: true);
                }
            }
            Array.Resize(ref buffer, (int)total);
            return buffer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refused(DiagnosticCodes.FileNotFound, $"cannot read: {e.Message}", displayPath);
        }
    }

    private static InputException TooLarge(long size, long maxBytes, string displayPath, bool whileReading = false) =>
        Refused(DiagnosticCodes.FileTooLarge, whileReading
            ? $"more than {maxBytes:N0} bytes were read, over the limit (raise it with --max-input-mb)"
            : $"file is {size:N0} bytes, over the limit of {maxBytes:N0} bytes (raise it with --max-input-mb)", displayPath);

    private static InputException Refused(string code, string message, string displayPath) =>
        new(new Diagnostic(code, DiagnosticLevel.Error, message, displayPath));

    /// <summary>What a path is, on Unix; null where it cannot be told (Windows, or the runtime's native library missing).</summary>
    public static FileKind? KindOf(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }
        try
        {
            if (NativeMethods.SystemNative_Stat(path, out var status) != 0)
            {
                return null;
            }
            return (status.Mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0x1000 => FileKind.Fifo,
                0x2000 => FileKind.CharacterDevice,
                0x6000 => FileKind.BlockDevice,
                0xC000 => FileKind.Socket,
                _ => FileKind.Other,
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Fifo => "FIFO (named pipe)",
        FileKind.CharacterDevice => "character device",
        FileKind.BlockDevice => "block device",
        FileKind.Socket => "socket",
        FileKind.Directory => "folder",
        _ => "special file",
    };

    /// <summary>
    /// The runtime's own stat (libSystem.Native ships with every .NET on Unix; its FileStatus starts with Flags then Mode,
    /// mode bits in the POSIX S_IF* values). The struct is declared larger than the runtime's so the call never writes past it.
    /// </summary>
    private static class NativeMethods
    {
        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int SystemNative_Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out FileStatus status);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
#pragma warning disable CS0169, IDE0051, CA1823 // room for the rest of the runtime's struct
        private readonly long _r0, _r1, _r2, _r3, _r4, _r5, _r6, _r7, _r8, _r9, _r10, _r11, _r12, _r13, _r14, _r15, _r16, _r17, _r18, _r19;
#pragma warning restore CS0169, IDE0051, CA1823
    }
}

/// <summary>What a path names.</summary>
public enum FileKind
{
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}
