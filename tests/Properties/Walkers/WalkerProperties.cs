using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// Raw-memory truth: after every step of every generated sequence, an independent walker reading Impl's arena
/// agrees with the model (translation, page size, memory type, and which accesses fault), for every table type
/// and page size.
/// </summary>
public sealed class WalkerProperties
{
    public static TheoryData<TableKind, PageSize> Cases()
    {
        var data = new TheoryData<TableKind, PageSize>();
        foreach (var kind in Tables.All)
            foreach (var size in Tables.PageSizes)
                data.Add(kind, size);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HardwareWalkAgreesWithModel(TableKind table, PageSize size)
    {
        var options = new RunOptions { AfterStep = HardwareCheck.For(table) };
        var property = Prop.ForAll(Generators.Sequences(table, size, null), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
        Check.One($"{table} {size} walker", PropertySettings.Config, property);
    }

    /// <summary>
    /// Splits walked in full: a 2M page and a 1G page cut in several ways (a 4K page protected to Device, a guard page,
    /// a range across two 2M pieces, a 2M-aligned 2M range), and after every step every mapping of the model, not a
    /// sample, at its first, middle and last byte for every access.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryPieceOfASplitWalksAsTheModelSays(TableKind table)
    {
        const MappingFlags R = MappingFlags.Read;
        PageOp[] ops =
        [
            new MapOp(0x20_0000, 0x4000_0000, PageSize.Size2M, R | MappingFlags.Write | MappingFlags.Execute | MappingFlags.User),
            new ProtectRegionOp(0x20_3000, 0x1000, R | MappingFlags.Device, FlushByPage: false),
            new UnmapRegionOp(0x20_5000, 0x1000, FlushByPage: true),
            new MapOp(0x4000_0000, 0x8000_0000, PageSize.Size1G, R | MappingFlags.Uncached),
            new ProtectRegionOp(0x4020_1000, 0x20_0000, R | MappingFlags.Write, FlushByPage: false),
            new UnmapRegionOp(0x4060_0000, 0x20_0000, FlushByPage: false),
        ];
        Equivalence.Run(table, ops, new RunOptions { AfterStep = HardwareCheck.For(table, maxMappings: 4096) });
    }

    public static TheoryData<TableKind> Kinds() => new(Tables.All);
}

/// <summary>
/// Test-only x86_64 entry with the Write permission moved from R/W (bit 1) to bit 9 (an ignored bit), in encode
/// and decode alike: every query answers as if nothing were wrong, but the MMU would refuse every write. A PROT_NONE
/// leaf grants no write to move and is stored as <see cref="X64Pte"/> stores it (bit 9 is its marker there).
/// </summary>
public struct MovedWriteBitX64Pte : IGenericPte<MovedWriteBitX64Pte>
{
    private const ulong MovedWrite = 1UL << 9;
    private X64Pte _inner;

    private static MovedWriteBitX64Pte Wrap(X64Pte inner, bool write) =>
        new() { _inner = X64Pte.FromBits(write ? inner.Bits | MovedWrite : inner.Bits) };

    public static MovedWriteBitX64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) =>
        Wrap(X64Pte.NewPage(paddr, flags & ~MappingFlags.Write, isHuge), (flags & MappingFlags.Write) != 0);

    public readonly bool IsProtNone => _inner.IsProtNone;

    public static MovedWriteBitX64Pte NewTable(PhysAddr paddr) => new() { _inner = X64Pte.NewTable(paddr) };

    public static MovedWriteBitX64Pte Empty => default;

    public readonly PhysAddr Paddr => _inner.Paddr;

    public readonly MappingFlags Flags =>
        _inner.IsPresent ? (_inner.Flags & ~MappingFlags.Write) | ((_inner.Bits & MovedWrite) != 0 ? MappingFlags.Write : 0) : _inner.Flags;

    public void SetPaddr(PhysAddr paddr) => _inner.SetPaddr(paddr);

    public void SetFlags(MappingFlags flags, bool isHuge)
    {
        var inner = _inner;
        inner.SetFlags(flags & ~MappingFlags.Write, isHuge);
        this = inner.IsPresent ? Wrap(X64Pte.FromBits(inner.Bits & ~MovedWrite), (flags & MappingFlags.Write) != 0) : new() { _inner = inner };
    }

    public readonly ulong Bits => _inner.Bits;

    public readonly bool IsUnused => _inner.IsUnused;

    public readonly bool IsPresent => _inner.IsPresent;

    public readonly bool IsHuge => _inner.IsHuge;

    public void Clear() => _inner.Clear();
}

/// <summary>The walker sees what model equivalence cannot: both halves asserted.</summary>
public sealed class MovedBitIsCaughtOnlyByTheWalker
{
    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithMaxTest(150).WithEndSize(30).WithReplay(20261125, 987654321);

    private static RunOptions Options(bool withWalker) => new()
    {
        ImplFactory = (_, arena) => ImplTable<X64PagingMetaData, MovedWriteBitX64Pte>.Create(arena),
        AfterStep = withWalker ? HardwareCheck.For(TableKind.X64) : null,
    };

    [Fact]
    public void ModelEquivalenceAloneDoesNotSeeTheMovedBit()
    {
        var options = Options(withWalker: false);
        var property = Prop.ForAll(Generators.Sequences(TableKind.X64, PageSize.Size4K, OpKind.Map), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
        Check.One("moved bit, model only", Fixed, property); // passes: the fault is invisible here
    }

    [Fact]
    public void TheWalkerCatchesTheMovedBit()
    {
        var options = Options(withWalker: true);
        var property = Prop.ForAll(Generators.Sequences(TableKind.X64, PageSize.Size4K, OpKind.Map), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
        var error = Record.Exception(() => Check.One("moved bit, walker", Fixed, property));
        Assert.NotNull(error);
        Assert.Contains("hardware walk differs", error.Message, StringComparison.Ordinal);
        Assert.Contains("Write", error.Message, StringComparison.Ordinal);
    }
}
