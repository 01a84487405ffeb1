using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NJsonSchema;
using NJsonSchema.Validation;
using Audit.Core.Loading;

namespace Audit.Core.Schema;

/// <summary>
/// Schema validation of large documents, element by element, with the same diagnostics (message, path, line, column)
/// as validating the whole text at once.
/// <para>
/// NJsonSchema validates a Newtonsoft <c>JToken</c> tree of the whole document: for an 80 MB snapshot that tree costs
/// several GB of allocations and most of the load time, on one core. Big documents are big because of a few arrays
/// (hosts, directory computers), so each element of those arrays is validated on its own against its definition, in
/// parallel, from a text that puts it at its original line and column (spaces up to its column; its line numbers are
/// shifted by its starting line afterwards). The rest of the document (the "skeleton") is validated against a copy of the schema whose items for
/// those arrays accept anything; in it each element is replaced by <c>{}</c> padded with the element's own line breaks
/// and spaces, so every position after it is unchanged too.
/// </para>
/// </summary>
public static class SplitSchemaValidator
{
    /// <summary>An array whose elements are validated one by one: its property path from the root, where its items are in the schema, and the definition its items use.</summary>
    public sealed record Split(string[] DocumentPath, string[] SchemaItemsPath, string Definition);

    /// <summary>The arrays split per schema. Schemas not listed are validated whole.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<Split>> Splits = new Dictionary<string, IReadOnlyList<Split>>(StringComparer.Ordinal)
    {
        ["snapshot.v1.schema.json"] =
        [
            new(["hosts"], ["properties", "hosts", "items"], "host"),
            new(["directory", "computers"], ["definitions", "directory", "properties", "computers", "items"], "computer"),
        ],
    };

    /// <summary>Documents smaller than this are validated whole (splitting gains nothing there).</summary>
    public const int MinimumBytes = 256 * 1024;

    private static readonly ConcurrentDictionary<string, JsonSchema> Skeletons = new(StringComparer.Ordinal);

    private readonly record struct Element(int Split, int Index, int Start, int End);

    /// <summary>Errors of one split element: its path (hosts[3]) and what NJsonSchema found, or why it could not validate it.</summary>
    public sealed record ElementResult(string Path, ICollection<ValidationError> Errors, string? Failure, int LineOffset);

    public sealed record Result(ICollection<ValidationError> Skeleton, IReadOnlyList<ElementResult> Elements);

    /// <summary>Validates <paramref name="utf8"/> (valid UTF-8 and valid JSON, without BOM) against the named schema.</summary>
    public static Result Validate(ReadOnlySpan<byte> utf8, string schemaName, int maxDegreeOfParallelism = -1)
    {
        var splits = Splits[schemaName];
        var elements = FindElements(utf8, splits);
        var bytes = utf8.ToArray();

        // Line and column (in UTF-16 chars, as Newtonsoft counts) where each element starts.
        var starts = new (int Line, int Column)[elements.Count];
        var line = 0;
        var lineStart = 0;
        var pos = 0;
        for (var i = 0; i < elements.Count; i++)
        {
            for (; pos < elements[i].Start; pos++)
            {
                var b = bytes[pos];
                if (b == (byte)'\n' || (b == (byte)'\r' && (pos + 1 >= bytes.Length || bytes[pos + 1] != (byte)'\n')))
                {
                    line++;
                    lineStart = pos + 1;
                }
            }
            starts[i] = (line, Encoding.UTF8.GetCharCount(bytes, lineStart, elements[i].Start - lineStart));
        }

        var full = JsonFileLoader.Schema(schemaName);
        var results = new ElementResult[elements.Count];
        Parallel.For(0, elements.Count, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, i =>
        {
            var e = elements[i];
            var split = splits[e.Split];
            // Spaces up to the element's column keep columns on its first line; lines are shifted afterwards.
            var sb = new StringBuilder(starts[i].Column + (e.End - e.Start));
            sb.Append(' ', starts[i].Column);
            sb.Append(Encoding.UTF8.GetString(bytes, e.Start, e.End - e.Start));
            var path = $"{string.Join(".", split.DocumentPath)}[{e.Index}]";
            try
            {
                results[i] = new ElementResult(path, full.Definitions[split.Definition].Validate(sb.ToString()), null, starts[i].Line);
            }
            catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or InvalidCastException or OverflowException or FormatException or ArgumentException)
            {
                results[i] = new ElementResult(path, [], ex.Message, starts[i].Line);
            }
        });

