using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// Test-only faulty entry: x86_64 bits, except that <see cref="SetFlags"/> on a huge page forgets to change the Execute
/// permission. 4K pages are right, so no failure can come from a 4K-focus batch that never maps a huge page.
/// </summary>
public struct HugeForgetsExecuteX64Pte : IGenericPte<HugeForgetsExecuteX64Pte>
{
    private X64Pte _inner;

    public static HugeForgetsExecuteX64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) => new() { _inner = X64Pte.NewPage(paddr, flags, isHuge) };

    public static HugeForgetsExecuteX64Pte NewTable(PhysAddr paddr) => new() { _inner = X64Pte.NewTable(paddr) };

    public static HugeForgetsExecuteX64Pte Empty => default;

    public readonly PhysAddr Paddr => _inner.Paddr;

    public readonly MappingFlags Flags => _inner.Flags;

    public void SetPaddr(PhysAddr paddr) => _inner.SetPaddr(paddr);

    public void SetFlags(MappingFlags flags, bool isHuge)
    {
        if (isHuge) flags = (flags & ~MappingFlags.Execute) | (_inner.Flags & MappingFlags.Execute);
        _inner.SetFlags(flags, isHuge);
    }

    public readonly ulong Bits => _inner.Bits;

    public readonly bool IsUnused => _inner.IsUnused;

    public readonly bool IsPresent => _inner.IsPresent;

    public readonly bool IsProtNone => _inner.IsProtNone;

    public readonly bool IsHuge => _inner.IsHuge;

    public void Clear() => _inner.Clear();
}

public sealed class CampaignReplayTests
{
    internal static IImplTable Faulty(TableKind kind, FrameArena arena) => ImplTable<X64PagingMetaData, HugeForgetsExecuteX64Pte>.Create(arena, kind);

    /// <summary>
    /// A fault planted in a test-only variant is found by the campaign (two workers); the printed replay command, parsed
    /// as the campaign parses it, runs that one batch again and gives the same shrunk sequence.
    /// </summary>
    [Fact]
    public void ThePrintedReplayReproducesTheShrunkSequenceExactly()
    {
        var options = new CampaignOptions { Tables = [TableKind.X64], Seed = 12, Seconds = 90, Batch = 20, MaxLength = 20, Workers = 2, Walkers = false };

        var found = Campaign.Run(options, TextWriter.Null, terminal: false, Faulty);

        var failure = Assert.IsType<CampaignFailure>(found.Failure);
        Assert.NotNull(failure.Shrunk);
        Assert.NotEqual(Campaign.BatchAt(options, 0), failure.Batch); // not the first batch: the replay must carry size and operation
        Assert.StartsWith("dotnet run -c Release --project tools/Campaign -- --replay X64,", failure.ReplayCommand, StringComparison.Ordinal);

        string[] args = failure.ReplayCommand["dotnet run -c Release --project tools/Campaign -- ".Length..].Split(' ');
        var replayOptions = CampaignOptions.Parse(args);
        Assert.Equal(failure.Batch, replayOptions.Replay);

        var replayed = Campaign.Run(replayOptions, TextWriter.Null, terminal: false, Faulty);

        var again = Assert.IsType<CampaignFailure>(replayed.Failure);
        Assert.Equal(failure.Batch, again.Batch);
        Assert.Equal(failure.Shrunk.ToString(), again.Shrunk?.ToString());
        Assert.Equal(failure.ReplayCommand, again.ReplayCommand);
        Assert.Equal(1, replayed.Batches);
    }

    [Theory]
    [InlineData("--seconds abc", "--seconds takes a positive number of seconds, not 'abc'")]
    [InlineData("--batch 0", "--batch takes a whole number from 1 to 2147483647, not '0'")]
    [InlineData("--tables X64,Foo", "--tables: unknown table 'Foo'")]
    [InlineData("--replay X64,4K,Map,1,2", "--replay: gamma 2 is even")]
    [InlineData("--replay X64,3M,Map,1,3", "--replay: unknown page size '3M'")]
    [InlineData("--max-length", "--max-length needs a value")]
    [InlineData("--frobnicate", "unknown option '--frobnicate'")]
    public void BadOptionsNameTheOption(string line, string message)
    {
        var error = Assert.Throws<CampaignOptionException>(() => CampaignOptions.Parse(line.Split(' ')));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchesDependOnTheSeedAlone()
    {
        var options = new CampaignOptions { Seed = 5 };
        Assert.Equal(Campaign.BatchAt(options, 200), Campaign.BatchAt(options with { Workers = 7 }, 200));
        Assert.NotEqual(Campaign.BatchAt(options, 200), Campaign.BatchAt(options with { Seed = 6 }, 200));
        Assert.All(Enumerable.Range(0, 300), n => Assert.Equal(1UL, Campaign.BatchAt(options, n).Gamma % 2));
        Assert.Equal((TableKind.X64, PageSize.Size2M, OpKind.Unmap), (Campaign.BatchAt(options, 10).Table, Campaign.BatchAt(options, 10).Size, Campaign.BatchAt(options, 10).Focus));
    }

    [Fact]
    public void FlagsShrinkTowardFewerBits()
    {
        var fewer = Shrinker.FewerBits(MappingFlags.Read | MappingFlags.Write | MappingFlags.User).ToArray();
        Assert.Equal([MappingFlags.Read | MappingFlags.Write, MappingFlags.Read | MappingFlags.User, MappingFlags.Write | MappingFlags.User], fewer);
        Assert.Empty(Shrinker.FewerBits(MappingFlags.None));
    }

    [Fact]
    public void RegressionNamesDifferWhenTheStepsDo()
    {
        var a = new OpSequence(TableKind.X64, [new MapOp(0x1000, 0x2000, PageSize.Size4K, MappingFlags.Read)]);
        var b = new OpSequence(TableKind.X64, [new MapOp(0x1000, 0x3000, PageSize.Size4K, MappingFlags.Read)]);
        Assert.NotEqual(a.TestName, b.TestName);
        Assert.Equal(a.TestName, new OpSequence(TableKind.X64, [new MapOp(0x1000, 0x2000, PageSize.Size4K, MappingFlags.Read)]).TestName);
        Assert.Matches("^Regression_X64_1ops_[0-9a-f]{8}$", a.TestName);
    }
}
