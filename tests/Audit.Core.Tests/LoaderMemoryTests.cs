using System.Text;
using Audit.Tests.Common;
using Audit.Core.Loading;
using Audit.Core.Snapshots;

namespace Audit.Core.Tests;

/// <summary>
/// Memory bounds of the loader. <see cref="GC.GetTotalAllocatedBytes"/> counts every thread of the test process, so
/// these tests live in a collection that xunit runs alone, after the parallel ones: nothing else in this assembly
/// allocates while they measure (each test project runs in a process of its own).
/// </summary>
[Collection(MeasuredAloneDefinition.Name)]
public class LoaderMemoryTests
{
    [Fact]
    public void A_file_over_the_limit_is_refused_without_being_read()
    {
        using var dir = new TempDir();
        var path = dir.File("huge.json");
        using (var f = File.Create(path))
        {
            f.SetLength(8L << 30); // sparse: 8 GiB that reading would have to go through
        }
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var e = Assert.Throws<InputException>(() => SnapshotLoader.Load(path, new LoadOptions { MaxBytes = 1 << 20 }));
        // Reading 8 GiB would allocate at least a buffer's worth per read; refusing from the length allocates almost nothing.
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
        Assert.Equal(DiagnosticCodes.FileTooLarge, e.Diagnostics[0].Code);
        Assert.Contains("over the limit", e.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("bogus")]
    public void A_100_MB_string_neither_exhausts_memory_nor_crashes(string property)
    {
        var text = File.ReadAllText(RepoPaths.SampleSnapshot);
        var huge = new string('x', 100 * 1024 * 1024);
        var doc = text.Replace("\"name\": \"ZULU\"", $"\"{property}\": \"{huge}\"" + (property == "name" ? "" : ", \"name\": \"ZULU\""), StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(doc);
        doc = null;
        huge = null;
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        try
        {
            var loaded = SnapshotLoader.Parse(bytes, "big-string.json");
            Assert.Equal("name", property);
            Assert.Equal(100 * 1024 * 1024, loaded.Value.Hosts[0].Name.Length);
        }
        catch (InputException e)
        {
            Assert.Equal("bogus", property);
            var d = Assert.Single(e.Diagnostics);
            Assert.Contains("unknown property 'bogus'", d.Message, StringComparison.Ordinal);
            Assert.True(d.Line > 1);
        }
        // A handful of copies of the 100 MB value at most, not a blow-up.
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 2_500L * 1024 * 1024, $"allocated {allocated / 1048576} MiB");
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAloneDefinition
{
    public const string Name = "Measured alone (process-wide allocation counters)";
}
