using Audit.Tests.Common;
using Audit.Core.History;
using Audit.Core.Results;

namespace Audit.Core.Tests;

public class HistoryStoreTests
{
    private static readonly DateTimeOffset Night = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);

    private static ResultsDocument At(DateTimeOffset collectedAt, string marker = "") => new()
    {
        Run = new RunInfo { ToolVersion = marker, Snapshot = new SnapshotRef { CollectedAt = collectedAt } },
        Summary = SummaryCalculator.Compute([], Severity.High),
    };

    [Fact]
    public void Entries_are_named_from_the_snapshot_time_and_never_overwritten()
    {
        using var dir = new TempDir();
        using var store = HistoryStore.Open(dir.Path, TimeSpan.Zero);
        var first = store.Store(At(Night.ToOffset(TimeSpan.FromHours(2)), "first"));
        var second = store.Store(At(Night, "second"));
        var third = store.Store(At(Night, "third"));
        Assert.Equal(["results-20261124T020000Z.json", "results-20261124T020000Z-2.json", "results-20261124T020000Z-3.json"], new[] { first.Name, second.Name, third.Name });
        Assert.Equal("first", ResultsLoader.Load(first.Path).Value.Run.ToolVersion);
        Assert.Equal("third", ResultsLoader.Load(third.Path).Value.Run.ToolVersion);
        // Nothing half-written is left behind.
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Entries_sort_by_snapshot_time_then_suffix_and_pruning_keeps_the_newest()
    {
        using var dir = new TempDir();
        using var store = HistoryStore.Open(dir.Path, TimeSpan.Zero);
        for (var i = 0; i < 12; i++)
        {
            store.Store(At(Night.AddDays(i % 6)));
        }
        File.WriteAllText(dir.File("notes.txt"), "not an entry");
        File.WriteAllText(dir.File("results-latest.json"), "not an entry either");
        var entries = store.Entries();
        Assert.Equal(12, entries.Count);
        Assert.Equal(entries.OrderBy(e => e.CollectedAt).ThenBy(e => e.Suffix), entries);
        Assert.Equal("results-20261129T020000Z-2.json", entries[^1].Name);

        var deleted = store.Prune(5);
        Assert.Equal(7, deleted.Count);
        Assert.Equal(["results-20261127T020000Z-2.json", "results-20261128T020000Z.json", "results-20261128T020000Z-2.json", "results-20261129T020000Z.json", "results-20261129T020000Z-2.json"],
            store.Entries().Select(e => e.Name));
        Assert.True(File.Exists(dir.File("notes.txt")));
    }

    [Fact]
    public void Pruning_never_removes_the_run_just_stored_even_when_its_snapshot_is_older()
    {
        using var dir = new TempDir();
        using var store = HistoryStore.Open(dir.Path, TimeSpan.Zero);
        store.Store(At(Night.AddDays(1)));
        store.Store(At(Night.AddDays(2)));
        var reaudit = store.Store(At(Night));
        store.Prune(2, reaudit);
        Assert.Equal([reaudit.Name, "results-20261126T020000Z.json"], store.Entries().Select(e => e.Name));
    }

    [Fact]
    public void A_second_opener_fails_clearly_when_it_cannot_wait()
    {
        using var dir = new TempDir();
        using (HistoryStore.Open(dir.Path, TimeSpan.Zero))
        {
            var e = Assert.Throws<HistoryLockedException>(() => HistoryStore.Open(dir.Path, TimeSpan.FromMilliseconds(300)));
            Assert.Contains("in use by another audit run", e.Message, StringComparison.Ordinal);
        }
        // Released on dispose: the next run gets in at once.
        using var again = HistoryStore.Open(dir.Path, TimeSpan.Zero);
    }

    [Fact]
    public async Task Racing_runs_are_serialised_each_sees_the_previous_and_none_is_lost()
    {
        using var dir = new TempDir();
        const int runs = 8;
        using var start = new ManualResetEventSlim();
        var seen = new int[runs];
        using var ready = new CountdownEvent(runs);
        // Dedicated threads, released together, so the runs really overlap.
        var tasks = Enumerable.Range(0, runs).Select(i => Task.Factory.StartNew(() =>
        {
            ready.Signal();
            start.Wait();
            using var store = HistoryStore.Open(dir.Path, TimeSpan.FromSeconds(30));
            seen[i] = store.Entries().Count;
            Thread.Sleep(50);
            store.Store(At(Night, $"run{i}"));
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        ready.Wait();
        start.Set();
        await Task.WhenAll(tasks);
        using var check = HistoryStore.Open(dir.Path, TimeSpan.Zero);
        var entries = check.Entries();
        Assert.Equal(runs, entries.Count);
        // Under the lock each run saw a different number of earlier runs: 0, 1, ..., runs-1.
        Assert.Equal(Enumerable.Range(0, runs), seen.Order());
        Assert.Equal(runs, entries.Select(e => ResultsLoader.Load(e.Path).Value.Run.ToolVersion).Distinct().Count());
    }
}
