using System.Text.Json;
using System.Text.Json.Serialization;

namespace Audit.Core;

/// <summary>The one set of System.Text.Json options for every file we read and write: camelCase, strict, deterministic.</summary>
public static class AuditJson
{
    public static readonly JsonSerializerOptions Options = Create(indented: true);
    public static readonly JsonSerializerOptions Compact = Create(indented: false);

    /// <summary><see cref="Options"/> for reading input files: repeated short strings share one object while
    /// <see cref="Loading.SharedStrings.Begin"/> is in effect on the reading thread (<see cref="Loading.JsonFileLoader"/>).</summary>
    public static readonly JsonSerializerOptions Reading = Create(indented: true, new Loading.SharedStrings());

    private static JsonSerializerOptions Create(bool indented, JsonConverter? converter = null)
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = false,
            AllowDuplicateProperties = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = indented,
            IndentSize = 2,
            NewLine = "\n",
            MaxDepth = 64,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            NumberHandling = JsonNumberHandling.Strict,
            RespectNullableAnnotations = true,
        };
        if (converter is not null)
        {
            o.Converters.Add(converter);
        }
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
