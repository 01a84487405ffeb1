namespace Audit.Generator;

/// <summary>
/// SplitMix64: a tiny pseudo-random generator whose sequence is fixed by this code alone, so a seed gives the same
/// estate on every runtime and platform (System.Random's algorithm is an implementation detail).
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, maxExclusive).</summary>
    public int Next(int maxExclusive) => maxExclusive <= 0 ? 0 : (int)(NextUInt64() % (ulong)maxExclusive);

    /// <summary>Uniform in [min, maxInclusive].</summary>
    public int Next(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>One of <paramref name="items"/>, each as likely as the others.</summary>
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>One of <paramref name="items"/>, each with its weight.</summary>
    public T Weighted<T>(IReadOnlyList<(T Item, int Weight)> items)
    {
        var total = items.Sum(i => i.Weight);
        var x = Next(total);
        foreach (var (item, weight) in items)
        {
            if (x < weight)
            {
                return item;
            }
            x -= weight;
        }
        return items[^1].Item;
    }

    /// <summary>A copy of <paramref name="items"/> in a random order (Fisher-Yates).</summary>
    public List<T> Shuffled<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    /// <summary>Exactly round(<paramref name="rate"/> x count) of <paramref name="items"/>, chosen at random.</summary>
    public HashSet<T> Quota<T>(IEnumerable<T> items, double rate)
    {
        var list = items.ToList();
        var n = (int)Math.Round(rate * list.Count, MidpointRounding.AwayFromZero);
        return [.. Shuffled(list).Take(n)];
    }

    /// <summary>A random GUID drawn from this generator, so it too is fixed by the seed.</summary>
    public Guid NextGuid()
    {
        Span<byte> b = stackalloc byte[16];
        BitConverter.TryWriteBytes(b, NextUInt64());
        BitConverter.TryWriteBytes(b[8..], NextUInt64());
        b[7] = (byte)((b[7] & 0x0F) | 0x40);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        return new Guid(b);
    }
}
