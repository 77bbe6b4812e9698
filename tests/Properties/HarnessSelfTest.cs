using System.Runtime.CompilerServices;
using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// Test-only faulty entry: x86_64 bits, except that <see cref="SetFlags"/> forgets to change the Execute
/// permission (it keeps whatever the entry had). Map is right; Protect, Remap and ProtectRegion are wrong.
/// </summary>
public struct ForgetsExecuteX64Pte : IGenericPte<ForgetsExecuteX64Pte>
{
    private X64Pte _inner;

    public static ForgetsExecuteX64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) => new() { _inner = X64Pte.NewPage(paddr, flags, isHuge) };

    public static ForgetsExecuteX64Pte NewTable(PhysAddr paddr) => new() { _inner = X64Pte.NewTable(paddr) };

    public static ForgetsExecuteX64Pte Empty => default;

    public readonly PhysAddr Paddr => _inner.Paddr;

    public readonly MappingFlags Flags => _inner.Flags;

    public void SetPaddr(PhysAddr paddr) => _inner.SetPaddr(paddr);

    public void SetFlags(MappingFlags flags, bool isHuge)
    {
        MappingFlags keep = _inner.Flags & MappingFlags.Execute;
        _inner.SetFlags((flags & ~MappingFlags.Execute) | keep, isHuge);
    }

    public readonly ulong Bits => _inner.Bits;

    public readonly bool IsUnused => _inner.IsUnused;

    public readonly bool IsPresent => _inner.IsPresent;

    public readonly bool IsProtNone => _inner.IsProtNone;

    public readonly bool IsHuge => _inner.IsHuge;

    public void Clear() => _inner.Clear();
}

public sealed class HarnessSelfTest
{
    [Fact]
    public void FaultyImplIsCaughtAndShrunkToAShortRepro()
    {
        OpSequence? lastFailing = null;
        var options = new RunOptions { ImplFactory = (_, arena) => ImplTable<X64PagingMetaData, ForgetsExecuteX64Pte>.Create(arena) };
        var property = Prop.ForAll(Generators.Sequences(TableKind.X64, PageSize.Size4K, OpKind.Protect), seq =>
        {
            try
            {
                Equivalence.Run(seq.Table, seq.Ops, options);
            }
            catch (EquivalenceException)
            {
                lastFailing = seq; // FsCheck's last failing evaluation is the shrunk counterexample
                throw;
            }
        });
        var config = Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(30).WithReplay(20261125, 1234567891);

        var error = Record.Exception(() => Check.One("self-test", config, property));

        Assert.NotNull(error);
        Assert.Contains("Falsifiable", error.Message, StringComparison.Ordinal);
        Assert.NotNull(lastFailing);
        // The smallest failing sequence maps a page and then changes its Execute permission.
        Assert.InRange(lastFailing.Ops.Length, 2, 3);
        Assert.Contains(lastFailing.Ops, op => op.Kind is OpKind.Protect or OpKind.Remap or OpKind.ProtectRegion);
        // The report carries a paste-ready regression test.
        Assert.Contains("Replay.Run(TableKind.X64,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorrectImplPassesTheSameSequences()
    {
        var property = Prop.ForAll(Generators.Sequences(TableKind.X64, PageSize.Size4K, OpKind.Protect), seq => { Equivalence.Run(seq.Table, seq.Ops); });
        Check.One("self-test control", Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(30).WithReplay(20261125, 1234567891), property);
    }
}
