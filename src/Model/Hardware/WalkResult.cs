namespace PageTableModel.Hardware;

/// <summary>The outcome of one hardware walk: exactly one of a translation or a fault.</summary>
/// <param name="Translation">The translation, or <see langword="null"/> if the walk faulted.</param>
/// <param name="Fault">The fault, or <see langword="null"/> if the walk translated the address.</param>
public readonly record struct WalkResult(Translation? Translation, WalkFault? Fault)
{
    /// <summary>Whether the walk faulted.</summary>
    public bool IsFault => Fault is not null;

    /// <summary>A successful walk.</summary>
    /// <param name="pa">The physical address of the accessed byte.</param>
    /// <param name="pageSize">The size of the leaf.</param>
    /// <param name="memory">The memory type.</param>
    /// <returns>A result holding the translation.</returns>
    public static WalkResult Translated(ulong pa, ulong pageSize, MemoryType memory) =>
        new(new Translation(pa, pageSize, memory), null);

    /// <summary>A successful walk that also names the memory type and reports the leaf's accessed and dirty state.</summary>
    /// <param name="pa">The physical address of the accessed byte.</param>
    /// <param name="pageSize">The size of the leaf.</param>
    /// <param name="memory">The coarse memory type.</param>
    /// <param name="memoryName">The memory type as the manual names it (<see cref="Translation.MemoryName"/>).</param>
    /// <param name="accessed">The leaf's accessed flag, or <see langword="null"/> if the format has none.</param>
    /// <param name="dirty">The leaf's dirty flag, or <see langword="null"/> if the walker models none.</param>
    /// <returns>A result holding the translation.</returns>
    public static WalkResult Translated(
        ulong pa, ulong pageSize, MemoryType memory, string? memoryName, bool? accessed, bool? dirty) =>
        new(new Translation(pa, pageSize, memory, memoryName, accessed, dirty), null);

    /// <summary>A faulted walk.</summary>
    /// <param name="level">The level of the entry responsible (0 = root).</param>
    /// <param name="reason">The architectural fault, in words.</param>
    /// <returns>A result holding the fault.</returns>
    public static WalkResult Faulted(int level, string reason) => new(null, new WalkFault(level, reason));

    /// <summary>A walk that stopped at an entry the MMU does not treat as valid (<see cref="WalkFault.InvalidEntry"/>).</summary>
    /// <param name="level">The level of that entry (0 = root).</param>
    /// <param name="reason">The architectural fault, in words.</param>
    /// <returns>A result holding the fault.</returns>
    public static WalkResult InvalidEntry(int level, string reason) => new(null, new WalkFault(level, reason, InvalidEntry: true));

    /// <summary>Prints the translation or the fault.</summary>
    /// <returns>The text of whichever is present.</returns>
    public override string ToString() =>
        Fault?.ToString() ?? Translation?.ToString() ?? "empty walk result";
}
