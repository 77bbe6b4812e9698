using FsCheck;
using FsCheck.Fluent;
using PageTableModel.Hardware;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// How a test-only entry format departs from a real one: the bits it stores for a leaf and for a table entry,
/// given the bits the real format would store. Reading is left to the real format, which these departures do not
/// disturb, so every query answers as if nothing were wrong.
/// </summary>
public interface IStoredBitsChange<TInner>
    where TInner : unmanaged, IGenericPte<TInner>
{
    /// <summary>Wraps raw bits as the real format's entry.</summary>
    static abstract TInner FromBits(ulong bits);

    /// <summary>What the faulty format stores for a leaf whose correct bits are <paramref name="correct"/>.</summary>
    static abstract ulong Leaf(ulong correct, bool isHuge);

    /// <summary>What the faulty format stores for a table entry whose correct bits are <paramref name="correct"/>.</summary>
    static abstract ulong Table(ulong correct);
}

/// <summary>The entry format <typeparamref name="TInner"/> storing what <typeparamref name="TChange"/> says.</summary>
public struct ChangedPte<TInner, TChange> : IGenericPte<ChangedPte<TInner, TChange>>
    where TInner : unmanaged, IGenericPte<TInner>
    where TChange : struct, IStoredBitsChange<TInner>
{
    private TInner _entry;

    public static ChangedPte<TInner, TChange> NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) =>
        new() { _entry = TChange.FromBits(TChange.Leaf(TInner.NewPage(paddr, flags, isHuge).Bits, isHuge)) };

    public static ChangedPte<TInner, TChange> NewTable(PhysAddr paddr) =>
        new() { _entry = TChange.FromBits(TChange.Table(TInner.NewTable(paddr).Bits)) };

    public static ChangedPte<TInner, TChange> Empty => default;

    public readonly PhysAddr Paddr => _entry.Paddr;

    public readonly MappingFlags Flags => _entry.Flags;

    public void SetPaddr(PhysAddr paddr) => _entry.SetPaddr(paddr);

    public void SetFlags(MappingFlags flags, bool isHuge)
    {
        TInner rewritten = _entry;
        rewritten.SetFlags(flags, isHuge);
        _entry = TChange.FromBits(TChange.Leaf(rewritten.Bits, isHuge));
    }

    public readonly ulong Bits => _entry.Bits;

    public readonly bool IsUnused => _entry.IsUnused;

    public readonly bool IsPresent => _entry.IsPresent;

    public readonly bool IsProtNone => _entry.IsProtNone;

    public readonly bool IsHuge => _entry.IsHuge;

    public void Clear() => _entry.Clear();
}

/// <summary>
/// x86_64 with PS (bit 7) written into every leaf, 4 KiB PTEs included, where bit 7 is the PAT bit (SDM Vol. 3A
/// Table 4-20): every 4 KiB page selects PAT entry 4..7 instead of 0..3. Under the power-on IA32_PAT, PA4..PA7 repeat
/// PA0..PA3 and nothing changes; under any PAT that uses its upper half (Linux sets PA5 = WP, PA7 = WT) the pages get
/// the wrong memory type.
/// </summary>
public struct PsOnEveryLeaf : IStoredBitsChange<X64Pte>
{
    public static X64Pte FromBits(ulong bits) => X64Pte.FromBits(bits);

    public static ulong Leaf(ulong correct, bool isHuge) => correct | (1UL << 7);

    public static ulong Table(ulong correct) => correct;
}

/// <summary>
/// AArch64 leaves with SH (bits 9:8) left 00: Normal cacheable memory becomes Non-shareable (Arm ARM D8.6), so other
/// cores' caches need not be coherent with it. Device and Non-cacheable memory ignore SH.
/// </summary>
public struct ShareabilityNotWritten : IStoredBitsChange<A64Pte>
{
    public static A64Pte FromBits(ulong bits) => A64Pte.FromBits(bits);

    public static ulong Leaf(ulong correct, bool isHuge) => correct & ~(0b11UL << 8);

    public static ulong Table(ulong correct) => correct;
}

