using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

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
