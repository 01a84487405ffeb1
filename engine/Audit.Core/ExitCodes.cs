namespace Audit.Core;

/// <summary>Process exit codes (DESIGN.md, README, --help).</summary>
public static class ExitCodes
{
    /// <summary>Compliant: no failing check at or above --fail-on, no error.</summary>
    public const int Compliant = 0;
    /// <summary>At least one failing check at or above --fail-on severity.</summary>
    public const int Failed = 1;
    /// <summary>No such failure, but at least one check could not be evaluated (audit incomplete).</summary>
    public const int Incomplete = 2;
    /// <summary>Live collection is not possible on this platform (CIM needs Windows).</summary>
    public const int Unsupported = 69;
    /// <summary>Usage error (EX_USAGE), including an output folder that cannot be written.</summary>
    public const int Usage = 64;
    /// <summary>Invalid input file: schema, JSON or expression errors (EX_DATAERR).</summary>
    public const int InvalidInput = 65;
    /// <summary>An output could not be written (EX_IOERR): disk full, read-only file system, permission; the path and the OS's reason are printed, previous outputs stay in place.</summary>
    public const int CannotWrite = 74;
    /// <summary>Stopped by Ctrl+C (SIGINT, 128 + 2); previous outputs left as they were, temporary files removed.</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM (128 + 15), as <see cref="Interrupted"/>.</summary>
    public const int Terminated = 143;
    /// <summary>Unexpected internal failure (EX_SOFTWARE): a bug; please report it.</summary>
    public const int InternalError = 70;

    /// <summary>Every exit code with its short name and its line of help: the one table the root help, each command's
    /// one-line summary and (checked by a test) README's table are made from.</summary>
    public static readonly IReadOnlyList<ExitCodeInfo> Table =
    [
        new([Compliant], "compliant", "compliant: no failing check at or above --fail-on, no error"),
        new([Failed], "a failing check at or above --fail-on", "at least one failing check at or above --fail-on severity"),
        new([Incomplete], "incomplete (errors)", "no such failure, but at least one check could not be evaluated (audit incomplete)"),
        new([Usage], "usage", "usage error (bad option, unwritable output folder)"),
        new([InvalidInput], "invalid input", "invalid input file (JSON, schema or rule expression errors, printed as file(line,col): error AUDnnnn: message)"),
        new([Unsupported], "collection not possible here", "live collection is not available on this platform (CIM needs Windows)"),
        new([InternalError], "internal error", "internal error (a bug: please report it)"),
        new([CannotWrite], "cannot write", "an output could not be written (disk full, read-only, permission, history folder): the previous outputs stay"),
        new([Interrupted, Terminated], "stopped", "stopped by Ctrl+C, 143 by SIGTERM: previous outputs left as they were, temporary files removed"),
    ];
}

/// <summary>One row of <see cref="ExitCodes.Table"/>.</summary>
/// <param name="Codes">The code, or codes sharing one meaning.</param>
/// <param name="Name">A few words, for one-line summaries.</param>
/// <param name="Help">The line of the root help.</param>
public sealed record ExitCodeInfo(IReadOnlyList<int> Codes, string Name, string Help);