        var skeleton = Skeleton(bytes, elements);
        try
        {
            return new Result(SkeletonSchema(schemaName).Validate(skeleton), results);
        }
        catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or InvalidCastException or OverflowException or FormatException or ArgumentException)
        {
            return new Result([], [.. results, new ElementResult("", [], ex.Message, 0)]);
        }
    }

    /// <summary>The document with each split element replaced by <c>{}</c> padded to the same line breaks and final column.</summary>
    private static string Skeleton(byte[] bytes, List<Element> elements)
    {
        var sb = new StringBuilder();
        var pos = 0;
        foreach (var e in elements)
        {
            sb.Append(Encoding.UTF8.GetString(bytes, pos, e.Start - pos));
            var lastBreak = -1;
            var breaks = new StringBuilder();
            for (var p = e.Start; p < e.End; p++)
            {
                if (bytes[p] is (byte)'\n' or (byte)'\r')
                {
                    breaks.Append((char)bytes[p]);
                    lastBreak = p;
                }
            }
            if (lastBreak < 0)
            {
                var chars = Encoding.UTF8.GetCharCount(bytes, e.Start, e.End - e.Start);
                sb.Append(chars >= 2 ? "{" + new string(' ', chars - 2) + "}" : "0");
            }
            else
            {
                var tail = Encoding.UTF8.GetCharCount(bytes, lastBreak + 1, e.End - lastBreak - 1);
                sb.Append('{').Append(breaks).Append(' ', Math.Max(0, tail - 1)).Append('}');
            }
            pos = e.End;
        }
        sb.Append(Encoding.UTF8.GetString(bytes, pos, bytes.Length - pos));
        return sb.ToString();
    }

    private sealed class Frame(bool isArray, string[]? documentPath, int split)
    {
        public bool IsArray { get; } = isArray;
        /// <summary>Property names from the root; null under an array (split paths never go through arrays).</summary>
        public string[]? DocumentPath { get; } = documentPath;
        public int Split { get; } = split;
        public int Count { get; set; }
    }

    private static List<Element> FindElements(ReadOnlySpan<byte> utf8, IReadOnlyList<Split> splits)
    {
        var list = new List<Element>();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = JsonFileLoader.MaxDepth });
        var stack = new List<Frame>();
        string? property = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = reader.GetString();
                    continue;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                default:
                    break;
            }
            var top = stack.Count > 0 ? stack[^1] : null;
            if (top is { Split: >= 0 })
            {
                var start = (int)reader.TokenStartIndex;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
                list.Add(new Element(top.Split, top.Count++, start, (int)reader.BytesConsumed));
                continue;
            }
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                string[]? docPath = top is null ? [] : top.IsArray || top.DocumentPath is null || property is null ? null : [.. top.DocumentPath, property];
                var which = -1;
                if (reader.TokenType == JsonTokenType.StartArray && docPath is not null)
                {
                    for (var s = 0; s < splits.Count; s++)
                    {
                        if (docPath.AsSpan().SequenceEqual(splits[s].DocumentPath))
                        {
                            which = s;
                        }
                    }
                }
                stack.Add(new Frame(reader.TokenType == JsonTokenType.StartArray, docPath, which));
            }
            property = null;
        }
        return list;
    }

    /// <summary>The schema with the items of every split array accepting anything (the elements are validated on their own).</summary>
    private static JsonSchema SkeletonSchema(string schemaName) => Skeletons.GetOrAdd(schemaName, static n =>
    {
        var root = JsonNode.Parse(JsonFileLoader.SchemaText(n))!;
        foreach (var split in Splits[n])
        {
            var node = root;
            foreach (var step in split.SchemaItemsPath[..^1])
            {
                node = node[step] ?? throw new InvalidOperationException($"schema {n} has no {string.Join("/", split.SchemaItemsPath)}");
            }
            node[split.SchemaItemsPath[^1]] = new JsonObject();
        }
        return JsonSchema.FromJsonAsync(root.ToJsonString()).GetAwaiter().GetResult();
    });
}
