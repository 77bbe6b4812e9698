using PageTableModel.Hardware;
using PageTableMultiarch.Harness;
using Xunit;
using Xunit.Abstractions;

namespace PageTableMultiarch.Hardware;

/// <summary>
/// Test-only LoongArch64 entry with the no-execute permission moved from NX (bit 62) to bit 59, which no entry format
/// defines and the TLB does not hold (LoongArch Reference Manual Vol. 1 §7.5 TLBELO), in encode and decode alike.
/// Impl and the model still agree; the MMU lets every page be fetched from. A PROT_NONE leaf (nothing to fetch) is
/// stored as <see cref="La64Pte"/> stores it.
/// </summary>
public struct MovedNoExecuteBitLa64Pte : IGenericPte<MovedNoExecuteBitLa64Pte>
{
    private const ulong MovedNoExecute = 1UL << 59;
    private La64Pte _inner;

    private static MovedNoExecuteBitLa64Pte Wrap(La64Pte inner, bool noExecute) =>
        new() { _inner = La64Pte.FromBits(noExecute ? inner.Bits | MovedNoExecute : inner.Bits) };

    public static MovedNoExecuteBitLa64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) => flags.IsProtNone()
        ? new() { _inner = La64Pte.NewPage(paddr, flags, isHuge) }
        : Wrap(La64Pte.NewPage(paddr, flags | MappingFlags.Execute, isHuge), (flags & MappingFlags.Execute) == 0);

    public readonly bool IsProtNone => _inner.IsProtNone;

    public static MovedNoExecuteBitLa64Pte NewTable(PhysAddr paddr) => new() { _inner = La64Pte.NewTable(paddr) };

    public static MovedNoExecuteBitLa64Pte Empty => default;

    public readonly PhysAddr Paddr => _inner.Paddr;

    public readonly MappingFlags Flags
    {
        get
        {
            MappingFlags inner = La64Pte.FromBits(_inner.Bits & ~MovedNoExecute).Flags;
            if (!_inner.IsPresent) return inner; // absent, directory entry or PROT_NONE
            return (_inner.Bits & MovedNoExecute) != 0 ? inner & ~MappingFlags.Execute : inner;
        }
    }

    public void SetPaddr(PhysAddr paddr) => _inner.SetPaddr(paddr);

    public void SetFlags(MappingFlags flags, bool isHuge)
    {
        La64Pte inner = La64Pte.FromBits(_inner.Bits & ~MovedNoExecute);
        if (flags.IsProtNone())
        {
            inner.SetFlags(flags, isHuge);
            this = new() { _inner = inner };
            return;
        }
        inner.SetFlags(flags | MappingFlags.Execute, isHuge);
        this = Wrap(inner, (flags & MappingFlags.Execute) == 0);
    }

    public readonly ulong Bits => _inner.Bits;

    public readonly bool IsUnused => _inner.IsUnused;

    public readonly bool IsPresent => _inner.IsPresent;

    public readonly bool IsHuge => _inner.IsHuge;

    public void Clear() => _inner.Clear();
}

/// <summary>A wrong LoongArch64 encoding the model cannot see makes the QEMU suite fail, on fetch checks only.</summary>
public sealed class MovedNoExecuteBitTests(ITestOutputHelper output)
{
    [Fact]
    public void QemuCatchesTheMovedNoExecuteBitOnLa64()
    {
        SuiteResult result = HardwareRun.Run(TableKind.La64,
            (_, arena) => ImplTable<La64PagingMetaData, MovedNoExecuteBitLa64Pte>.Create(arena), "La64-moved-nx-bit");
        string[] failures = HardwareRun.ManyFailures(result, output);
        // Every failure is a fetch the model refuses for want of Execute (PNX, ESTAT 0x60000) that QEMU let through: it
        // returns the cell's value, or, where no cell was written (the suite puts cells only where granted accesses
        // go), runs into whatever the frame holds.
        Assert.All(failures, f =>
        {
            Assert.Contains(" fetch ", f, StringComparison.Ordinal);
            Assert.Contains("expected FAULT cause 60000", f, StringComparison.Ordinal);
            Assert.DoesNotContain("QEMU gave FAULT cause 60000", f, StringComparison.Ordinal);
        });
        Assert.Contains(failures, f => f.Contains("QEMU gave OK", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("] User fetch", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("] Supervisor fetch", StringComparison.Ordinal));
    }
}
