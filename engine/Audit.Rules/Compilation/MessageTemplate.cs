using System.Text;
using Audit.Rules.Evaluation;

namespace Audit.Rules.Compilation;

/// <summary>
/// A rule message ("{entity} runs {actual}, expected {expected}") split once into literal text and placeholders, so that
/// filling it for each of a few hundred thousand verdicts is a concatenation, not a regular-expression replace.
/// </summary>
internal sealed class MessageTemplate
{
    private enum Part
    {
        Literal,
        Expected,
        Actual,
        Entity,
        Host,
        Title,
        Let,
    }

    private readonly (Part Part, string Text, int Let)[] _parts;

    private MessageTemplate((Part, string, int)[] parts) => _parts = parts;

    /// <summary>Splits <paramref name="template"/>; a name that is neither built in nor one of the rule's lets stays as written (load rejects those anyway).</summary>
    public static MessageTemplate Parse(string template, IReadOnlyList<CompiledLet> lets)
    {
        var parts = new List<(Part, string, int)>();
        var at = 0;
        foreach (System.Text.RegularExpressions.Match m in RuleSetLoader.Placeholder().Matches(template))
        {
            if (m.Index > at)
            {
                parts.Add((Part.Literal, template[at..m.Index], -1));
            }
            var name = m.Groups[1].Value;
            var let = -1;
            for (var i = 0; i < lets.Count && let < 0; i++)
            {
                let = lets[i].Name == name ? i : -1;
            }
            parts.Add(name switch
            {
                "expected" => (Part.Expected, "", -1),
                "actual" => (Part.Actual, "", -1),
                "entity" => (Part.Entity, "", -1),
                "host" => (Part.Host, "", -1),
                "title" => (Part.Title, "", -1),
                _ when let >= 0 => (Part.Let, "", let),
                _ => (Part.Literal, m.Value, -1),
            });
            at = m.Index + m.Length;
        }
        if (at < template.Length)
        {
            parts.Add((Part.Literal, template[at..], -1));
        }
        return new MessageTemplate([.. parts]);
    }

    /// <summary>The message for one check; <paramref name="values"/> holds the inputs then the lets, in declaration order.</summary>
    public string Fill(CompiledRule rule, Entity entity, string? expected, string? actual, object?[] values)
    {
        if (_parts.Length == 1 && _parts[0].Part == Part.Literal)
        {
            return _parts[0].Text;
        }
        // One builder per thread, reused: only the message itself is allocated.
        var sb = t_builder ??= new StringBuilder(256);
        sb.Clear();
        foreach (var (part, text, let) in _parts)
        {
            // A value placed in a sentence is cut at MaxPlaceholderLength: a 50 MB VM name must not make every message
            // of every rule 50 MB. The verdict keeps the whole entity key in its own field.
            sb.Append(Cut(part switch
            {
                Part.Literal => text,
                Part.Expected => expected ?? "(none)",
                Part.Actual => actual ?? "(none)",
                Part.Entity => entity.Id.Key,
                Part.Host => entity.Host ?? "(none)",
                Part.Title => rule.Definition.Title,
                _ => Evaluator.Format(values[rule.Inputs.Count + let]),
            }, MaxPlaceholderLength));
        }
        var message = sb.ToString();
        if (sb.Capacity > 64 * 1024)
        {
            t_builder = null;
        }
        return message;
    }

    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>Longest value placed into a message (characters).</summary>
    public const int MaxPlaceholderLength = 4096;

    /// <summary>The text cut at <paramref name="max"/> characters (never inside a surrogate pair), saying how many were left out.</summary>
    internal static string Cut(string s, int max)
    {
        if (s.Length <= max)
        {
            return s;
        }
        var n = char.IsHighSurrogate(s[max - 1]) ? max - 1 : max;
        return string.Concat(s.AsSpan(0, n), string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\u2026 [{s.Length - n:N0} more characters]"));
    }
}
