using System.Text;
using Audit.Tests.Common;

namespace Audit.Core.Tests;

public class AtomicFileTests
{
    [Fact]
    public void A_set_of_files_is_replaced_together_or_not_at_all()
    {
        using var dir = new TempDir();
        var a = Path.Combine(dir.Path, "a.txt");
        var b = Path.Combine(dir.Path, "b.txt");
        File.WriteAllText(a, "old a");
        File.WriteAllText(b, "old b");

        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteAll(
        [
            (a, s => s.Write("new a"u8)),
            (b, s =>
            {
                s.Write("half of new b"u8);
                throw new InvalidOperationException("renderer failed");
            }),
        ]));
        Assert.Equal("renderer failed", e.Message);
        Assert.Equal("old a", File.ReadAllText(a));
        Assert.Equal("old b", File.ReadAllText(b));
        Assert.Equal(["a.txt", "b.txt"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        AtomicFile.WriteAll([(a, s => s.Write("new a"u8)), (b, s => s.Write(Encoding.UTF8.GetBytes("new b")))]);
        Assert.Equal("new a", File.ReadAllText(a));
        Assert.Equal("new b", File.ReadAllText(b));
        Assert.Equal(2, Directory.GetFiles(dir.Path).Length);
    }
}
