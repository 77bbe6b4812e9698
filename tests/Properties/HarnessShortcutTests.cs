using PageTableModel;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>The harness's shortcuts must not change what it checks.</summary>
public sealed class HarnessShortcutTests
{
    /// <summary>State comparison uses flag numbers instead of texts: equal numbers exactly when equal texts.</summary>
    [Fact]
    public void FlagCodesAreEqualExactlyWhenFlagTextsAre()
    {
        for (int i = 0; i < 256; i++)
            for (int m = 0; m < 256; m++)
            {
                var impl = (MappingFlags)i;
                var model = (ModelFlags)m;
                Assert.Equal(Tables.FlagText(impl) == Tables.FlagText(model), Tables.FlagCode(impl) == Tables.FlagCode(model));
            }
    }

    private static readonly PageOp[] Sequence =
    [
        new MapOp(0x7000, 0x3000, PageSize.Size4K, MappingFlags.Read | MappingFlags.Write),
        new MapRegionOp(0x20_0000, 0x40_0000, 0x40_3000, MappingFlags.Read, AllowHuge: true, FlushByPage: false, Scramble: 0, Contiguous: true),
        new CopyFromOp(0, 0x1000, CopySource.Peer),
    ];

    /// <summary>What a run sees of its arena at each step: every byte, and where the root is.</summary>
    private static List<(ulong Root, byte[] Memory)> Observe(PageOp[] ops, Action<StepContext>? extra = null)
    {
        var seen = new List<(ulong, byte[])>();
        Equivalence.Run(TableKind.X64, ops, new RunOptions
        {
            AfterStep = ctx =>
            {
                seen.Add((ctx.Impl.RootPaddr.Value, ctx.Arena.Memory.ToArray()));
                extra?.Invoke(ctx);
            },
        });
        return seen;
    }

    /// <summary>
    /// Arenas are reused across runs on a thread. A run must see exactly what it would see in fresh arenas: the same
    /// frame addresses and every byte the same, even after an earlier run wrote into frames it never allocated.
    /// </summary>
    [Fact]
    public void ArenaReuseIsInvisibleToARun()
    {
        List<(ulong Root, byte[] Memory)>? fresh = null;
        Exception? failure = null;
        var thread = new Thread(() => // a new thread has no arenas to reuse
        {
            try
            {
                fresh = Observe(Sequence);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.NotNull(fresh);

        Observe(Sequence.Reverse().ToArray(), ctx =>
        {
            // A stray write where no table is, as a faulty table could make; the run itself still passes.
            ctx.Arena.WriteUInt64(ctx.Arena.BasePaddr + 4000UL * FrameArena.FrameSize, 0xdead_beef);
            ctx.Arena.WriteUInt64(ctx.Arena.BasePaddr + 40UL * FrameArena.FrameSize + 8, 0xdead_beef);
        });
        var reused = Observe(Sequence);

        Assert.Equal(fresh.Count, reused.Count);
        for (int i = 0; i < fresh.Count; i++)
        {
            Assert.Equal(fresh[i].Root, reused[i].Root);
            Assert.True(fresh[i].Memory.AsSpan().SequenceEqual(reused[i].Memory), $"arena bytes differ at step {i}");
        }
    }

    /// <summary>
    /// The state walk is repeated only when table bytes changed: a change made behind Impl's back (here the root
    /// entry of the low half cleared after step 1), followed by a step that changes nothing, must still be seen.
    /// </summary>
    [Fact]
    public void AChangedTableIsWalkedAgain()
    {
        PageOp[] ops =
        [
            new MapOp(0x7000, 0x3000, PageSize.Size4K, MappingFlags.Read),
            new MapOp(0x9000, 0x3000, PageSize.Size4K, MappingFlags.None), // InvalidFlags on both sides
        ];
        var options = new RunOptions
        {
            AfterStep = ctx =>
            {
                if (ctx.Step == 0) ctx.Arena.WriteUInt64(ctx.Impl.RootPaddr, 0);
            },
        };

        var error = Assert.Throws<EquivalenceException>(() => Equivalence.Run(TableKind.X64, ops, options));

        Assert.Contains("step 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("state differs", error.Message, StringComparison.Ordinal);
        Assert.Contains("only in Model (1 mappings): [0x7000 -> 0x3000 4K Read]", error.Message, StringComparison.Ordinal);
    }
}
