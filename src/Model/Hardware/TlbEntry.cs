namespace PageTableModel.Hardware;

/// <summary>What a cached entry holds.</summary>
public enum TlbEntryKind
{
    /// <summary>A leaf translation: the TLB proper (a page, block or superpage and its attributes).</summary>
    Leaf,

    /// <summary>
    /// A non-leaf entry: x86 PML4-, PDPTE- or PDE-cache entry, an Arm walk-cache (intermediate-level) entry, a
    /// cached RISC-V non-leaf PTE. It lets a later walk start below its level without reading the levels above.
    /// </summary>
    Table,
}

/// <summary>How a cached entry refers to a physical frame (see <see cref="SimulatedTlb.ReferencesTo"/>).</summary>
public enum FrameUse
{
    /// <summary>A cached non-leaf entry points to the frame as the next table: a later walk reads it.</summary>
    NextTable,

    /// <summary>The cached entry is a copy of an entry stored in the frame (a table frame).</summary>
    ReadFrom,

    /// <summary>A cached leaf translates into the frame (a data frame).</summary>
    Output,
}

/// <summary>One entry of a <see cref="SimulatedTlb"/>: a copy of a page-table entry as a hardware walk read it.</summary>
public sealed class TlbEntry
{
    internal TlbEntry(
        TlbEntryKind kind, int level, ulong vaBase, ulong span, ulong entryAddress, ulong raw, bool global,
        ushort asid, ulong nextTable, ulong? outputBase, ulong inherited, ulong matchBase, ulong matchSpan, long sequence)
    {
        Kind = kind;
        Level = level;
        VaBase = vaBase;
        Span = span;
        EntryAddress = entryAddress;
        Raw = raw;
        Global = global;
        Asid = asid;
        NextTable = nextTable;
        OutputBase = outputBase;
        Inherited = inherited;
        MatchBase = matchBase;
        MatchSpan = matchSpan;
        Sequence = sequence;
    }

    /// <summary>Leaf translation or non-leaf entry.</summary>
    public TlbEntryKind Kind { get; }

    /// <summary>The level of the table the entry was read from, 0 being the root.</summary>
    public int Level { get; }

    /// <summary>The canonical virtual address of the first byte the entry covers.</summary>
    public ulong VaBase { get; }

    /// <summary>
    /// How many bytes of virtual address space the entry covers: the page size for a leaf; for a non-leaf entry the
    /// span of the table entry (512 GiB, 1 GiB or 2 MiB), all of which a walk through it may use.
    /// </summary>
    public ulong Span { get; }

    /// <summary>The physical address the entry was read from.</summary>
    public ulong EntryAddress { get; }

    /// <summary>The entry's value as it was read.</summary>
    public ulong Raw { get; }

    /// <summary>
    /// Whether the entry is global: it serves every address space, and invalidations restricted to one ASID (or an
    /// x86 CR3 reload) leave it.
    /// </summary>
    public bool Global { get; }

    /// <summary>The address-space identifier current when the entry was filled (0 on x86, where PCIDs are off).</summary>
    public ushort Asid { get; }

    /// <summary>For a non-leaf entry, the physical address of the table it points to; 0 for a leaf.</summary>
    public ulong NextTable { get; }

    /// <summary>
    /// For a leaf, the physical address <see cref="VaBase"/> translates to; <see langword="null"/> for a non-leaf
    /// entry and for a cached leaf that answers every access with a fault (a LoongArch TLB half loaded with V=0).
    /// </summary>
    public ulong? OutputBase { get; }

    /// <summary>Whether a lookup that hits this entry faults whatever the access (only LoongArch caches such halves).</summary>
    public bool AnswersWithFault => Kind == TlbEntryKind.Leaf && OutputBase is null;

    /// <summary>What the non-leaf entries above this one left for the levels below (architecture-private bits).</summary>
    internal ulong Inherited { get; }

    /// <summary>The start of the range an invalidation by address compares with (LoongArch: the even/odd pair).</summary>
    internal ulong MatchBase { get; }

    /// <summary>The length of that range.</summary>
    internal ulong MatchSpan { get; }

    /// <summary>Fill order: later entries have larger numbers.</summary>
    internal long Sequence { get; }

    /// <summary>Whether the entry covers <paramref name="va"/>.</summary>
    internal bool Covers(ulong va) => va - VaBase < Span;

    /// <summary>Whether an invalidation by address <paramref name="va"/> selects the entry.</summary>
    internal bool MatchedBy(ulong va) => va - MatchBase < MatchSpan;

    /// <summary>Prints the entry with hexadecimal addresses.</summary>
    /// <returns>For example <c>leaf L3 va 0x7000+0x1000 -> pa 0x5000 (0x5003 at 0x4038, asid 0)</c>.</returns>
    public override string ToString()
    {
        string target = Kind == TlbEntryKind.Table
            ? $"table 0x{NextTable:x}"
            : OutputBase is { } pa ? $"pa 0x{pa:x}" : "fault";
        string tag = Global ? "global" : $"asid {Asid}";
        return $"{Kind.ToString().ToLowerInvariant()} L{Level} va 0x{VaBase:x}+0x{Span:x} -> {target} (0x{Raw:x} at 0x{EntryAddress:x}, {tag})";
    }
}

/// <summary>A cached entry that no longer agrees with the page tables in memory.</summary>
/// <param name="Entry">The cached entry.</param>
/// <param name="Memory">What a walk of <see cref="TlbEntry.VaBase"/> through memory alone finds now, in words.</param>
public readonly record struct TlbDisagreement(TlbEntry Entry, string Memory)
{
    /// <summary>Prints the entry and what memory says.</summary>
    /// <returns>For example <c>leaf L3 va ... ; memory now: fault at level 3: not present (P=0)</c>.</returns>
    public override string ToString() => $"{Entry}; memory now: {Memory}";
}

/// <summary>A cached entry that refers to a physical frame.</summary>
/// <param name="Entry">The cached entry.</param>
/// <param name="Use">How it refers to the frame.</param>
public readonly record struct FrameReference(TlbEntry Entry, FrameUse Use)
{
    /// <summary>Prints the use and the entry.</summary>
    /// <returns>For example <c>NextTable: table L2 va ...</c>.</returns>
    public override string ToString() => $"{Use}: {Entry}";
}

/// <summary>The answer a <see cref="SimulatedTlb"/> gives for one access, and where it came from.</summary>
/// <param name="Result">The translation or the fault.</param>
/// <param name="Hit">The leaf entry that answered, or <see langword="null"/> when the access walked.</param>
/// <param name="WalkStart">
/// The cached non-leaf entry the walk started below, or <see langword="null"/> when it walked from the root (or hit).
/// </param>
public readonly record struct TlbLookup(WalkResult Result, TlbEntry? Hit, TlbEntry? WalkStart)
{
    /// <summary>Prints the answer and its source.</summary>
    /// <returns>For example <c>pa 0x5abc, 4K page, NormalCacheable (hit)</c>.</returns>
    public override string ToString() =>
        $"{Result.Translation?.AddressText ?? Result.ToString()} ({(Hit is not null ? "hit" : WalkStart is not null ? $"walk from cached L{WalkStart.Level}" : "walk")})";
}
