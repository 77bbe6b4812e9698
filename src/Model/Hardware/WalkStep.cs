using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>The decision on one entry.</summary>
internal readonly record struct WalkStep(StepKind Kind, ulong NextTable, ulong Inherited, WalkResult FaultResult)
{
    public static WalkStep Table(ulong nextTable, ulong inherited) => new(StepKind.Table, nextTable, inherited, default);

    public static WalkStep LeafHere(ulong inherited) => new(StepKind.Leaf, 0, inherited, default);

    public static WalkStep Faulted(int level, string reason) => new(StepKind.Fault, 0, 0, WalkResult.Faulted(level, reason));

    public static WalkStep InvalidEntry(int level, string reason) => new(StepKind.Fault, 0, 0, WalkResult.InvalidEntry(level, reason));
}
