namespace PageTableMultiarch;

/// <summary>
/// Architecture-independent mapping permissions and memory attributes (the original's
/// <c>MappingFlags</c>, same bit values). Each entry format translates them to hardware bits;
/// <c>docs/encodings.md</c> lists, per architecture, which combinations survive the round trip.
/// </summary>
/// <remarks>
/// A mapping either grants access — its flags contain <see cref="Read"/>, with <see cref="Write"/> and
/// <see cref="Execute"/> as wanted — or grants none: a <b>PROT_NONE</b> mapping, whose flags hold none of
/// <see cref="Read"/>, <see cref="Write"/>, <see cref="Execute"/> (<see cref="User"/>, <see cref="Device"/> and
/// <see cref="Uncached"/> may come with it and are kept as given). Every access to a PROT_NONE page faults: each format
/// writes it with the hardware's valid bit clear, keeping the frame and the page size in bits the manuals leave to
/// software (docs/encodings.md). <see cref="Write"/> or <see cref="Execute"/> without <see cref="Read"/>, and bits outside
/// <see cref="All"/>, are rejected with <see cref="PagingError.InvalidFlags"/> on every architecture (what each
/// architecture could express: docs/encodings.md).
/// </remarks>
[Flags]
public enum MappingFlags : byte
{
    /// <summary>No access: alone, or with <see cref="User"/>, <see cref="Device"/>, <see cref="Uncached"/>, a PROT_NONE mapping.</summary>
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
    /// <summary>The three access rights; a mapping whose flags hold none of them is PROT_NONE.</summary>
    private const MappingFlags AccessRights = MappingFlags.Read | MappingFlags.Write | MappingFlags.Execute;

    /// <summary>
    /// Whether <paramref name="flags"/> may be stored in a page-table entry: no undefined bit, and either
    /// <see cref="MappingFlags.Read"/> or none of the access rights (PROT_NONE). <see cref="MappingFlags.Write"/> or
    /// <see cref="MappingFlags.Execute"/> without <see cref="MappingFlags.Read"/> is not.
    /// </summary>
    public static bool IsValidForMapping(this MappingFlags flags) =>
        (flags & ~MappingFlags.All) == 0 && ((flags & MappingFlags.Read) != 0 || (flags & AccessRights) == 0);

    /// <summary>
    /// Whether <paramref name="flags"/> grant no access at all (none of <see cref="MappingFlags.Read"/>,
    /// <see cref="MappingFlags.Write"/>, <see cref="MappingFlags.Execute"/>): a PROT_NONE mapping when they are valid.
    /// </summary>
    public static bool IsProtNone(this MappingFlags flags) => (flags & AccessRights) == 0;
}
