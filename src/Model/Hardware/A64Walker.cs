using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>
/// The AArch64 MMU doing a VMSAv8-64 stage 1 walk of the EL1&amp;0 translation regime with the 4 KB granule
/// (Arm ARM DDI 0487, chapter D8: D8.3 descriptor formats, D8.4 memory attributes and access permissions).
/// </summary>
/// <remarks>
/// <para>Assumed configuration: SCTLR_EL1.M=1, WXN=0; PSTATE.PAN=0; TCR_EL1.TG0/TG1 = 4 KB, T0SZ=T1SZ=16 (48-bit
/// VA, the walk starts at level 0 and has 4 levels), IPS = 48 bits, TBI0=TBI1=0, EPD0=EPD1=0, HA=HD=0 (no
/// FEAT_HAFDBS: AF=0 faults and DBM is ignored), DS=0 (no FEAT_LPA2); no FEAT_BBM (bit 16 of a block is RES0);
/// FEAT_HPDS off (the table attributes apply). TTBR0_EL1 and TTBR1_EL1 both hold <c>root</c>: the one table serves
/// either half. MAIR_EL1 is a constructor argument, by default <see cref="LibraryMair"/>.</para>
/// <para>Memory attributes (D8.6, and the MAIR_EL1 register description): AttrIndx (bits 4:2) selects byte Attr&lt;n&gt;
/// of MAIR_EL1. 0b0000dd00 is Device memory (dd: nGnRnE, nGnRE, nGRE, GRE); 0booooiiii with both halves non-zero is
/// Normal memory with outer policy oooo and inner policy iiii (0100 Non-cacheable, 00RW/10RW Write-Through, 01RW/11RW
/// Write-Back; the transient and allocation hints are not reported). Encodings the base architecture leaves
/// UNPREDICTABLE (Device with bits 1:0 non-zero, Normal with a zero half; FEAT_XS and FEAT_MTE give some of them a
/// meaning this configuration lacks) fault here. Shareability: Device memory and Normal Inner and Outer
/// Non-cacheable memory are Outer Shareable whatever SH says; other Normal memory takes SH (bits 9:8: 00
/// Non-shareable, 10 Outer Shareable, 11 Inner Shareable; 01 is reserved and faults here). The name reported is
/// <c>Device-nGnRE</c> and the like, or <c>Normal, Inner Write-Back, Outer Write-Back, Inner Shareable</c> and the
/// like. Coarse type: Device → <see cref="MemoryType.Device"/>; Normal Write-Back inside and out →
/// <see cref="MemoryType.NormalCacheable"/>; Normal Non-cacheable inside and out →
/// <see cref="MemoryType.NormalUncached"/>; any other Normal memory → <see cref="MemoryType.Other"/>.</para>
/// <para>Accessed and dirty: AF is reported (always 1, since AF=0 faults without FEAT_HAFDBS); no dirty state is
/// modelled (DBM means nothing with HD=0), so it is reported as unknown.</para>
/// <para>Address check: by default the library's rule — bits 63:48 must all equal bit 47 — so a fault at level 0
/// for anything else. With <see cref="HardwareAddressRanges"/> the hardware's own rule applies instead: bits 63:48
/// all 0 selects TTBR0, all 1 selects TTBR1, and bit 47 is just bit 47 of the index into the shared root table.</para>
/// <para>Checks, in order: translation fault for an invalid descriptor (bit 0 = 0), for bits 1:0 = 01 at level 0
/// (no block at level 0 with this granule) or at level 3 (reserved); the walker is stricter than the hardware
/// about RES0 bits (50:48 of a table descriptor, 49:48 of a block/page descriptor, and the bits between 12 and the
/// block size in a block) and faults on them; a MAIR attribute or SH value this configuration does not define;
/// Access flag fault (AF=0); permission fault. Permissions
/// combine the leaf's AP[2:1], PXN and UXN with every table descriptor's APTable, PXNTable and UXNTable, and EL1
/// may not execute memory that EL0 can write. nG, Contiguous, DBM and the software bits are not checked.</para>
/// </remarks>
public sealed class A64Walker : IHardwareWalker, IWalkRules
{
    // Descriptor bits, Arm ARM DDI 0487 D8.3 (VMSAv8-64 translation table descriptor formats, 4 KB granule).
    private const int ValidBit = 0;        // 0: invalid descriptor, translation fault.
    private const int TypeBit = 1;         // With bit 0 = 1: 1 = table (levels 0-2) or page (level 3); 0 = block.
    private const int AttrIndxLow = 2;     // AttrIndx[2:0] is bits 4:2, an index into MAIR_EL1.
    private const int ApEl0Bit = 6;        // AP[1]: 1 grants EL0 the same data access as EL1.
    private const int ApReadOnlyBit = 7;   // AP[2]: 1 makes the region read-only at every EL.
    private const int ShareabilityLow = 8; // SH[1:0] is bits 9:8: shareability of Normal cacheable memory.
    private const int AccessFlagBit = 10;  // AF: 0 raises an Access flag fault (no hardware update).
    private const int PxnBit = 53;         // PXN: EL1 may not execute.
    private const int UxnBit = 54;         // UXN: EL0 may not execute.
    private const int PxnTableBit = 59;    // PXNTable: PXN for every later level.
    private const int UxnTableBit = 60;    // UXNTable: UXN for every later level.
    private const int ApTableNoEl0Bit = 61; // APTable[0]: no EL0 data access at later levels.
    private const int ApTableReadOnlyBit = 62; // APTable[1]: no write access at later levels.

