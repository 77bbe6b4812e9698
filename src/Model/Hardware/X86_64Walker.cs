using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>
/// The x86_64 MMU doing 4-level paging (Intel SDM Vol. 3A §4.5), with its access rights (§4.6) and the memory
/// type chosen by the PAT (§4.9.2, §11.12).
/// </summary>
/// <remarks>
/// <para>Assumed configuration: CR0.PG=1, CR4.PAE=1, IA32_EFER.LME=1 (4-level paging; CR4.LA57=0);
/// IA32_EFER.NXE=1 (bit 63 is XD, not reserved); CR0.WP=1 (supervisor writes obey R/W); CR4.SMEP=1 (supervisor
/// instruction fetches from user-mode addresses fault); CR4.SMAP=0 (supervisor data accesses to user-mode addresses
/// are allowed); CR4.PKE=0 (bits 62:59 of a leaf are ignored); CR4.PCIDE=0, CR3.PWT=CR3.PCD=0; MAXPHYADDR=52
/// (no reserved address bits); 1-GByte pages supported (CPUID.80000001H:EDX.Page1GB=1).</para>
/// <para>Memory type: the leaf's PAT index <c>PAT·4 + PCD·2 + PWT</c> selects an entry of the power-on PAT
/// (PA0=WB, PA1=WT, PA2=UC-, PA3=UC, PA4..PA7 repeat them; SDM §11.12.4); the MTRRs are assumed to make all memory
/// WB so the PAT decides. WB → <see cref="MemoryType.NormalCacheable"/>, UC → <see cref="MemoryType.Device"/>,
/// UC- → <see cref="MemoryType.NormalUncached"/>; WT (and WC, not in the power-on PAT) are reported as
/// <see cref="MemoryType.NormalUncached"/> too, since the library's flags cannot ask for them. Because PA4..PA7 repeat PA0..PA3, the PAT bit itself never changes
/// the answer under this configuration.</para>
/// <para>Checks, in the hardware's order: the address is canonical (bits 63:47 equal; a #GP in reality, reported
/// at level 0); at each level, P=0 faults, then reserved bits (PS=1 in a PML4E; bits 29:13 of a 1-GByte PDPTE;
/// bits 20:13 of a 2-MByte PDE) fault; then the access rights combined over every level. A and D are set by the
/// hardware and never fault; this walker does not write them.</para>
/// </remarks>
public sealed class X86_64Walker : IHardwareWalker, IWalkRules
{
    // Bits common to every paging-structure entry, SDM Vol. 3A Tables 4-15 to 4-20.
    private const int PresentBit = 0;         // P: the entry is present.
    private const int ReadWriteBit = 1;       // R/W: 0 forbids writes to the region it controls.
    private const int UserSupervisorBit = 2;  // U/S: 0 forbids user-mode accesses to the region it controls.
    private const int WriteThroughBit = 3;    // PWT: bit 0 of the leaf's PAT index.
    private const int CacheDisableBit = 4;    // PCD: bit 1 of the leaf's PAT index.
    private const int PageSizeBit = 7;        // PS in a PDPTE or PDE (1 = leaf); reserved in a PML4E.
    private const int PteAttributeBit = 7;    // PAT in a 4-KByte PTE (Table 4-20): bit 2 of the PAT index.
    private const int HugeAttributeBit = 12;  // PAT in a 1-GByte PDPTE / 2-MByte PDE (Tables 4-16, 4-18).
    private const int ExecuteDisableBit = 63; // XD: with EFER.NXE=1, 1 forbids instruction fetches.

    // MAXPHYADDR = 52: an address field runs up to bit 51 (Tables 4-15 to 4-20, "M-1").
    private const int MaxPhysAddrTop = 51;

    // Power-on PAT entries PA0..PA3 (SDM §11.12.4); PA4..PA7 repeat them.
    private static readonly MemoryType[] PowerOnPat =
    [
        MemoryType.NormalCacheable, // PA0 = WB
        MemoryType.NormalUncached,  // PA1 = WT (reported as uncached, see remarks)
        MemoryType.NormalUncached,  // PA2 = UC-
        MemoryType.Device,          // PA3 = UC
    ];

    /// <inheritdoc/>
    public string Name => "X64";

    /// <inheritdoc/>
    /// <remarks>Level 0 is the PML4, 1 the PDPT (1-GByte leaves), 2 the PD (2-MByte leaves), 3 the PT.</remarks>
    public int Levels => 4;

    /// <inheritdoc/>
    public WalkResult Translate(IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege) =>
        WalkEngine.Translate(this, memory, root, va, access, privilege);

    // Bits of the inherited set: what the entries met so far removed (§4.6: rights combine over every level).
    private const ulong InheritSupervisorOnly = 1; // U/S=0 at some level: a supervisor-mode address.
    private const ulong InheritReadOnly = 2;       // R/W=0 at some level.
    private const ulong InheritExecuteDisable = 4; // XD=1 at some level.

