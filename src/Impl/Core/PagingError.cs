namespace PageTableMultiarch;

/// <summary>
/// Why a page-table operation failed. The first five are the original's; the rest name the bad
/// inputs that the original either asserted on, silently adjusted, or did not check.
/// <c>docs/semantics.md</c> gives the order in which every operation checks them.
/// </summary>
public enum PagingError : byte
{
    /// <summary>The handler could not allocate a frame for an intermediate table.</summary>
    NoMemory = 1,
    /// <summary>An address or size is not aligned to the page size the operation needs.</summary>
    NotAligned,
    /// <summary>No mapping covers the address (or a hole lies inside a region).</summary>
    NotMapped,
    /// <summary>A mapping already occupies (part of) the target range.</summary>
    AlreadyMapped,
    /// <summary>The address lies inside a larger page that the operation would split, or a region cuts through a huge page.</summary>
    MappedToHugePage,
    /// <summary>A virtual address is not canonical for the architecture, or a region leaves the valid range.</summary>
    InvalidVirtAddr,
    /// <summary>A physical address (with the page it starts) lies beyond the architecture's physical width.</summary>
    InvalidPhysAddr,
    /// <summary><c>vaddr + size</c> passes 2^64.</summary>
    RangeOverflow,
    /// <summary>The flags hold <see cref="MappingFlags.Write"/> or <see cref="MappingFlags.Execute"/> without <see cref="MappingFlags.Read"/>, or undefined bits.</summary>
    InvalidFlags,
    /// <summary>The address lies under a root entry borrowed from another table by <c>CopyFrom</c>; it is read-only here.</summary>
    BorrowedEntry,
    /// <summary><c>CopyFrom</c> was given this table itself, or a table whose frames another handler owns.</summary>
    IncompatibleTable,
    /// <summary>
    /// The root slot's subtree is lent to another table by <c>CopyFrom</c>, so this table may not replace or free it
    /// (copy into it, or put a root-level huge page over it) while it is lent. Changes inside the subtree are allowed.
    /// </summary>
    LentEntry,
}
