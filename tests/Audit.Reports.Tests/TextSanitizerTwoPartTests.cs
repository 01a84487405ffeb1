namespace Audit.Reports.Tests;

public class TextSanitizerTwoPartTests
{
    public static TheoryData<string, int, string> AroundTheCut => new()
    {
        { "KB-001 ", 5, "plain short" },
        { "KB-001 ", TextSanitizer.MaxDisplayLength - 7, "exactly at the limit" },
        { "KB-001 ", TextSanitizer.MaxDisplayLength - 6, "one over" },
        { "KB-001 ", 50 * 1024, "long" },
        { "KB-001 ", 50 * 1024, "emoji across the cut" },
        { "KB-001 ", 50 * 1024, "controls and lone surrogates" },
        { new string('R', TextSanitizer.MaxDisplayLength + 3), 10, "prefix longer than the limit" },
    };

    [Theory]
    [MemberData(nameof(AroundTheCut))]
    public void A_name_of_two_parts_is_the_name_of_their_concatenation(string prefix, int length, string what)
    {
        var text = what switch
        {
            "emoji across the cut" => new string('x', TextSanitizer.MaxDisplayLength - prefix.Length - 1) + string.Concat(Enumerable.Repeat("😀", length)),
            "controls and lone surrogates" => string.Concat(Enumerable.Repeat("a\n\t\u001b\ud800b", length / 5)),
            _ => new string('S', length),
        };
        Assert.Equal(TextSanitizer.Name(prefix + text), TextSanitizer.Name(prefix, text));
    }
}
