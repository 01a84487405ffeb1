using Audit.Core;

namespace Audit.Rules.Compilation;

/// <summary>
/// Tells why an expression did not parse, from what the parser did and what stands at the position it reported, never
/// from the wording of its message: Dynamic LINQ's ParseException carries a position and a text, no kind.
/// </summary>
internal static class ParseFailureCause
{
    /// <summary>Words Dynamic LINQ reads itself (keywords and built-in functions), which are never an unknown name.</summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "null", "it", "parent", "root", "iif", "new", "np", "is", "as", "cast", "and", "or", "not", "mod",
    };

    /// <summary>
    /// The diagnostic code of a failed parse. <paramref name="parsesWithoutResultType"/>: the same text parsed when no
    /// result type was required (so only its type was wrong). <paramref name="knownNames"/>: the inputs, lets and custom
    /// types an expression may name.
    /// </summary>
    public static string Of(string expression, int position, bool parsesWithoutResultType, IReadOnlySet<string> knownNames)
    {
        if (parsesWithoutResultType)
        {
            return DiagnosticCodes.ExpressionType;
        }
        if (IdentifierAt(expression, position) is not { } name)
        {
            return DiagnosticCodes.ExpressionSyntax;
        }
        // After a dot it names a member of what precedes it; alone it names an input, a let or a type.
        var before = position - 1;
        while (before >= 0 && char.IsWhiteSpace(expression[before]))
        {
            before--;
        }
        var isMember = before >= 0 && expression[before] == '.';
        return isMember || (!knownNames.Contains(name) && !Keywords.Contains(name)) ? DiagnosticCodes.UnknownMember : DiagnosticCodes.ExpressionSyntax;
    }

    private static string? IdentifierAt(string expression, int position)
    {
        if (position < 0 || position >= expression.Length || !(char.IsLetter(expression[position]) || expression[position] == '_'))
        {
            return null;
        }
        if (position > 0 && (char.IsLetterOrDigit(expression[position - 1]) || expression[position - 1] == '_'))
        {
            return null;
        }
        var end = position;
        while (end < expression.Length && (char.IsLetterOrDigit(expression[end]) || expression[end] == '_'))
        {
            end++;
        }
        return expression[position..end];
    }
}
