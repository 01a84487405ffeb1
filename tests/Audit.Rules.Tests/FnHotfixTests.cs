using Audit.Core.Snapshots;

namespace Audit.Rules.Tests;

/// <summary>
/// <see cref="Fn.HasKb"/> answers the same whether it scans a short hotfix list or looks a long one up through the
/// index it keeps per list, and an index never answers for a list that has grown since it was built.
/// </summary>
public class FnHotfixTests
{
    private static List<HotfixFacts> Hotfixes(params string[] ids) => [.. ids.Select(id => new HotfixFacts { Id = id })];

    public static TheoryData<int> Lengths => new() { 3, 8, 9, 200 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void A_KB_is_found_however_it_is_written_in_short_and_long_lists(int length)
    {
        var ids = Enumerable.Range(0, length - 3).Select(i => $"KB{4000000 + i}").Concat([" kb2770917 ", "3000850", "KB2919355"]).ToArray();
        var list = Hotfixes(ids);
        foreach (var asked in new[] { "KB2770917", "kb2770917", "2770917", " KB3000850", "KB2919355" })
        {
            Assert.True(Fn.HasKb(list, asked), $"{asked} in a list of {length}");
        }
        foreach (var asked in new[] { "KB277091", "KB27709170", "KB1", "KB" })
        {
            Assert.False(Fn.HasKb(list, asked), $"{asked} in a list of {length}");
        }
        Assert.True(Fn.HasAnyKb(list, ["KB1", "kb3000850"]));
        Assert.Equal(["KB2919355", "KB3000850"], Fn.InstalledOf(list, ["KB1", "KB2919355", "3000850"]));
    }

    [Fact]
    public void A_list_that_grew_after_it_was_indexed_is_indexed_again()
    {
        var list = Hotfixes([.. Enumerable.Range(0, 20).Select(i => $"KB{4000000 + i}")]);
        Assert.False(Fn.HasKb(list, "KB5034830"));
        list.Add(new HotfixFacts { Id = "KB5034830" });
        Assert.True(Fn.HasKb(list, "KB5034830"));
    }

    [Fact]
    public void Lists_with_the_same_content_are_answered_each_by_its_own_content()
    {
        var a = Hotfixes([.. Enumerable.Range(0, 20).Select(i => $"KB{4000000 + i}")]);
        var b = Hotfixes([.. Enumerable.Range(0, 20).Select(i => $"KB{5000000 + i}")]);
        Assert.True(Fn.HasKb(a, "KB4000019"));
        Assert.False(Fn.HasKb(b, "KB4000019"));
        Assert.True(Fn.HasKb(b, "KB5000019"));
        Assert.False(Fn.HasKb(a, "KB5000019"));
    }

    [Fact]
    public void A_missing_list_is_an_error_not_an_absence()
    {
        Assert.Throws<FactException>(() => Fn.HasKb(null, "KB2770917"));
    }

    [Fact]
    public void Versions_parsed_again_from_the_same_text_are_equal_and_a_bad_text_still_throws()
    {
        var text = "6.2.9200.16433";
        Assert.Equal(new Version(6, 2, 9200, 16433), Fn.Ver(text));
        Assert.Equal(new Version(6, 2, 9200, 16433), Fn.Ver(text));
        Assert.Equal("6.2", Fn.MajorMinor(text));
        Assert.Equal("6.2", Fn.MajorMinor(text));
        Assert.Equal("10.0", Fn.MajorMinor("10.0.17763"));
        var bad = "6.x";
        Assert.Throws<FactException>(() => Fn.Ver(bad));
        Assert.Throws<FactException>(() => Fn.Ver(bad));
        Assert.Throws<FactException>(() => Fn.MajorMinor(bad));
        Assert.Equal(new Version(6, 1), Fn.Ver(" 6.1 "));
    }
}