    // G (bit 8) of a leaf: with CR4.PGE=1 a global translation, kept by a CR3 load (§4.10.2.4).
    private const int GlobalBit = 8;

    int IWalkRules.PhysicalAddressBits => MaxPhysAddrTop + 1;

    string IWalkRules.BusErrorText => "machine check reading a paging-structure entry";

    // Address bits 47:39, 38:30, 29:21, 20:12 index the PML4, PDPT, PD and PT (§4.5.4, Figures 4-8..4-10).
    int IWalkRules.IndexLow(int level) => PageShift + IndexBits * (Levels - 1 - level);

    // Linear addresses must be canonical: bits 63:47 all equal (SDM Vol. 1 §3.3.7.1).
    WalkResult? IWalkRules.CheckAddress(ulong va) =>
        IsSignExtended(va, 47) ? null : WalkResult.Faulted(0, $"non-canonical address 0x{va:x} (#GP)");

    WalkStep IWalkRules.Step(int level, ulong entry, ulong inherited)
    {
        if (!Bit(entry, PresentBit))
        {
            return WalkStep.Faulted(level, "not present (P=0)");
        }

        inherited |= (Bit(entry, UserSupervisorBit) ? 0 : InheritSupervisorOnly)
            | (Bit(entry, ReadWriteBit) ? 0 : InheritReadOnly)
            | (Bit(entry, ExecuteDisableBit) ? InheritExecuteDisable : 0);

        if (level == Levels - 1)
        {
            return WalkStep.LeafHere(inherited);
        }

        if (level == 0 && Bit(entry, PageSizeBit))
        {
            return WalkStep.Faulted(level, "reserved bit set: PS=1 in a PML4E (RSVD)");
        }

        return level > 0 && Bit(entry, PageSizeBit)
            ? WalkStep.LeafHere(inherited)
            : WalkStep.Table(entry & Mask(MaxPhysAddrTop, PageShift), inherited);
    }

    WalkResult IWalkRules.Leaf(int level, ulong entry, ulong inherited, ulong va, Access access, Privilege privilege)
    {
        int indexLow = PageShift + IndexBits * (Levels - 1 - level);
        int attributeBit = level == Levels - 1 ? PteAttributeBit : HugeAttributeBit;

        // The page frame occupies bits 51:indexLow; between the PAT bit (12) and the frame, a huge leaf's
        // bits are reserved: 29:13 for 1 GByte (Table 4-16), 20:13 for 2 MByte (Table 4-18).
        if (indexLow > HugeAttributeBit + 1 && (entry & Mask(indexLow - 1, HugeAttributeBit + 1)) != 0)
        {
            return WalkResult.Faulted(level, $"reserved bits {indexLow - 1}:13 set in a huge-page entry (RSVD)");
        }

        string? denied = CheckRights(
            access, privilege,
            userAddress: (inherited & InheritSupervisorOnly) == 0,
            writable: (inherited & InheritReadOnly) == 0,
            executeDisabled: (inherited & InheritExecuteDisable) != 0);
        if (denied is not null)
        {
            return WalkResult.Faulted(level, denied);
        }

        int patIndex = (Bit(entry, attributeBit) ? 4 : 0)
            | (Bit(entry, CacheDisableBit) ? 2 : 0)
            | (Bit(entry, WriteThroughBit) ? 1 : 0);
        ulong pageSize = 1UL << indexLow;
        ulong frame = entry & Mask(MaxPhysAddrTop, indexLow);
        return WalkResult.Translated(frame | (va & (pageSize - 1)), pageSize, PowerOnPat[patIndex & 3]);
    }

    // Paging-structure-cache entries are never global; only a leaf with G=1 is (§4.10.2.4, §4.10.3.1).
    bool IWalkRules.IsGlobal(int level, ulong entry, ulong inherited, bool leaf) => leaf && Bit(entry, GlobalBit);

    // SDM Vol. 3A §4.6.1 with CR0.WP=1, CR4.SMEP=1, CR4.SMAP=0, IA32_EFER.NXE=1.
    private static string? CheckRights(
        Access access, Privilege privilege, bool userAddress, bool writable, bool executeDisabled)
    {
        if (privilege == Privilege.User && !userAddress)
        {
            return "user access to a supervisor-mode address (U/S=0 at some level)";
        }

        return access switch
        {
            Access.Write when !writable => "write to a read-only address (R/W=0 at some level, CR0.WP=1)",
            Access.Execute when executeDisabled => "instruction fetch from an XD=1 address",
            Access.Execute when privilege == Privilege.Supervisor && userAddress =>
                "supervisor instruction fetch from a user-mode address (SMEP)",
            _ => null,
        };
    }
}
