using System.Text;
using System.Text.Json;

namespace Audit.Tests.Common;

/// <summary>
/// Seeded, deterministic mutations of a JSON document for fuzz tests of the loaders: truncation, byte flips and invalid
/// UTF-8, wrong value types, deep nesting, huge strings, duplicate keys, BOMs, numbers out of range, control characters,
/// comments and trailing commas, deleted and inserted punctuation. The same seed gives the same mutation, so a failing
/// case reproduces from the seed printed with it.
/// </summary>
public static class JsonMutator
{
    public sealed record Mutation(int Seed, string Kind, byte[] Bytes)
    {
        public override string ToString() => $"seed {Seed}: {Kind}";
    }

    private static readonly string[] Kinds =
    [
        "truncate", "flip byte", "invalid utf-8", "wrong type", "deep nesting", "huge string", "duplicate key", "bom",
        "number out of range", "control character", "comment or trailing comma", "delete span", "insert punctuation", "swap tokens",
    ];

    public static IReadOnlyList<string> AllKinds => Kinds;

    /// <summary>Mutation number <paramref name="seed"/> of <paramref name="original"/>: the kind cycles through <see cref="AllKinds"/>.</summary>
    public static Mutation Mutate(byte[] original, int seed)
    {
        var rng = new Random(seed);
        var kind = Kinds[seed % Kinds.Length];
        var tokens = Tokens(original);
        byte[] result = kind switch
        {
            "truncate" => original[..rng.Next(0, original.Length)],
            "flip byte" => Flip(original, rng),
            "invalid utf-8" => InvalidUtf8(original, rng),
            "wrong type" => Replace(original, Pick(tokens, rng, t => t.IsValue), WrongValue(rng)),
            "deep nesting" => Nest(original, Pick(tokens, rng, t => t.IsValue), rng),
            "huge string" => Replace(original, Pick(tokens, rng, t => t.Type == JsonTokenType.String), "\"" + new string((char)('a' + rng.Next(26)), rng.Next(100_000, 2_000_000)) + "\""),
            "duplicate key" => DuplicateKey(original, tokens, rng),
            "bom" => Bom(original, rng),
            "number out of range" => Replace(original, Pick(tokens, rng, t => t.Type == JsonTokenType.Number || t.IsValue),
                rng.Pick(["1e400", "-1e400", "99999999999999999999999999999999", "-99999999999999999999999999999999", "2147483648", "-2147483649", "9223372036854775808", "1.5", "-0", "1E-400", "0.0000000000000000000000000000000000001"])),
            "control character" => Replace(original, Pick(tokens, rng, t => t.Type == JsonTokenType.String), "\"a\u0001b\u0000c\u001b[31m\""),
            "comment or trailing comma" => Insert(original, Pick(tokens, rng, _ => true).End, rng.Pick(["/* c */", "// c\n", ",", ", }", ",]"])),
            "delete span" => DeleteSpan(original, rng),
            "insert punctuation" => Insert(original, rng.Next(0, original.Length + 1), rng.Pick(["{", "}", "[", "]", ":", ",", "\"", "\\", "nul", "tru", "-", "."])),
            _ => SwapTokens(original, tokens, rng),
        };
        return new Mutation(seed, kind, result);
    }

    private static T Pick<T>(this Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    private readonly record struct Token(JsonTokenType Type, int Start, int End)
    {
        public bool IsValue => Type is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null
            or JsonTokenType.StartObject or JsonTokenType.StartArray;
    }

    /// <summary>Every token with its byte span; containers span to their end.</summary>
    private static List<Token> Tokens(byte[] utf8)
    {
        var list = new List<Token>();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
        var open = new Stack<int>();
        while (reader.Read())
        {
            var start = (int)reader.TokenStartIndex;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    open.Push(list.Count);
                    list.Add(new Token(reader.TokenType, start, start + 1));
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    var i = open.Pop();
                    list[i] = list[i] with { End = (int)reader.BytesConsumed };
                    break;
                default:
                    list.Add(new Token(reader.TokenType, start, (int)reader.BytesConsumed));
                    break;
            }
        }
        return list;
    }

