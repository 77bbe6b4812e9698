using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Flush;

/// <summary>
/// A port whose "flush everything" is <c>sfence.vma</c> with a register that holds 0 instead of <c>rs1 = x0</c>: a flush
/// of page 0 only (the classic RISC-V mistake). It behaves as <typeparamref name="TInner"/> otherwise.
/// </summary>
public readonly struct ZeroRegisterFullFlush<TInner> : IPagingMetaData where TInner : struct, IPagingMetaData
{
    public static int Levels => TInner.Levels;

    public static int PaMaxBits => TInner.PaMaxBits;

    public static int VaMaxBits => TInner.VaMaxBits;

    public static bool VaddrIsValid(ulong vaddr) => TInner.VaddrIsValid(vaddr);

    public static void FlushTlb(VirtAddr? vaddr) => TInner.FlushTlb(vaddr ?? new VirtAddr(0));

    public static bool BreakBeforeMake => TInner.BreakBeforeMake;

    public static void OnEntryWrite(nint entryHostAddress, ulong oldBits, ulong newBits) =>
        TInner.OnEntryWrite(entryHostAddress, oldBits, newBits);
}

/// <summary>
/// The TLB properties see what the mapping and walker properties cannot. Three test-only variants, each asserted both
/// ways: the equivalence property with the hardware walkers after every step passes with the variant, and the TLB
/// property fails with the rule it breaks.
/// <list type="number">
/// <item>A table told it is not live while an MMU walks it frees tables without invalidating (x86_64): clear, flush, free.</item>
/// <item>The same on AArch64 writes a block over a table descriptor (and one table over another) with no break.</item>
/// <item>A RISC-V port whose full flush is a per-page <c>sfence.vma</c>: non-leaf entries stay cached after a
/// table is replaced, and the freed table stays reachable.</item>
/// </list>
/// </summary>
public sealed class TlbVariantTests
{
    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithMaxTest(200).WithEndSize(30).WithReplay(20261130, 1357913579);

    private static Arbitrary<OpSequence> Sequences(TableKind kind) => Generators.Sequences(kind, PageSize.Size2M, OpKind.CopyFrom);

    private static void EquivalenceWithWalkersPasses(TableKind kind, Func<TableKind, FrameArena, IImplTable> factory)
    {
        var options = new RunOptions { ImplFactory = factory, AfterStep = HardwareCheck.For(kind) };
        var property = Prop.ForAll(Sequences(kind), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
        Check.One($"{kind} variant, equivalence and walkers", Fixed, property); // passes: the variant is invisible there
    }

    private static string TlbPropertyFails<TMeta, TPte>(TableKind kind, TlbVariant variant)
        where TMeta : struct, IPagingMetaData
        where TPte : unmanaged, IGenericPte<TPte>
    {
        var property = Prop.ForAll(Sequences(kind), seq => { new TlbRun<TMeta, TPte>(kind, seq.Ops.Length, variant).Run(seq.Ops); });
        var error = Record.Exception(() => Check.One($"{kind} variant, TLB", Fixed, property));
        Assert.NotNull(error);
        return error.Message;
    }

    private static IImplTable NotLive<TMeta, TPte>(TableKind kind, FrameArena arena)
        where TMeta : struct, IPagingMetaData
        where TPte : unmanaged, IGenericPte<TPte>
    {
        var table = ImplTable<TMeta, TPte>.Create(arena, kind);
        table.Table.Live = false;
        return table;
    }

    [Fact]
    public void FreeingBeforeTheFlushIsInvisibleToEquivalenceAndWalkers() =>
        EquivalenceWithWalkersPasses(TableKind.X64, NotLive<X64PagingMetaData, X64Pte>);

    [Fact]
    public void FreeingBeforeTheFlushIsCaughtByClearFlushFree()
    {
        string message = TlbPropertyFails<Observed<X64PagingMetaData>, X64Pte>(TableKind.X64, TlbVariant.NotLive);
        Assert.Contains("given back while the TLB still refers to it", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATableReplacedWithoutABreakIsInvisibleToEquivalenceAndWalkers() =>
        EquivalenceWithWalkersPasses(TableKind.A64, NotLive<A64PagingMetaData, A64Pte>);

    [Fact]
    public void ATableReplacedWithoutABreakIsCaughtByBreakBeforeMake()
    {
        string message = TlbPropertyFails<Observed<A64PagingMetaData>, A64Pte>(TableKind.A64, TlbVariant.NotLive);
        Assert.Contains("without break-before-make", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASplitThatLeavesTheHugePageCachedIsCaughtByThePageSizeRule()
    {
        // Not live: the split links its table without invalidating the 2M page, which a fill cached before the operation.
        var error = Record.Exception(() => TlbTruthProperties.Run(TableKind.X64, TlbTruthProperties.SplitThenChange[..2], seed: 1, TlbVariant.NotLive));
        Assert.IsType<TlbRuleException>(error);
        Assert.Contains("after a page-size change 0x200000 is cached as", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APerPageFlushAfterANonLeafChangeIsInvisibleToEquivalenceAndWalkers() =>
        EquivalenceWithWalkersPasses(TableKind.Sv39, (kind, arena) => ImplTable<ZeroRegisterFullFlush<Sv39PagingMetaData>, RiscVPte>.Create(arena, kind));

    [Fact]
    public void APerPageFlushAfterANonLeafChangeIsCaughtOnRiscV()
    {
        string message = TlbPropertyFails<ZeroRegisterFullFlush<Observed<Sv39PagingMetaData>>, RiscVPte>(TableKind.Sv39, TlbVariant.None);
        Assert.Contains("TLB still", message, StringComparison.Ordinal); // refers to a freed table, or holds stale entries
    }
}
