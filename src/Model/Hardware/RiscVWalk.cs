using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>
/// The virtual-address translation process of the RISC-V Privileged Architecture ("Supervisor-Level ISA",
/// section "Virtual Address Translation Process"), shared by Sv39 (3 levels) and Sv48 (4 levels); the PTE format
/// is the same in both.
/// </summary>
internal sealed class RiscVWalk : IWalkRules
{
    // Sv39/Sv48 page table entry (Privileged spec, "Sv39: Page-Based 39-bit Virtual-Memory System", PTE figure).
    private const int ValidBit = 0;     // V
    private const int ReadBit = 1;      // R
    private const int WriteBit = 2;     // W
    private const int ExecuteBit = 3;   // X
    private const int UserBit = 4;      // U
    private const int AccessedBit = 6;  // A
    private const int DirtyBit = 7;     // D
    private const int PpnLow = 10;      // PPN occupies bits 53:10.
    private const int PpnTop = 53;
    private const int ReservedLow = 54; // Bits 63:54: N (Svnapot), PBMT (Svpbmt) and reserved; none implemented.

    /// <summary>Physical addresses are 56 bits: a 44-bit PPN and a 12-bit offset.</summary>
    public const int PhysicalAddressBits = 56;

    private const int GlobalBit = 5;    // G: a global mapping; in a non-leaf PTE, every mapping below is global.

    // The inherited set has one bit: G=1 in some PTE of the path so far.
    private const ulong InheritGlobal = 1;

    private readonly int levels;

    /// <summary>The rules of a walk of <paramref name="levels"/> levels (3 for Sv39, 4 for Sv48).</summary>
    public RiscVWalk(string name, int levels)
    {
        Name = name;
        this.levels = levels;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Levels => levels;

    int IWalkRules.PhysicalAddressBits => PhysicalAddressBits;

    string IWalkRules.BusErrorText => "access fault reading a PTE";

    // Step 2: pte = mem[a + va.vpn[i] × PTESIZE], where i = levels - 1 - level.
    int IWalkRules.IndexLow(int level) => PageShift + IndexBits * (levels - 1 - level);

    // Bits 63:VALEN of a load, store or fetch address must equal bit VALEN-1, or a page fault is raised.
    WalkResult? IWalkRules.CheckAddress(ulong va)
    {
        int vaTop = PageShift + IndexBits * levels - 1;
        return IsSignExtended(va, vaTop)
            ? null
            : WalkResult.Faulted(0, $"page fault: address 0x{va:x} is not sign-extended from bit {vaTop}");
    }

    WalkStep IWalkRules.Step(int level, ulong pte, ulong inherited)
    {
        // Step 3.
        if (!Bit(pte, ValidBit))
        {
            return WalkStep.InvalidEntry(level, "page fault: V=0");
        }

        bool read = Bit(pte, ReadBit);
        bool write = Bit(pte, WriteBit);
        bool execute = Bit(pte, ExecuteBit);
        if (write && !read)
        {
            return WalkStep.Faulted(level, "page fault: W=1 with R=0 is reserved");
        }

        if ((pte >> ReservedLow) != 0)
        {
            return WalkStep.Faulted(level, "page fault: reserved bits 63:54 set (no Svnapot, no Svpbmt)");
        }

        inherited |= Bit(pte, GlobalBit) ? InheritGlobal : 0;
        if (read || execute)
        {
            return WalkStep.LeafHere(inherited);
        }

        // Step 4: a pointer to the next level when R=W=X=0.
        // "For non-leaf PTEs, the D, A, and U bits are reserved for future standard use."
        if (Bit(pte, DirtyBit) || Bit(pte, AccessedBit) || Bit(pte, UserBit))
        {
            return WalkStep.Faulted(level, "page fault: D, A or U set in a non-leaf PTE (reserved)");
        }

        if (level == levels - 1)
        {
            return WalkStep.Faulted(level, "page fault: non-leaf PTE at the last level");
        }

        return WalkStep.Table(((pte & Mask(PpnTop, PpnLow)) >> PpnLow) << PageShift, inherited);
    }

    WalkResult IWalkRules.Leaf(int level, ulong pte, ulong inherited, ulong va, Access access, Privilege privilege)
    {
        // Step 5: the leaf's permissions, with sstatus.SUM=0 and MXR=0.
        bool userPage = Bit(pte, UserBit);
        bool allowed = privilege == Privilege.User ? userPage : !userPage;
        allowed &= access switch
        {
            Access.Read => Bit(pte, ReadBit),
            Access.Write => Bit(pte, WriteBit),
            _ => Bit(pte, ExecuteBit),
        };
        if (!allowed)
        {
            return WalkResult.Faulted(level, $"page fault: {privilege} {access} not permitted (U={(userPage ? 1 : 0)})");
        }

        // Step 6: a superpage's low PPN fields must be zero.
        int indexLow = PageShift + IndexBits * (levels - 1 - level);
        ulong pageSize = 1UL << indexLow;
        ulong pageBase = ((pte & Mask(PpnTop, PpnLow)) >> PpnLow) << PageShift;
        if ((pageBase & (pageSize - 1)) != 0)
        {
            return WalkResult.Faulted(level, "page fault: misaligned superpage");
        }

        // Step 7 without Svadu: A=0, or D=0 on a store, raises a page fault.
        if (!Bit(pte, AccessedBit))
        {
            return WalkResult.Faulted(level, "page fault: A=0");
        }

        if (access == Access.Write && !Bit(pte, DirtyBit))
        {
            return WalkResult.Faulted(level, "page fault: store with D=0");
        }

        // A is 1 here (A=0 faulted above); D is reported as found (a load may use a page with D=0).
        return WalkResult.Translated(
            pageBase | (va & (pageSize - 1)), pageSize, MemoryType.PlatformDefined, memoryName: null,
            accessed: true, dirty: Bit(pte, DirtyBit));
    }

    // A PTE is global when it or a non-leaf PTE above it has G=1 ("Addressing and Memory Protection": G in a
    // non-leaf PTE makes every mapping below it global).
    bool IWalkRules.IsGlobal(int level, ulong entry, ulong inherited, bool leaf) => (inherited & InheritGlobal) != 0;
}