    // Output and next-level table addresses are bits 47:12 (48-bit OA, DS=0); bits 50:48 of a table descriptor and
    // 49:48 of a block or page descriptor are RES0.
    private const int OutputAddressTop = 47;
    private const int TableRes0Top = 50;
    private const int LeafRes0Top = 49;

    /// <summary>A walker that faults on any address not sign-extended from bit 47, as the library requires.</summary>
    public A64Walker()
        : this(hardwareAddressRanges: false)
    {
    }

    /// <summary>A walker choosing between the library's address rule and the hardware's TTBR ranges.</summary>
    /// <param name="hardwareAddressRanges">
    /// <see langword="true"/> to accept every address whose bits 63:48 are all 0 (TTBR0) or all 1 (TTBR1), as the
    /// MMU does; <see langword="false"/> to require sign extension from bit 47.
    /// </param>
    public A64Walker(bool hardwareAddressRanges)
        : this(hardwareAddressRanges, LibraryMair)
    {
    }

    /// <summary>A walker with a chosen address rule and MAIR_EL1 value.</summary>
    /// <param name="hardwareAddressRanges">As in <see cref="A64Walker(bool)"/>.</param>
    /// <param name="mair">The value of MAIR_EL1: Attr&lt;n&gt; is byte n, selected by AttrIndx = n.</param>
    public A64Walker(bool hardwareAddressRanges, ulong mair)
    {
        HardwareAddressRanges = hardwareAddressRanges;
        Mair = mair;
    }

    /// <summary>
    /// The MAIR_EL1 value the library documents for its tables: Attr0 = 0x04 (Device-nGnRE), Attr1 = 0xFF (Normal,
    /// Inner and Outer Write-Back Non-transient, Read- and Write-Allocate), Attr2 = 0x44 (Normal, Inner and Outer
    /// Non-cacheable), Attr3..Attr7 = 0x00 (Device-nGnRnE). Written here from that documentation, not taken from the
    /// library.
    /// </summary>
    public const ulong LibraryMair = 0x0000_0000_0044_ff04;

    /// <summary>The MAIR_EL1 value this walker looks memory attributes up in.</summary>
    public ulong Mair { get; }

    /// <summary>
    /// Whether addresses are checked as the MMU does (bits 63:48 all 0 or all 1) rather than by the library's
    /// sign-extension rule. With one table behind both TTBRs the MMU then answers, for example, for
    /// 0x0000_8000_0000_0000 through root entry 256 and for 0xffff_0000_0000_0000 through root entry 0.
    /// </summary>
    public bool HardwareAddressRanges { get; }

    /// <inheritdoc/>
    public string Name => "A64";

    /// <inheritdoc/>
    /// <remarks>Arm's lookup levels 0 to 3: 1 GB blocks at level 1, 2 MB blocks at level 2, 4 KB pages at level 3.</remarks>
    public int Levels => 4;

    /// <inheritdoc/>
    public WalkResult Translate(IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege) =>
        WalkEngine.Translate(this, memory, root, va, access, privilege);

