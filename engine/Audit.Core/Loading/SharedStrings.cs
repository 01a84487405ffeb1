using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Audit.Core.Loading;

/// <summary>
/// One string object for each distinct short value of a document being read: a snapshot repeats the same few values
/// hundreds of thousands of times (VM states, disk formats, integration service names, KB numbers, update descriptions,
/// "NT AUTHORITY\SYSTEM"), and System.Text.Json allocates each occurrence anew. About four fifths of the string memory
/// of a generated 1,000-host snapshot is such repeats (74 of 93 MB), and it stays live as long as the model does.
/// Sharing is on only inside <see cref="Begin"/> on the reading thread (<see cref="JsonFileLoader"/>); elsewhere the
/// converter reads strings as System.Text.Json does. Values longer than <see cref="MaxBytes"/> UTF-8 bytes, escaped
/// values, and new values once <see cref="MaxEntries"/> are known are read as usual; strings are immutable, so sharing
/// one object changes no value.
/// </summary>
public sealed class SharedStrings : JsonConverter<string?>
{
    /// <summary>Longest value (UTF-8 bytes) looked up.</summary>
    public const int MaxBytes = 64;

    /// <summary>Distinct values kept per document.</summary>
    public const int MaxEntries = 200_000;

    [ThreadStatic]
    private static Pool? t_pool;

    /// <summary>Shares strings read on this thread until the returned scope is disposed.</summary>
    public static Scope Begin()
    {
        var previous = t_pool;
        t_pool = new Pool();
        return new Scope(previous);
    }

    /// <inheritdoc/>
    public override bool HandleNull => false;

    /// <inheritdoc/>
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (t_pool is { } pool && reader.TokenType == JsonTokenType.String && !reader.HasValueSequence && !reader.ValueIsEscaped
            && reader.ValueSpan.Length <= MaxBytes)
        {
            return pool.Get(ref reader);
        }
        return Default.Read(ref reader, typeToConvert, options);
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => Default.Write(writer, value, options);

    /// <inheritdoc/>
    public override string? ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Default.ReadAsPropertyName(ref reader, typeToConvert, options);

    /// <inheritdoc/>
    public override void WriteAsPropertyName(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) =>
        Default.WriteAsPropertyName(writer, value!, options);

    private static JsonConverter<string?> Default => JsonMetadataServices.StringConverter;

    /// <summary>Ends sharing on the thread (the values already read stay shared).</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Pool? _previous;

        internal Scope(Pool? previous) => _previous = previous;

        /// <inheritdoc/>
        public void Dispose() => t_pool = _previous;
    }

    internal sealed class Pool
    {
        private readonly Dictionary<byte[], string> _values = new(Utf8Comparer.Instance);
        private readonly Dictionary<byte[], string>.AlternateLookup<ReadOnlySpan<byte>> _byUtf8;

        public Pool() => _byUtf8 = _values.GetAlternateLookup<ReadOnlySpan<byte>>();

        public string Get(ref Utf8JsonReader reader)
        {
            var utf8 = reader.ValueSpan;
            if (_byUtf8.TryGetValue(utf8, out var known))
            {
                return known;
            }
            var value = reader.GetString()!;
            if (_values.Count < MaxEntries)
            {
                _byUtf8[utf8] = value;
            }
            return value;
        }
    }

    private sealed class Utf8Comparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly Utf8Comparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
