using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>
/// One architecture's walk, cut into the decisions the MMU takes at each level, so that a walk can be traced entry by
/// entry and resumed from a cached non-leaf entry (what a TLB's walk cache lets the hardware do). Each walker
/// implements it with its own manual's bits; <see cref="WalkEngine"/> runs the loop they share.
/// </summary>
internal interface IWalkRules
{
    /// <summary>The table format's short name.</summary>
    string Name { get; }

    /// <summary>Levels of the walk, 0 being the root.</summary>
    int Levels { get; }

    /// <summary>The physical address width: a root must lie below 2^this.</summary>
    int PhysicalAddressBits { get; }

    /// <summary>The architectural name of a failed read of an entry (machine check, external abort, ...).</summary>
    string BusErrorText { get; }

    /// <summary>The lowest address bit that indexes the table at <paramref name="level"/>.</summary>
    int IndexLow(int level);

    /// <summary>The fault for an address the MMU refuses before reading any entry, or null.</summary>
    WalkResult? CheckAddress(ulong va);

    /// <summary>
    /// What the MMU does with <paramref name="entry"/>, read at <paramref name="level"/> after the non-leaf entries
    /// above it left <paramref name="inherited"/> (an architecture-private bit set, 0 at the root).
    /// </summary>
    WalkStep Step(int level, ulong entry, ulong inherited);

    /// <summary>
    /// The answer for one access through a leaf that <see cref="Step"/> accepted; <paramref name="inherited"/> is the
    /// value that step returned.
    /// </summary>
    WalkResult Leaf(int level, ulong entry, ulong inherited, ulong va, Access access, Privilege privilege);

    /// <summary>
    /// Whether a cached copy of this entry is global: it matches every address space, so invalidations restricted to
    /// one ASID (or, on x86, a CR3 reload) leave it. <paramref name="inherited"/> is what <see cref="Step"/> returned.
    /// </summary>
    bool IsGlobal(int level, ulong entry, ulong inherited, bool leaf);
}