    // Bits of the inherited set: the table attributes met so far (each only ever removes access).
    private const ulong InheritPxn = 1;
    private const ulong InheritUxn = 2;
    private const ulong InheritNoEl0 = 4;
    private const ulong InheritReadOnly = 8;

    // Bit 11 of a block or page descriptor: nG. 0 makes the translation global (valid for every ASID), D8.3.
    private const int NotGlobalBit = 11;

    int IWalkRules.PhysicalAddressBits => OutputAddressTop + 1;

    string IWalkRules.BusErrorText => "synchronous external abort on translation table walk";

    int IWalkRules.IndexLow(int level) => PageShift + IndexBits * (Levels - 1 - level);

    WalkResult? IWalkRules.CheckAddress(ulong va)
    {
        ulong top = va >> 48;
        bool inRange = HardwareAddressRanges ? top is 0 or 0xffff : IsSignExtended(va, 47);
        return inRange
            ? null
            : WalkResult.Faulted(0, $"translation fault: address 0x{va:x} is outside both TTBR ranges");
    }

    WalkStep IWalkRules.Step(int level, ulong entry, ulong inherited)
    {
        if (!Bit(entry, ValidBit))
        {
            return WalkStep.InvalidEntry(level, "translation fault: invalid descriptor (bit 0 = 0)");
        }

        bool typeBit = Bit(entry, TypeBit);
        if (level < Levels - 1 && typeBit)
        {
            if ((entry & Mask(TableRes0Top, OutputAddressTop + 1)) != 0)
            {
                return WalkStep.Faulted(level, "RES0 bits 50:48 set in a table descriptor");
            }

            inherited |= (Bit(entry, PxnTableBit) ? InheritPxn : 0)
                | (Bit(entry, UxnTableBit) ? InheritUxn : 0)
                | (Bit(entry, ApTableNoEl0Bit) ? InheritNoEl0 : 0)
                | (Bit(entry, ApTableReadOnlyBit) ? InheritReadOnly : 0);
            return WalkStep.Table(entry & Mask(OutputAddressTop, PageShift), inherited);
        }

        if (level == Levels - 1 && !typeBit)
        {
            return WalkStep.Faulted(level, "translation fault: reserved descriptor (bits 1:0 = 01) at level 3");
        }

        if (level == 0)
        {
            return WalkStep.Faulted(level, "translation fault: block descriptor at level 0 (4 KB granule, DS=0)");
        }

        return WalkStep.LeafHere(inherited);
    }

    WalkResult IWalkRules.Leaf(int level, ulong entry, ulong inherited, ulong va, Access access, Privilege privilege) =>
        Leaf(
            entry, level, PageShift + IndexBits * (Levels - 1 - level), va, access, privilege,
            pxnTable: (inherited & InheritPxn) != 0,
            uxnTable: (inherited & InheritUxn) != 0,
            noEl0Table: (inherited & InheritNoEl0) != 0,
            readOnlyTable: (inherited & InheritReadOnly) != 0);

    // Walk-cache entries carry no global marking: TLBI ASIDE1 removes them for their ASID (see A64Tlb).
    bool IWalkRules.IsGlobal(int level, ulong entry, ulong inherited, bool leaf) => leaf && !Bit(entry, NotGlobalBit);

