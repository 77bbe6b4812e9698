namespace PageTableModel;

/// <summary>
/// The model's own access flags. Deliberately not shared with <c>src/Impl</c>: the properties convert
/// between the two at the boundary, so a mistake in one side's flag type cannot hide in both.
/// </summary>
[Flags]
public enum ModelFlags : byte
{
    /// <summary>No access. Alone, or with User, Device or Uncached only, the flags of a PROT_NONE mapping.</summary>
    None = 0,

    /// <summary>The memory can be read. Every valid set of flags that grants any access contains it.</summary>
    Read = 1,

    /// <summary>The memory can be written.</summary>
    Write = 2,

    /// <summary>The memory can be executed.</summary>
    Execute = 4,

    /// <summary>The memory can be accessed from user mode.</summary>
    User = 8,

    /// <summary>The memory is device memory (strongly ordered, uncached).</summary>
    Device = 16,

    /// <summary>The memory is normal memory that is not cached.</summary>
    Uncached = 32,
}

/// <summary>What the model says about a set of flags.</summary>
public static class ModelFlagRules
{
    /// <summary>The six defined flags.</summary>
    public const ModelFlags Defined = ModelFlags.Read | ModelFlags.Write | ModelFlags.Execute
        | ModelFlags.User | ModelFlags.Device | ModelFlags.Uncached;

    /// <summary>
    /// Whether the flags grant no access: none of Read, Write, Execute (a PROT_NONE mapping: every access faults, and
    /// the mapping keeps the other flags as given).
    /// </summary>
    /// <param name="flags">The flags.</param>
    /// <returns>True when neither Read, nor Write, nor Execute is set.</returns>
    public static bool IsProtNone(this ModelFlags flags) =>
        !flags.HasFlag(ModelFlags.Read) && !flags.HasFlag(ModelFlags.Write) && !flags.HasFlag(ModelFlags.Execute);

    /// <summary>
    /// Whether the flags may be given to an operation: no bit outside the six defined ones, and either Read or no
    /// access at all (PROT_NONE). Write or Execute without Read is refused on every architecture.
    /// </summary>
    /// <param name="flags">The flags.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValid(this ModelFlags flags) =>
        (flags & ~Defined) == 0 && (flags.HasFlag(ModelFlags.Read) || flags.IsProtNone());
}

/// <summary>The errors an operation can report, one for one with semantics.md.</summary>
public enum ModelError
{
    /// <summary>An intermediate table was needed and no frame was available. The model never reports it.</summary>
    NoMemory,

    /// <summary>An address or size is not aligned as the operation needs.</summary>
    NotAligned,

    /// <summary>No mapping covers the address.</summary>
    NotMapped,

    /// <summary>A mapping overlaps the range to be mapped.</summary>
    AlreadyMapped,

    /// <summary>A larger mapping covers the address, or a mapping does not start (or end) where needed.</summary>
    MappedToHugePage,

    /// <summary>A virtual address is not canonical, or a range crosses from one half into the other.</summary>
    InvalidVirtAddr,

    /// <summary>A physical page would end beyond the physical address width.</summary>
    InvalidPhysAddr,

    /// <summary>A range would end beyond 2^64.</summary>
    RangeOverflow,

    /// <summary>The flags hold Write or Execute without Read, or a bit outside the six defined ones.</summary>
    InvalidFlags,

    /// <summary>The root slot was borrowed by <c>CopyFrom</c> and cannot be changed through this table.</summary>
    BorrowedEntry,

    /// <summary><c>CopyFrom</c> was given this same table or a table of another kind.</summary>
    IncompatibleTable,
}
