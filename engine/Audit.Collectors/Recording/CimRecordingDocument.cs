using System.Text.Json;

// What lives here: the recorded CIM answers of one host (schema/cimrecording.v1.schema.json), the session factory
// that records a live run into them, and the one that replays them through the same collectors on any OS.
// Depends on Audit.Collectors.Cim (the ICimSession seam) and Audit.Core (files, JSON options); nothing depends on it
// but the CLI and the tests.
namespace Audit.Collectors.Recording;

/// <summary>One host's recording: who and how it was asked, then every operation in order with its raw answer.</summary>
public sealed record CimRecordingDocument
{
    public const string SchemaName = "cimrecording.v1.schema.json";
    public const string SchemaId = "cimrecording.v1";
    public const string FileSuffix = ".cim.json";

    public string Schema { get; init; } = SchemaId;

    /// <summary>"recorded" for a capture of a real host; otherwise how the file was made (hand-written, and from what).</summary>
    public required string Provenance { get; init; }

    /// <summary>What the recording shows, in a sentence (for hand-written scenarios and the README table).</summary>
    public string? Scenario { get; init; }

    public required RecordedHost Host { get; init; }
    public required DateTimeOffset RecordedAt { get; init; }
    public RecordedBy? RecordedBy { get; init; }
    public RecordedConnection? Connection { get; init; }
    public required IReadOnlyList<RecordedOperation> Operations { get; init; }
}

/// <summary>The host as the inventory named it (name, declared cluster and migration group, local session).</summary>
public sealed record RecordedHost
{
    public required string Name { get; init; }
    public string? Cluster { get; init; }
    public string? MigrationGroup { get; init; }
    public bool Local { get; init; }
}

public sealed record RecordedBy
{
    public required string Tool { get; init; }
    public required string Version { get; init; }
    public string? Machine { get; init; }
    public string? Os { get; init; }
}

/// <summary>How the host was reached; the password never (a recording holding it is refused, not written).</summary>
public sealed record RecordedConnection
{
    public required string Protocol { get; init; }
    public int? Port { get; init; }
    public bool UseSsl { get; init; }
    public string? User { get; init; }
    public double OperationTimeoutMs { get; init; }
}

/// <summary>Operation kinds: opening a session (recorded when it failed), and the four calls of <see cref="Cim.ICimSession"/>.</summary>
public static class RecordedOps
{
    public const string Open = "open";
    public const string TestConnection = "testConnection";
    public const string Query = "query";
    public const string InvokeStatic = "invokeStatic";
    public const string Invoke = "invoke";
}

/// <summary>Outcomes: an answer, a failure with its fault, or cancelled (a timeout or Ctrl+C cut the call off).</summary>
public static class RecordedOutcomes
{
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Cancelled = "cancelled";
}

public sealed record RecordedOperation
{
    public required string Op { get; init; }
    public string? Namespace { get; init; }
    public string? Query { get; init; }
    /// <summary>invokeStatic: the class whose static method was called.</summary>
    public string? Class { get; init; }
    /// <summary>invoke: the class of the instance the method was called on.</summary>
    public string? InstanceClass { get; init; }
    public string? Method { get; init; }
    public IReadOnlyList<RecordedValue>? Arguments { get; init; }
    public required string Outcome { get; init; }
    public double ElapsedMs { get; init; }
    public IReadOnlyList<RecordedInstance>? Instances { get; init; }
    public RecordedValue? ReturnValue { get; init; }
    public IReadOnlyList<RecordedValue>? Out { get; init; }
    public RecordedFault? Fault { get; init; }
}

/// <summary>An instance: its class and every property it had (a property it did not have is not listed; null is kept).</summary>
public sealed record RecordedInstance
{
    public required string Class { get; init; }
    public required IReadOnlyList<RecordedValue> Properties { get; init; }
}

/// <summary>One named value: the CIM type the host declared, the .NET type MI handed over, and the value.</summary>
public sealed record RecordedValue
{
    public required string Name { get; init; }
    public string? CimType { get; init; }
    /// <summary>System.String, System.UInt16, System.DateTime, System.String[], instance, instance[] ... or null for a null value.</summary>
    public string? ClrType { get; init; }
    public required JsonElement Value { get; init; }
}

/// <summary>A failure exactly as the CIM layer gave it (see <see cref="Cim.CimFault"/>).</summary>
public sealed record RecordedFault
{
    public int? NativeErrorCode { get; init; }
    public string? MessageId { get; init; }
    public required string Message { get; init; }
    public string? ErrorDataClass { get; init; }
    public IReadOnlyList<RecordedValue>? ErrorData { get; init; }
    public required string ExceptionType { get; init; }
    /// <summary>Our classification when recorded (for the reader; replay classifies again from the codes).</summary>
    public string? ClassifiedAs { get; init; }
}
