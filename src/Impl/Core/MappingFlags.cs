namespace PageTableMultiarch;

/// <summary>
/// Architecture-independent mapping permissions and memory attributes (the original's
/// <c>MappingFlags</c>, same bit values). Each entry format translates them to hardware bits;
/// <c>docs/encodings.md</c> lists, per architecture, which combinations survive the round trip.
/// </summary>
/// <remarks>
/// Every mapping in this port must carry <see cref="Read"/>: none of the five formats can express a
/// present page that grants nothing, and RISC-V reads R=W=X=0 as a pointer to the next table.
/// Flags without <see cref="Read"/>, or with bits outside <see cref="All"/>, are rejected with
/// <see cref="PagingError.InvalidFlags"/>.
/// </remarks>
[Flags]
public enum MappingFlags : byte
{
    /// <summary>No permission (not a valid mapping on its own).</summary>
    None = 0,
    /// <summary>Readable.</summary>
    Read = 1 << 0,
    /// <summary>Writable.</summary>
    Write = 1 << 1,
    /// <summary>Executable.</summary>
    Execute = 1 << 2,
    /// <summary>Accessible from user mode (x86 ring 3, AArch64 EL0, RISC-V U-mode, LoongArch PLV3).</summary>
    User = 1 << 3,
    /// <summary>Device memory (strongly ordered, uncached). Takes precedence over <see cref="Uncached"/>.</summary>
    Device = 1 << 4,
    /// <summary>Normal memory, not cached.</summary>
    Uncached = 1 << 5,
    /// <summary>Every defined flag.</summary>
    All = Read | Write | Execute | User | Device | Uncached,
}

/// <summary>Checks shared by every operation that takes <see cref="MappingFlags"/>.</summary>
public static class MappingFlagsExtensions
{
    /// <summary>
    /// Whether <paramref name="flags"/> may be stored in a page-table entry: it contains
    /// <see cref="MappingFlags.Read"/> and no undefined bit.
    /// </summary>
    public static bool IsValidForMapping(this MappingFlags flags) =>
        (flags & MappingFlags.Read) != 0 && (flags & ~MappingFlags.All) == 0;
}
