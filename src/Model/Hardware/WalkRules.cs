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

/// <summary>The kinds of decision an MMU takes on one entry.</summary>
internal enum StepKind
{
    /// <summary>The walk stops with a fault.</summary>
    Fault,

    /// <summary>The entry points to the next table.</summary>
    Table,

    /// <summary>The entry is the leaf of the walk.</summary>
    Leaf,
}

/// <summary>The decision on one entry.</summary>
internal readonly record struct WalkStep(StepKind Kind, ulong NextTable, ulong Inherited, WalkResult FaultResult)
{
    public static WalkStep Table(ulong nextTable, ulong inherited) => new(StepKind.Table, nextTable, inherited, default);

    public static WalkStep LeafHere(ulong inherited) => new(StepKind.Leaf, 0, inherited, default);

    public static WalkStep Faulted(int level, string reason) => new(StepKind.Fault, 0, 0, WalkResult.Faulted(level, reason));
}

/// <summary>One entry an MMU read during a walk, with the decision it took on it.</summary>
internal readonly record struct EntryRead(int Level, ulong Address, ulong Value, WalkStep Step);

/// <summary>How a walk ended: at a leaf (level, raw entry, its address, inherited bits) or with a fault.</summary>
internal readonly record struct Descent(WalkResult? Fault, int Level, ulong Entry, ulong EntryAddress, ulong Inherited)
{
    public bool IsLeaf => Fault is null;
}

/// <summary>The walk loop every architecture shares; the decisions come from <see cref="IWalkRules"/>.</summary>
internal static class WalkEngine
{
    /// <summary>The step rules behind one of the walkers of this assembly.</summary>
    /// <exception cref="ArgumentException">The walker is not one of <see cref="Walkers.All"/>'s kinds.</exception>
    public static IWalkRules RulesOf(IHardwareWalker walker) => walker switch
    {
        IWalkRules rules => rules,
        Sv39Walker sv39 => sv39.Rules,
        Sv48Walker sv48 => sv48.Rules,
        _ => throw new ArgumentException($"{walker?.GetType().Name ?? "null"} is not a walker of this model.", nameof(walker)),
    };

    /// <summary>A full walk from <paramref name="root"/> for one access, as <see cref="IHardwareWalker.Translate"/>.</summary>
    public static WalkResult Translate(
        IWalkRules rules, IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege)
    {
        CheckArguments(memory, root, rules.PhysicalAddressBits, access, privilege);
        WalkResult? refused = rules.CheckAddress(va);
        if (refused is not null)
        {
            return refused.Value;
        }

        Descent end = Descend(rules, memory, va, 0, root, 0, null);
        return end.Fault ?? rules.Leaf(end.Level, end.Entry, end.Inherited, va, access, privilege);
    }

    /// <summary>
    /// Walks from <paramref name="level"/>, whose table is <paramref name="table"/>, with the bits the levels above
    /// left in <paramref name="inherited"/>, reading memory at every level; adds every entry read to
    /// <paramref name="trace"/> when one is given. The address must already have passed
    /// <see cref="IWalkRules.CheckAddress"/>.
    /// </summary>
    public static Descent Descend(
        IWalkRules rules, IPhysicalMemory memory, ulong va, int level, ulong table, ulong inherited, List<EntryRead>? trace)
    {
        for (; level < rules.Levels; level++)
        {
            ulong index = TableIndex(va, rules.IndexLow(level));
            ulong address = table + index * 8;
            if (!memory.TryRead64(address, out ulong entry))
            {
                return new Descent(BusError(level, table, index, rules.BusErrorText), level, 0, address, 0);
            }

            WalkStep step = rules.Step(level, entry, inherited);
            trace?.Add(new EntryRead(level, address, entry, step));
            switch (step.Kind)
            {
                case StepKind.Fault:
                    return new Descent(step.FaultResult, level, entry, address, 0);
                case StepKind.Leaf:
                    return new Descent(null, level, entry, address, step.Inherited);
                default:
                    table = step.NextTable;
                    inherited = step.Inherited;
                    break;
            }
        }

        throw new InvalidOperationException($"{rules.Name}: the last level must end every walk");
    }
}
