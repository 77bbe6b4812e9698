using static PageTableModel.Hardware.WalkSupport;

namespace PageTableModel.Hardware;

/// <summary>One entry an MMU read during a walk, with the decision it took on it.</summary>
internal readonly record struct EntryRead(int Level, ulong Address, ulong Value, WalkStep Step);
