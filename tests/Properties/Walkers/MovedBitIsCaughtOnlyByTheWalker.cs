using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

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
