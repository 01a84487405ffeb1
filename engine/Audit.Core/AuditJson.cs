using System.Text.Json;
using System.Text.Json.Serialization;

namespace Audit.Core;

/// <summary>The one set of System.Text.Json options for every file we read and write: camelCase, strict, deterministic.</summary>
public static class AuditJson
{
    public static readonly JsonSerializerOptions Options = Create(indented: true);
    public static readonly JsonSerializerOptions Compact = Create(indented: false);

    private static JsonSerializerOptions Create(bool indented)
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
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
