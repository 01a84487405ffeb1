using System.CommandLine;
using System.CommandLine.Parsing;

namespace Audit.Cli;

/// <summary>Checks made while parsing, so that a wrong command line is exit 64 with one sentence per problem before any
/// work starts: ranges of one option, and options checked together by a command's validator.</summary>
internal static class OptionChecks
{
    /// <summary>An integer option accepting <paramref name="min"/> to <paramref name="max"/>: "NAME N must be between MIN and MAX[ unit]".</summary>
    public static Option<int> Between(this Option<int> option, int min, int max, string unit = "")
    {
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is var value && (value < min || value > max))
            {
                r.AddError($"{option.Name} {value} must be between {min} and {max}{unit}");
            }
        });
        return option;
    }

    /// <summary>A check of <paramref name="cmd"/>'s options together, while parsing (exit 64 before any work). A value that
    /// does not convert (--parallel abc) is left to the parser, which reports it in its words.</summary>
    public static void Validate(Command cmd, Action<CommandResult> check)
    {
        cmd.Validators.Add(r =>
        {
            try
            {
                check(r);
            }
            catch (InvalidOperationException)
            {
                // Reading the options' values found one that does not convert: already a parse error.
            }
        });
    }

    /// <summary>The value of <paramref name="option"/> as given, else its default: a command's validators run before the
    /// parser fills in defaults, when <see cref="SymbolResult.GetValue{T}(Option{T})"/> still gives default(T).</summary>
    public static T? ValueOf<T>(SymbolResult r, Option<T> option) =>
        r.GetResult(option) is { } given ? given.GetValueOrDefault<T>() : option.HasDefaultValue ? (T?)option.GetDefaultValue() : default;
}
