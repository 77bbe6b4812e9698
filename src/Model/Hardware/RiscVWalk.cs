using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>
/// The virtual-address translation process of the RISC-V Privileged Architecture ("Supervisor-Level ISA",
/// section "Virtual Address Translation Process"), shared by Sv39 (3 levels) and Sv48 (4 levels); the PTE format
/// is the same in both.
/// </summary>
internal static class RiscVWalk
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

    /// <summary>Translates <paramref name="va"/> with a walk of <paramref name="levels"/> levels.</summary>
    public static WalkResult Translate(
        int levels, IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege)
    {
        CheckArguments(memory, root, PhysicalAddressBits, access, privilege);

        // Bits 63:VALEN of a load, store or fetch address must equal bit VALEN-1, or a page fault is raised.
        int vaTop = PageShift + IndexBits * levels - 1;
        if (!IsSignExtended(va, vaTop))
        {
            return WalkResult.Faulted(0, $"page fault: address 0x{va:x} is not sign-extended from bit {vaTop}");
        }

        ulong table = root; // Step 1: a = satp.ppn × PAGESIZE.
        for (int level = 0; level < levels; level++)
        {
            // Step 2: pte = mem[a + va.vpn[i] × PTESIZE], where i = levels - 1 - level.
            int indexLow = PageShift + IndexBits * (levels - 1 - level);
            ulong index = TableIndex(va, indexLow);
            if (!TryReadEntry(memory, table, index, out ulong pte))
            {
                return BusError(level, table, index, "access fault reading a PTE");
            }

            // Step 3.
            if (!Bit(pte, ValidBit))
            {
                return WalkResult.Faulted(level, "page fault: V=0");
            }

            bool read = Bit(pte, ReadBit);
            bool write = Bit(pte, WriteBit);
            bool execute = Bit(pte, ExecuteBit);
            if (write && !read)
            {
                return WalkResult.Faulted(level, "page fault: W=1 with R=0 is reserved");
            }

            if ((pte >> ReservedLow) != 0)
            {
                return WalkResult.Faulted(level, "page fault: reserved bits 63:54 set (no Svnapot, no Svpbmt)");
            }

            ulong ppn = (pte & Mask(PpnTop, PpnLow)) >> PpnLow;

            // Step 4: a pointer to the next level when R=W=X=0.
            if (!read && !execute)
            {
                // "For non-leaf PTEs, the D, A, and U bits are reserved for future standard use."
                if (Bit(pte, DirtyBit) || Bit(pte, AccessedBit) || Bit(pte, UserBit))
                {
                    return WalkResult.Faulted(level, "page fault: D, A or U set in a non-leaf PTE (reserved)");
                }

                if (level == levels - 1)
                {
                    return WalkResult.Faulted(level, "page fault: non-leaf PTE at the last level");
                }

                table = ppn << PageShift;
                continue;
            }

            // Step 5: the leaf's permissions, with sstatus.SUM=0 and MXR=0.
            bool userPage = Bit(pte, UserBit);
            bool allowed = privilege == Privilege.User ? userPage : !userPage;
            allowed &= access switch
            {
                Access.Read => read,
                Access.Write => write,
                _ => execute,
            };
            if (!allowed)
            {
                return WalkResult.Faulted(level, $"page fault: {privilege} {access} not permitted (U={(userPage ? 1 : 0)})");
            }

            // Step 6: a superpage's low PPN fields must be zero.
            ulong pageSize = 1UL << indexLow;
            ulong pageBase = ppn << PageShift;
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

            return WalkResult.Translated(pageBase | (va & (pageSize - 1)), pageSize, MemoryType.PlatformDefined);
        }

        throw new InvalidOperationException("unreachable: the last level returns or faults");
    }
}