/// <summary>
/// LoongArch64 directory entries written with a leaf's V (bit 0) and P (bit 7) besides the table's address: LDDIR takes
/// the entry as the next table's base and puts the index in bits 11:3 (LoongArch Reference Manual Vol. 1 §4.2.5.1,
/// §5.4), so the walk reads entry (index | 0x10) of the next table, not entry index, and a misaligned word.
/// </summary>
public struct LeafBitsInDirectoryEntries : IStoredBitsChange<La64Pte>
{
    public static La64Pte FromBits(ulong bits) => La64Pte.FromBits(bits);

    public static ulong Leaf(ulong correct, bool isHuge) => correct;

    public static ulong Table(ulong correct) => correct | (1UL << 7) | 1UL;
}

/// <summary>
/// Faults that only hand-written entry vectors used to catch, because the walkers did not look at the bits concerned:
/// model equivalence cannot see them (each is asserted), the walker properties now do.
/// </summary>
public sealed class NewWalkerRulesCatchVariants
{
    private static readonly Config Fixed =
        Config.QuickThrowOnFailure.WithMaxTest(150).WithEndSize(30).WithReplay(20261130, 123456789);

    private static void Run<TMeta, TPte>(TableKind kind, PageSize size, Action<StepContext>? afterStep, string name)
        where TMeta : struct, IPagingMetaData
        where TPte : unmanaged, IGenericPte<TPte>
    {
        var options = new RunOptions
        {
            ImplFactory = (_, arena) => ImplTable<TMeta, TPte>.Create(arena),
            AfterStep = afterStep,
        };
        var property = Prop.ForAll(Generators.Sequences(kind, size, OpKind.Map), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
        Check.One(name, Fixed, property);
    }

    private static string Caught(Action run)
    {
        Exception? error = Record.Exception(run);
        Assert.NotNull(error);
        Assert.Contains("hardware walk differs", error.Message, StringComparison.Ordinal);
        return error.Message;
    }

    [Fact]
    public void X64_PS_on_4K_leaves_is_invisible_to_the_model_and_to_the_power_on_PAT()
    {
        Run<X64PagingMetaData, ChangedPte<X64Pte, PsOnEveryLeaf>>(TableKind.X64, PageSize.Size4K, null, "x86 PS on 4K leaves, model only");
        Run<X64PagingMetaData, ChangedPte<X64Pte, PsOnEveryLeaf>>(
            TableKind.X64, PageSize.Size4K, HardwareCheck.For(TableKind.X64, new X64Walker()), "x86 PS on 4K leaves, power-on PAT");
    }

    [Fact]
    public void X64_PS_on_4K_leaves_is_caught_by_the_walker_properties()
    {
        string message = Caught(() => Run<X64PagingMetaData, ChangedPte<X64Pte, PsOnEveryLeaf>>(
            TableKind.X64, PageSize.Size4K, HardwareCheck.For(TableKind.X64), "x86 PS on 4K leaves, walker"));
        Assert.Contains("4K page", message, StringComparison.Ordinal);
        Assert.Contains("the MMU gives pa", message, StringComparison.Ordinal); // translated, with another memory type
    }

    [Fact]
    public void A64_shareability_not_written_is_invisible_to_the_model() =>
        Run<A64PagingMetaData, ChangedPte<A64Pte, ShareabilityNotWritten>>(TableKind.A64, PageSize.Size4K, null, "A64 SH=00, model only");

    [Fact]
    public void A64_shareability_not_written_is_caught_by_the_walker_properties()
    {
        string message = Caught(() => Run<A64PagingMetaData, ChangedPte<A64Pte, ShareabilityNotWritten>>(
            TableKind.A64, PageSize.Size4K, HardwareCheck.For(TableKind.A64), "A64 SH=00, walker"));
        Assert.Contains("Non-shareable", message, StringComparison.Ordinal);
    }

    [Fact]
    public void La64_leaf_bits_in_directory_entries_are_invisible_to_the_model() =>
        Run<La64PagingMetaData, ChangedPte<La64Pte, LeafBitsInDirectoryEntries>>(TableKind.La64, PageSize.Size4K, null, "La64 V|P in directories, model only");

    [Fact]
    public void La64_leaf_bits_in_directory_entries_are_caught_by_the_walker_properties()
    {
        string message = Caught(() => Run<La64PagingMetaData, ChangedPte<La64Pte, LeafBitsInDirectoryEntries>>(
            TableKind.La64, PageSize.Size4K, HardwareCheck.For(TableKind.La64), "La64 V|P in directories, walker"));
        Assert.Contains("not a table base", message, StringComparison.Ordinal);
    }
}
