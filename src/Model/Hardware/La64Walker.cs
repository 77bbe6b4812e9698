using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>
/// The LoongArch64 TLB refill walk (LoongArch Reference Manual Vol. 1 §5.4: LDDIR / LDPTE with CSR.PWCL and
/// CSR.PWCH) followed by the TLB's access checks on the entry it loads (§7.5, the TLBELO fields).
/// </summary>
/// <remarks>
/// <para>Assumed configuration: CSR.CRMD.PG=1, DA=0 (mapped translation) and no direct-mapping window (DMW0..3)
/// matches the address; PWCL.PTbase=12, PTwidth=9, Dir1_base=21, Dir1_width=9, Dir2_base=30, Dir2_width=9,
/// PTEWidth=0 (64-bit entries); PWCH.Dir3_base=39, Dir3_width=9, Dir4_width=0; PALEN=48, VALEN=48;
/// CSR.PGDL = CSR.PGDH = <c>root</c> (one table serves both halves). Supervisor runs at PLV0, User at PLV3.</para>
/// <para>Walk: 4 levels — Dir3 (the root), Dir2, Dir1, PT. §5.4 ("Multi-level Page Table Structure Supported by page
/// walking") and LDDIR (§4.2.5.1): a directory entry whose bit 6 is 0 is taken as the physical base address of the
/// next table, and the next entry's address is that base with the index in bits 11:3 (QEMU ORs it in); the
/// directory entries in memory "must be physical addresses". A 4 KiB table's base has bits 11:0 clear, so a
/// directory entry with any of bits 11:0 set (other than bit 6) does not name a table: the walker faults on it rather
/// than reading the entry that OR would select. Bits 63:48 are above PALEN and ignored (the walk keeps address bits
/// 47:12; Linux keeps virtual-address bits there, the library a marker in bit 60). An all-zero directory entry is
/// taken as "no table" and faults. Bit 6 (HUGE) set in a Dir2 entry makes it a 1 GiB leaf, in a Dir1 entry a 2 MiB
/// leaf: there bit 12 is HGLOBAL and the address is bits 47:30 or 47:21; the walker faults if the bits between 13
/// and the alignment are not zero. Bit 6 in a Dir3 entry faults (no huge pages that large in this configuration).
/// In a PT entry bit 6 is G.</para>
/// <para>Checks on the leaf, in the TLB's order: V=0 (page invalid exception); MAT=3 (reserved); the privilege
/// (RPLV=0: PLV n is accessible from a current level ≤ n; RPLV=1: only from exactly n); NR=1 on a load (PNR);
/// NX=1 on a fetch (PNX); D=0 on a store (page modify exception). Bits 7 (P) and 8 (W) are software bits of the
/// Linux / page_table_multiarch convention: the MMU does not read them, so a store needs D=1 only — a page with
/// D=1 and W=0 is writable in hardware, and this walker says so. NR does not forbid stores. Bits 11:9 and 60:48
/// of a leaf are ignored. MAT (§5.3 "Memory Access Types", §7.5): 0 SUC → <see cref="MemoryType.Device"/>, 1 CC →
/// <see cref="MemoryType.NormalCacheable"/>, 2 WUC → <see cref="MemoryType.NormalUncached"/>, reported by those
/// names. D is reported as the dirty state; the format has no accessed flag.</para>
/// </remarks>
public sealed class La64Walker : IHardwareWalker, IWalkRules
{
    // Page table entry / TLBELO fields, LoongArch Reference Manual Vol. 1 §7.5 (TLBELO0/TLBELO1) and §5.4.
    private const int ValidBit = 0;          // V
    private const int DirtyBit = 1;          // D: 0 makes a store raise the page modify exception.
    private const int PlvLow = 2;            // PLV: bits 3:2, the page's privilege level.
    private const int MatLow = 4;            // MAT: bits 5:4, the memory access type.
    private const int HugeBit = 6;           // HUGE in a directory entry; G in a PT entry.
    private const int HugeGlobalBit = 12;    // HGLOBAL: the G bit of a huge entry.
    private const int NoReadBit = 61;        // NR
    private const int NoExecuteBit = 62;     // NX
    private const int RestrictPlvBit = 63;   // RPLV: 1 restricts access to exactly PLV.
    private const int PhysicalAddressTop = 47; // PALEN = 48.

    private const int Plv0 = 0; // The current privilege level of Supervisor.
    private const int Plv3 = 3; // The current privilege level of User.

    // CSR.PWCL / CSR.PWCH: where each level's 9-bit index sits in the address, root first.
    private static readonly int[] IndexBase =
    [
        39, // PWCH.Dir3_base
        30, // PWCL.Dir2_base
        21, // PWCL.Dir1_base
        12, // PWCL.PTbase
    ];

    /// <inheritdoc/>
    public string Name => "La64";

