using System.Text.RegularExpressions;
using PageTableModel.Hardware;
using PageTableMultiarch.Harness;
using Xunit;
using Xunit.Abstractions;

namespace PageTableMultiarch.Hardware;

/// <summary>
/// Test-only RV64 entry that gives <see cref="MappingFlags.Device"/> pages in the data window the Svpbmt memory type IO
/// (PBMT, bits 62:61, = 2), in encode and decode alike. Without Svpbmt (QEMU 7.2's virt CPU) bits 63:54 are reserved
/// and a leaf with any of them set raises a page fault (Privileged spec, Sv39 PTE format and "Virtual Address
/// Translation Process" step 3): this is what makes a RISC-V memory type observable on QEMU. The UART's support
/// mapping keeps the library's encoding, so the kernel can still report. PROT_NONE leaves keep the library's encoding
/// too: they are invalid (no memory type applies), and the library keeps their Device and Uncached in bits 62:61.
/// </summary>
public struct PbmtDeviceRv64Pte : IGenericPte<PbmtDeviceRv64Pte>
{
    private const ulong Pbmt = 3UL << 61;
    private const ulong PbmtIo = 2UL << 61;
    private const ulong DataWindowStart = 0xC000_0000; // docs/hardware-checks.md section 4, RISC-V
    private RiscVPte _inner;

    private static PbmtDeviceRv64Pte Wrap(RiscVPte inner, MappingFlags flags) => new()
    {
        _inner = RiscVPte.FromBits((flags & MappingFlags.Device) != 0 && !flags.IsProtNone() && inner.Paddr.Value >= DataWindowStart
            ? inner.Bits | PbmtIo : inner.Bits),
    };

    private readonly RiscVPte Plain => _inner.IsProtNone ? _inner : RiscVPte.FromBits(_inner.Bits & ~Pbmt);

    public static PbmtDeviceRv64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) => Wrap(RiscVPte.NewPage(paddr, flags, isHuge), flags);

    public static PbmtDeviceRv64Pte NewTable(PhysAddr paddr) => new() { _inner = RiscVPte.NewTable(paddr) };

    public static PbmtDeviceRv64Pte Empty => default;

    public readonly PhysAddr Paddr => Plain.Paddr;

    public readonly MappingFlags Flags => Plain.Flags;

    public void SetPaddr(PhysAddr paddr)
    {
        ulong pbmt = _inner.IsProtNone ? 0 : _inner.Bits & Pbmt;
        RiscVPte plain = Plain;
        plain.SetPaddr(paddr);
        _inner = RiscVPte.FromBits(plain.Bits | pbmt);
    }

    public void SetFlags(MappingFlags flags, bool isHuge)
    {
        RiscVPte plain = Plain;
        plain.SetFlags(flags, isHuge);
        this = Wrap(plain, flags);
    }

    public readonly ulong Bits => _inner.Bits;

    public readonly bool IsUnused => _inner.IsUnused;

    public readonly bool IsPresent => _inner.IsPresent;

    public readonly bool IsProtNone => _inner.IsProtNone;

    public readonly bool IsHuge => _inner.IsHuge;

    public void Clear() => _inner.Clear();
}

/// <summary>
/// Memory types on RISC-V without Svpbmt (docs/hardware-checks.md section 9): the page table has none to give, and a leaf
/// that tries (PBMT set) faults. The library's Device pages pass on QEMU (the main Sv39 and Sv48 runs); this variant
/// shows that QEMU would catch a library that wrote a memory type there, on Device pages only.
/// </summary>
public sealed class MemoryTypeBitsTests(ITestOutputHelper output)
{
    [Fact]
    public void QemuFaultsOnSvpbmtBitsOnSv39()
    {
        SuiteResult result = HardwareRun.Run(TableKind.Sv39,
            (_, arena) => ImplTable<Sv39PagingMetaData, PbmtDeviceRv64Pte>.Create(arena), "Sv39-pbmt-device");
        string[] failures = HardwareRun.ManyFailures(result, output);
        // Every failure is an access the model grants that QEMU refuses with a page fault (scause 12, 13 or 15), at a
        // leaf the walker also refuses for its reserved bits, or a later load of a cell such a refused store did not
        // write (store values start with 57).
        Assert.All(failures, f => Assert.True(
            (Regex.IsMatch(f, "expected OK [0-9a-f]{16}, QEMU gave FAULT cause (c|d|f) at ") && f.Contains("reserved bits 63:54 set", StringComparison.Ordinal))
            || Regex.IsMatch(f, "] (Supervisor|User) load .*expected OK 57[0-9a-f]{14}, QEMU gave OK "), f));
        Assert.Contains(failures, f => f.Contains("] Supervisor load", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("] User store", StringComparison.Ordinal));
    }
}
