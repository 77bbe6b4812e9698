using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>
/// The x86_64 MMU doing 4-level paging (Intel SDM Vol. 3A §4.5), with its access rights (§4.6), the memory
/// type chosen by the PAT (§4.9.2, §11.12) and the accessed and dirty flags (§4.8).
/// </summary>
/// <remarks>
/// <para>Assumed configuration: CR0.PG=1, CR4.PAE=1, IA32_EFER.LME=1 (4-level paging; CR4.LA57=0); CR0.WP=1
/// (supervisor writes obey R/W); CR4.SMEP=1 (supervisor instruction fetches from user-mode addresses fault);
/// CR4.SMAP=0 (supervisor data accesses to user-mode addresses are allowed); CR4.PKE=0 (bits 62:59 of a leaf are
/// ignored); CR4.PCIDE=0, CR3.PWT=CR3.PCD=0; 1-GByte pages supported (CPUID.80000001H:EDX.Page1GB=1). Chosen per
/// walker (<see cref="X64Walker(ulong, int, bool)"/>): IA32_PAT (default the power-on value
/// <see cref="PowerOnPat"/>), MAXPHYADDR (default 52) and IA32_EFER.NXE (default 1).</para>
/// <para>Memory type (§4.9.2, §11.12.3): the leaf's PAT index <c>PAT·4 + PCD·2 + PWT</c> selects field PA0..PA7 of
/// IA32_PAT, reported by its mnemonic (Table 11-10: UC, WC, WT, WP, WB, UC-); the MTRRs are assumed to make all
/// memory WB, so the PAT entry is the type. The PAT bit is bit 7 of a 4-KByte PTE (Table 4-20) and bit 12 of a
/// 1-GByte or 2-MByte leaf (Tables 4-16, 4-18). Coarse type: WB → <see cref="MemoryType.NormalCacheable"/>, UC →
/// <see cref="MemoryType.Device"/>, UC- → <see cref="MemoryType.NormalUncached"/>, WT, WC and WP →
/// <see cref="MemoryType.Other"/>.</para>
/// <para>Accessed and dirty (§4.8): the leaf's A (bit 5) and D (bit 6) are reported as the walk found them. The
/// hardware would set them as part of the access; this walker never writes, and neither flag ever faults.</para>
/// <para>Checks, in the hardware's order: the address is canonical (bits 63:47 equal; a #GP in reality, reported
/// at level 0); at each level, P=0 faults, then reserved bits fault (§4.5.4 and Tables 4-14 to 4-20, a #PF with
/// RSVD=1): bits 51:MAXPHYADDR of any entry, XD (bit 63) of any entry when IA32_EFER.NXE=0, PS in a PML4E, bits 29:13
/// of a 1-GByte leaf and bits 20:13 of a 2-MByte leaf; then the access rights combined over every level.</para>
/// </remarks>
public sealed class X64Walker : IHardwareWalker, IWalkRules
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

    private const int AccessedBit = 5;        // A: set by the processor when the entry is used (§4.8).
    private const int DirtyBit = 6;           // D in a leaf: set by the processor on a write to the page (§4.8).

    // An address field ends at bit 51 in every format (Tables 4-15 to 4-20); bits 51:M are reserved below that.
    private const int AddressFieldTop = 51;

    /// <summary>
    /// IA32_PAT after power-up or reset (SDM Vol. 3A §11.12.4, Table 11-12): PA0 = WB (06H), PA1 = WT (04H), PA2 = UC-
    /// (07H), PA3 = UC (00H), and PA4..PA7 the same again.
    /// </summary>
    public const ulong PowerOnPat = 0x0007_0406_0007_0406;

    private readonly ulong pat;
    private readonly int maxPhysAddr;
    private readonly bool executeDisableEnabled;

    /// <summary>A walker with the power-on IA32_PAT, MAXPHYADDR = 52 and IA32_EFER.NXE = 1.</summary>
    public X64Walker()
        : this(PowerOnPat)
    {
    }

    /// <summary>A walker for a processor configured as given.</summary>
    /// <param name="pat">
    /// The value of IA32_PAT: eight byte-wide fields PA0..PA7, each holding a memory type encoding of Table 11-10 (00H
    /// UC, 01H WC, 04H WT, 05H WP, 06H WB, 07H UC-) in its low three bits and zeros above (§11.12.2).
    /// </param>
    /// <param name="maxPhysAddr">MAXPHYADDR, 32 to 52: address bits 51:MAXPHYADDR of every entry are reserved.</param>
    /// <param name="executeDisableEnabled">IA32_EFER.NXE: when false, bit 63 of every entry is reserved, not XD.</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="pat"/> holds a reserved encoding or sets a reserved bit (WRMSR would raise #GP, §11.12.4).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxPhysAddr"/> is outside 32..52.</exception>
    public X64Walker(ulong pat, int maxPhysAddr = 52, bool executeDisableEnabled = true)
    {
        for (int field = 0; field < 8; field++)
        {
            ulong encoding = (pat >> (8 * field)) & 0xff;
            if (PatMnemonic(encoding) is null)
            {
                throw new ArgumentException(
                    $"IA32_PAT 0x{pat:x16}: PA{field} = {encoding:x2}H is not a memory type encoding (WRMSR raises #GP).",
                    nameof(pat));
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxPhysAddr, 32);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPhysAddr, AddressFieldTop + 1);
        this.pat = pat;
        this.maxPhysAddr = maxPhysAddr;
        this.executeDisableEnabled = executeDisableEnabled;
    }

    /// <summary>The IA32_PAT value this walker looks memory types up in.</summary>
    public ulong Pat => pat;

    /// <summary>MAXPHYADDR: the physical-address width, and where the reserved address bits of an entry start.</summary>
    public int MaxPhysAddr => maxPhysAddr;

    /// <summary>IA32_EFER.NXE: whether bit 63 is XD (true) or reserved (false).</summary>
    public bool ExecuteDisableEnabled => executeDisableEnabled;

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

    int IWalkRules.PhysicalAddressBits => maxPhysAddr;

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
            return WalkStep.InvalidEntry(level, "not present (P=0)");
        }

        // Reserved bits of every entry (Tables 4-15 to 4-20): the address bits at and above MAXPHYADDR, and XD when
        // IA32_EFER.NXE=0.
        if (maxPhysAddr <= AddressFieldTop && (entry & Mask(AddressFieldTop, maxPhysAddr)) != 0)
        {
            return WalkStep.Faulted(level, $"reserved bit set: bits {AddressFieldTop}:{maxPhysAddr} above MAXPHYADDR (RSVD)");
        }

        if (!executeDisableEnabled && Bit(entry, ExecuteDisableBit))
        {
            return WalkStep.Faulted(level, "reserved bit set: bit 63 with IA32_EFER.NXE=0 (RSVD)");
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
            : WalkStep.Table(entry & Mask(maxPhysAddr - 1, PageShift), inherited);
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
        ulong encoding = (pat >> (8 * patIndex)) & 0xff;
        string name = PatMnemonic(encoding)!;
        MemoryType memoryType = name switch
        {
            "WB" => MemoryType.NormalCacheable,
            "UC" => MemoryType.Device,
            "UC-" => MemoryType.NormalUncached,
            _ => MemoryType.Other,
        };
        ulong pageSize = 1UL << indexLow;
        ulong frame = entry & Mask(maxPhysAddr - 1, indexLow);
        return WalkResult.Translated(
            frame | (va & (pageSize - 1)), pageSize, memoryType, name,
            accessed: Bit(entry, AccessedBit), dirty: Bit(entry, DirtyBit));
    }

    // SDM Vol. 3A Table 11-10: the memory types a PAT field may hold; null for the reserved encodings (02H, 03H,
    // 08H-FFH), which WRMSR refuses.
    private static string? PatMnemonic(ulong encoding) => encoding switch
    {
        0x00 => "UC",
        0x01 => "WC",
        0x04 => "WT",
        0x05 => "WP",
        0x06 => "WB",
        0x07 => "UC-",
        _ => null,
    };

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
