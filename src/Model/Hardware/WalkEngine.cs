using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

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