    /// <inheritdoc/>
    /// <remarks>Level 0 is Dir3, 1 Dir2 (1 GiB huge leaves), 2 Dir1 (2 MiB huge leaves), 3 the PT (4 KiB).</remarks>
    public int Levels => 4;

    /// <inheritdoc/>
    public WalkResult Translate(IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege) =>
        WalkEngine.Translate(this, memory, root, va, access, privilege);

    int IWalkRules.PhysicalAddressBits => PhysicalAddressTop + 1;

    string IWalkRules.BusErrorText => "bus error reading a page table entry";

    int IWalkRules.IndexLow(int level) => IndexBase[level];

    // Mapped translation needs bits 63:VALEN equal to bit VALEN-1, else an address error exception (ADEF/ADEM).
    WalkResult? IWalkRules.CheckAddress(ulong va) =>
        IsSignExtended(va, 47) ? null : WalkResult.Faulted(0, $"address error: 0x{va:x} is not sign-extended from bit 47");

    WalkStep IWalkRules.Step(int level, ulong entry, ulong inherited)
    {
        if (level == Levels - 1)
        {
            return WalkStep.LeafHere(0);
        }

        if (entry == 0)
        {
            return WalkStep.Faulted(level, "no table: all-zero directory entry");
        }

        if (Bit(entry, HugeBit))
        {
            return level == 0
                ? WalkStep.Faulted(level, "HUGE bit set in a Dir3 entry (no huge pages at this level)")
                : WalkStep.LeafHere(0);
        }

        // LDDIR takes the entry as the next table's physical base and puts the index in bits 11:3 (§4.2.5.1, §5.4).
        if ((entry & Mask(PageShift - 1, 0)) != 0)
        {
            return WalkStep.Faulted(
                level, $"directory entry 0x{entry:x} is not a table base: bits 11:0 = 0x{entry & Mask(PageShift - 1, 0):x}");
        }

        return WalkStep.Table(entry & Mask(PhysicalAddressTop, PageShift), 0);
    }

    WalkResult IWalkRules.Leaf(int level, ulong entry, ulong inherited, ulong va, Access access, Privilege privilege) =>
        Leaf(entry, level, IndexBase[level], huge: level < Levels - 1, va, access, privilege);

    // G is bit 6 of a PT entry and HGLOBAL bit 12 of a huge entry (LDPTE moves HGLOBAL into the TLB's G).
    bool IWalkRules.IsGlobal(int level, ulong entry, ulong inherited, bool leaf) =>
        leaf && Bit(entry, level == Levels - 1 ? HugeBit : HugeGlobalBit);

    private static WalkResult Leaf(
        ulong entry, int level, int indexLow, bool huge, ulong va, Access access, Privilege privilege)
    {
        if (!Bit(entry, ValidBit))
        {
            return WalkResult.InvalidEntry(level, "page invalid exception (V=0)");
        }

        if (huge && (entry & Mask(indexLow - 1, HugeGlobalBit + 1)) != 0)
        {
            return WalkResult.Faulted(level, $"misaligned huge page: bits {indexLow - 1}:13 set");
        }

        (MemoryType Type, string Name)? memoryType = (entry >> MatLow & 0b11) switch
        {
            0 => (MemoryType.Device, "SUC"),          // strongly-ordered uncached
            1 => (MemoryType.NormalCacheable, "CC"),  // coherent cached
            2 => (MemoryType.NormalUncached, "WUC"), // weakly-ordered uncached
            _ => null,
        };
        if (memoryType is null)
        {
            return WalkResult.Faulted(level, "reserved memory access type (MAT=3)");
        }

        int pagePlv = (int)(entry >> PlvLow & 0b11);
        int currentPlv = privilege == Privilege.Supervisor ? Plv0 : Plv3;
        bool privilegeOk = Bit(entry, RestrictPlvBit) ? currentPlv == pagePlv : currentPlv <= pagePlv;
        if (!privilegeOk)
        {
            return WalkResult.Faulted(
                level, $"page privilege level illegal exception (PLV{currentPlv} on a PLV{pagePlv} page, RPLV={(Bit(entry, RestrictPlvBit) ? 1 : 0)})");
        }

        string? denied = access switch
        {
            Access.Read when Bit(entry, NoReadBit) => "page non-readable exception (NR=1)",
            Access.Execute when Bit(entry, NoExecuteBit) => "page non-executable exception (NX=1)",
            Access.Write when !Bit(entry, DirtyBit) => "page modify exception (store with D=0)",
            _ => null,
        };
        if (denied is not null)
        {
            return WalkResult.Faulted(level, denied);
        }

        ulong pageSize = 1UL << indexLow;
        ulong frame = entry & Mask(PhysicalAddressTop, indexLow);
        return WalkResult.Translated(
            frame | (va & (pageSize - 1)), pageSize, memoryType.Value.Type, memoryType.Value.Name,
            accessed: null, dirty: Bit(entry, DirtyBit));
    }
}
