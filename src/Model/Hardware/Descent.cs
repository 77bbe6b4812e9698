using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>How a walk ended: at a leaf (level, raw entry, its address, inherited bits) or with a fault.</summary>
internal readonly record struct Descent(WalkResult? Fault, int Level, ulong Entry, ulong EntryAddress, ulong Inherited)
{
    public bool IsLeaf => Fault is null;
}