    private WalkResult Leaf(
        ulong entry, int level, int indexLow, ulong va, Access access, Privilege privilege,
        bool pxnTable, bool uxnTable, bool noEl0Table, bool readOnlyTable)
    {
        if ((entry & Mask(LeafRes0Top, OutputAddressTop + 1)) != 0)
        {
            return WalkResult.Faulted(level, "RES0 bits 49:48 set in a block or page descriptor");
        }

        if (indexLow > PageShift && (entry & Mask(indexLow - 1, PageShift)) != 0)
        {
            return WalkResult.Faulted(level, $"RES0 bits {indexLow - 1}:12 set in a block descriptor (misaligned output address)");
        }

        int attrIndx = (int)(entry >> AttrIndxLow & 0b111);
        ulong attribute = (Mair >> (8 * attrIndx)) & 0xff;
        (MemoryType Type, string Name)? memory = Attributes(attribute, (int)(entry >> ShareabilityLow & 0b11));
        if (memory is null)
        {
            return WalkResult.Faulted(
                level,
                $"memory attributes not defined here: AttrIndx = {attrIndx}, MAIR_EL1.Attr{attrIndx} = 0x{attribute:x2}, SH = {entry >> ShareabilityLow & 0b11}");
        }

        if (!Bit(entry, AccessFlagBit))
        {
            return WalkResult.Faulted(level, "Access flag fault (AF=0)");
        }

        // Stage 1 data permissions from AP[2:1] (D8.4): EL1 may always read; AP[2] removes writes; AP[1] gives EL0
        // the same access as EL1. APTable then removes EL0 access (bit 61) or writes (bit 62) hierarchically.
        bool el1Write = !Bit(entry, ApReadOnlyBit) && !readOnlyTable;
        bool el0Read = Bit(entry, ApEl0Bit) && !noEl0Table;
        bool el0Write = el0Read && el1Write;

        // Execute: UXN/UXNTable govern EL0 alone (EL0 execute-only memory is possible); PXN/PXNTable govern EL1,
        // and EL1 may never execute what EL0 may write.
        bool el0Execute = !Bit(entry, UxnBit) && !uxnTable;
        bool el1Execute = !Bit(entry, PxnBit) && !pxnTable && !el0Write;

        bool allowed = (privilege, access) switch
        {
            (Privilege.Supervisor, Access.Read) => true,
            (Privilege.Supervisor, Access.Write) => el1Write,
            (Privilege.Supervisor, Access.Execute) => el1Execute,
            (Privilege.User, Access.Read) => el0Read,
            (Privilege.User, Access.Write) => el0Write,
            _ => el0Execute,
        };
        if (!allowed)
        {
            return WalkResult.Faulted(level, $"permission fault: {privilege} {access} not permitted");
        }

        ulong pageSize = 1UL << indexLow;
        ulong output = entry & Mask(OutputAddressTop, indexLow);
        return WalkResult.Translated(
            output | (va & (pageSize - 1)), pageSize, memory.Value.Type, memory.Value.Name, accessed: true, dirty: null);
    }

    // MAIR_EL1.Attr<n> (D8.6 and the register description): Device memory is 0b0000dd00; Normal memory has non-zero
    // outer (7:4) and inner (3:0) halves. Null for what this configuration leaves undefined.
    private static (MemoryType Type, string Name)? Attributes(ulong attribute, int shareability)
    {
        ulong outer = attribute >> 4;
        ulong inner = attribute & 0xf;
        if (outer == 0)
        {
            // Device memory is always Outer Shareable; SH does not apply to it.
            return (inner & 0b11) != 0 ? null : (MemoryType.Device, (inner >> 2) switch
            {
                0 => "Device-nGnRnE",
                1 => "Device-nGnRE",
                2 => "Device-nGRE",
                _ => "Device-GRE",
            });
        }

        string? outerPolicy = CachePolicy(outer);
        string? innerPolicy = CachePolicy(inner);
        if (outerPolicy is null || innerPolicy is null)
        {
            return null;
        }

        const string NonCacheable = "Non-cacheable";
        const string WriteBack = "Write-Back";
        string? shared = outerPolicy == NonCacheable && innerPolicy == NonCacheable
            ? "Outer Shareable" // Normal Inner and Outer Non-cacheable is treated as Outer Shareable.
            : shareability switch
            {
                0b00 => "Non-shareable",
                0b10 => "Outer Shareable",
                0b11 => "Inner Shareable",
                _ => null, // 0b01 is reserved.
            };
        if (shared is null)
        {
            return null;
        }

        MemoryType type = (innerPolicy, outerPolicy) switch
        {
            (WriteBack, WriteBack) => MemoryType.NormalCacheable,
            (NonCacheable, NonCacheable) => MemoryType.NormalUncached,
            _ => MemoryType.Other,
        };
        return (type, $"Normal, Inner {innerPolicy}, Outer {outerPolicy}, {shared}");
    }

    // One half of a Normal memory attribute: 0b0100 Non-cacheable; 0b00RW (RW not 00) Write-Through transient; 0b01RW
    // (RW not 00) Write-Back transient; 0b10RW Write-Through and 0b11RW Write-Back non-transient. 0b0000 is null.
    private static string? CachePolicy(ulong half) => half switch
    {
        0b0000 => null,
        0b0100 => "Non-cacheable",
        _ => (half & 0b0100) != 0 ? "Write-Back" : "Write-Through",
    };
}
