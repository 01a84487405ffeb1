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
}