    private static Token Pick(List<Token> tokens, Random rng, Func<Token, bool> where)
    {
        var candidates = tokens.Where(where).ToList();
        return candidates.Count == 0 ? new Token(JsonTokenType.None, 0, 0) : candidates[rng.Next(candidates.Count)];
    }

    private static byte[] Replace(byte[] original, Token t, string with) =>
        [.. original[..t.Start], .. Encoding.UTF8.GetBytes(with), .. original[t.End..]];

    private static byte[] Insert(byte[] original, int at, string text) =>
        [.. original[..at], .. Encoding.UTF8.GetBytes(text), .. original[at..]];

    private static string WrongValue(Random rng) => rng.Pick(["\"x\"", "\"\"", "0", "-1", "3.25", "true", "false", "null", "{}", "[]", "[1, \"a\", null]", "{\"unexpected\": 1}"]);

    private static byte[] Flip(byte[] original, Random rng)
    {
        var copy = (byte[])original.Clone();
        if (copy.Length > 0)
        {
            copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
        }
        return copy;
    }

    private static byte[] InvalidUtf8(byte[] original, Random rng)
    {
        byte[][] bad = [[0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE2, 0x82]];
        var at = rng.Next(original.Length + 1);
        return [.. original[..at], .. rng.Pick(bad), .. original[at..]];
    }

    private static byte[] Nest(byte[] original, Token t, Random rng)
    {
        var depth = rng.Pick([8, 40, 63, 64, 65, 200, 5_000, 100_000]);
        var open = rng.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        var value = Encoding.UTF8.GetString(original, t.Start, t.End - t.Start);
        var sb = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            sb.Append(open);
        }
        sb.Append(value);
        for (var i = 0; i < depth; i++)
        {
            sb.Append(close);
        }
        return Replace(original, t, sb.ToString());
    }

    private static byte[] DuplicateKey(byte[] original, List<Token> tokens, Random rng)
    {
        var names = tokens.Select((t, i) => (t, i)).Where(x => x.t.Type == JsonTokenType.PropertyName && x.i + 1 < tokens.Count).ToList();
        if (names.Count == 0)
        {
            return original;
        }
        var (name, index) = rng.Pick(names);
        var value = tokens[index + 1];
        var pair = Encoding.UTF8.GetString(original, name.Start, value.End - name.Start);
        return Insert(original, name.Start, pair + ", ");
    }

    private static byte[] Bom(byte[] original, Random rng) => rng.Next(5) switch
    {
        0 => [0xEF, 0xBB, 0xBF, .. original],
        1 => [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, .. original],
        2 => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(original))],
        3 => [0xFE, 0xFF, .. original],
        _ => Insert(original, original.Length / 2, "\uFEFF"),
    };

    private static byte[] DeleteSpan(byte[] original, Random rng)
    {
        if (original.Length == 0)
        {
            return original;
        }
        var start = rng.Next(original.Length);
        var length = rng.Next(1, Math.Min(64, original.Length - start) + 1);
        return [.. original[..start], .. original[(start + length)..]];
    }

    private static byte[] SwapTokens(byte[] original, List<Token> tokens, Random rng)
    {
        var scalars = tokens.Where(t => t.Type is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null).ToList();
        if (scalars.Count < 2)
        {
            return original;
        }
        var a = rng.Pick(scalars);
        var b = rng.Pick(scalars);
        if (a.Start > b.Start)
        {
            (a, b) = (b, a);
        }
        if (a.Start == b.Start)
        {
            return original;
        }
        return [.. original[..a.Start], .. original[b.Start..b.End], .. original[a.End..b.Start], .. original[a.Start..a.End], .. original[b.End..]];
    }
}
