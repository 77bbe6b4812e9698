namespace PageTableModel;

/// <summary>
/// The obvious restatement of docs/semantics.md: a dictionary from a mapping's first virtual byte to the
/// mapping, a set of borrowed root slots, and plain loops. Every public operation checks its arguments in
/// the order semantics.md gives and changes nothing when it fails.
/// </summary>
/// <remarks>
/// <para>
/// The model has unlimited memory: it never reports <see cref="ModelError.NoMemory"/>. The properties
/// keep the implementation's arena large enough, or check only that NoMemory leaves the state unchanged.
/// </para>
/// <para>
/// <see cref="CopyFrom"/> takes a snapshot of the other model's mappings in the copied root slots. A real
/// table shares the subtree instead, so a later change to the other table inside those slots would show
/// through it; the properties must not change the other table there after the copy (see CopyFrom).
/// </para>
/// </remarks>
public sealed class ReferenceModel
{
    private const ulong Size4K = 0x1000;

    /// <summary>Every mapping, keyed by its first virtual byte. Mappings never overlap.</summary>
    private readonly Dictionary<ulong, ModelMapping> _mappings = [];

    /// <summary>The root slots whose subtree was copied from another table by <see cref="CopyFrom"/>.</summary>
    private readonly HashSet<int> _borrowed = [];

    /// <summary>Creates an empty model for one page-table format.</summary>
    /// <param name="arch">The format.</param>
    public ReferenceModel(ArchSpec arch)
    {
        ArgumentNullException.ThrowIfNull(arch);
        Arch = arch;
    }

    /// <summary>The page-table format this model describes.</summary>
    public ArchSpec Arch { get; }

    /// <summary>Every mapping, sorted by <see cref="ModelMapping.Va"/> as an unsigned number. A fresh list.</summary>
    public IReadOnlyList<ModelMapping> Mappings => _mappings.Values.OrderBy(m => m.Va).ToList();

    /// <summary>The borrowed root slots. A fresh set.</summary>
    public IReadOnlySet<int> BorrowedSlots => new HashSet<int>(_borrowed);

    /// <summary>
    /// The fewest table frames a table holding exactly this model's own mappings needs: the root, plus every table on
    /// the path of a mapping outside the borrowed slots (the tables at levels 1 down to the mapping's own level), each
    /// counted once however many mappings share it. A table at level k is told apart by the address bits above the
    /// span it covers, 12 + 9 * (levels - k).
    /// </summary>
    /// <returns>The number of frames.</returns>
    public int RequiredTableFrames()
    {
        var tables = new HashSet<(int Level, ulong Prefix)>();
        foreach (ModelMapping mapping in _mappings.Values)
        {
            if (IsBorrowed(mapping.Va))
            {
                continue;
            }

            int leafLevel = Arch.Levels - 1 - (mapping.Size == Size4K ? 0 : mapping.Size == 0x20_0000 ? 1 : 2);
            for (int level = 1; level <= leafLevel; level++)
            {
                tables.Add((level, mapping.Va >> (12 + 9 * (Arch.Levels - level))));
            }
        }

        return 1 + tables.Count;
    }

    /// <summary>A deep copy: the same mappings and borrowed slots, changed independently from now on.</summary>
    /// <returns>The copy.</returns>
    public ReferenceModel Clone()
    {
        var copy = new ReferenceModel(Arch);
        foreach (var (va, mapping) in _mappings)
        {
            copy._mappings.Add(va, mapping);
        }

        copy._borrowed.UnionWith(_borrowed);
        return copy;
    }

    /// <summary>
    /// The mapping that covers <paramref name="va"/> (any byte inside it), or <c>null</c>. A mapping of size
    /// S is aligned to S, so the only place one can start is <paramref name="va"/> rounded down to S: look
    /// there for each of the three sizes.
    /// </summary>
    /// <param name="va">Any virtual address; a non-canonical one is covered by nothing.</param>
    /// <returns>The covering mapping or null.</returns>
    public ModelMapping? Translate(ulong va)
    {
        foreach (ulong size in Arch.PageSizes)
        {
            ulong candidate = va - va % size;
            if (_mappings.TryGetValue(candidate, out var mapping) && Covers(mapping, va))
            {
                return mapping;
            }
        }

        return null;
    }

    /// <summary>Maps one page: semantics.md "Map".</summary>
    /// <param name="va">The page's virtual address.</param>
    /// <param name="pa">The page's physical address.</param>
    /// <param name="size">4K, 2M or 1G; anything else is a caller bug and throws.</param>
    /// <param name="flags">The flags as given; the mapping stores <see cref="ArchSpec.Effective"/> of them.</param>
    /// <returns>The virtual address to flush, which is <paramref name="va"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not a page size.</exception>
    public ModelResult<ulong> Map(ulong va, ulong pa, ulong size, ModelFlags flags)
    {
        if (!Arch.PageSizes.Contains(size))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Map takes one of the three page sizes.");
        }

        if (!Arch.IsCanonical(va))
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidVirtAddr);
        }

        if (va % size != 0)
        {
            return ModelResult<ulong>.Fail(ModelError.NotAligned);
        }

        if (!IsValid(flags))
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidFlags);
        }

        if (pa % size != 0)
        {
            return ModelResult<ulong>.Fail(ModelError.NotAligned);
        }

        if (!PhysicalPageFits(pa, size))
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidPhysAddr);
        }

        if (IsBorrowed(va))
        {
            return ModelResult<ulong>.Fail(ModelError.BorrowedEntry);
        }

        if (Translate(va) is { } covering && covering.Size > size)
        {
            return ModelResult<ulong>.Fail(ModelError.MappedToHugePage);
        }

        if (AnyMappingOverlaps(va, va + (size - 1)))
        {
            return ModelResult<ulong>.Fail(ModelError.AlreadyMapped);
        }

        _mappings.Add(va, new ModelMapping(va, pa, size, Arch.Effective(flags)));
        return ModelResult<ulong>.Ok(va);
    }

    /// <summary>Removes the mapping that starts at <paramref name="va"/>: semantics.md "Unmap".</summary>
    /// <param name="va">The mapping's first virtual byte.</param>
    /// <returns>The removed mapping's physical address and size.</returns>
    public ModelResult<(ulong Pa, ulong Size)> Unmap(ulong va)
    {
        if (!Arch.IsCanonical(va))
        {
            return ModelResult<(ulong, ulong)>.Fail(ModelError.InvalidVirtAddr);
        }

        if (va % Size4K != 0)
        {
            return ModelResult<(ulong, ulong)>.Fail(ModelError.NotAligned);
        }

        if (IsBorrowed(va))
        {
            return ModelResult<(ulong, ulong)>.Fail(ModelError.BorrowedEntry);
        }

        if (Translate(va) is not { } mapping)
        {
            return ModelResult<(ulong, ulong)>.Fail(ModelError.NotMapped);
        }

        if (mapping.Va != va)
        {
            return ModelResult<(ulong, ulong)>.Fail(ModelError.MappedToHugePage);
        }

        _mappings.Remove(va);
        return ModelResult<(ulong, ulong)>.Ok((mapping.Pa, mapping.Size));
    }

    /// <summary>Looks up one address: semantics.md "Query". Works through borrowed slots.</summary>
    /// <param name="va">Any canonical address; it need not be aligned.</param>
    /// <returns>The physical address of <paramref name="va"/>, the effective flags and the mapping's size.</returns>
    public ModelResult<(ulong Pa, ModelFlags Flags, ulong Size)> Query(ulong va)
    {
        if (!Arch.IsCanonical(va))
        {
            return ModelResult<(ulong, ModelFlags, ulong)>.Fail(ModelError.InvalidVirtAddr);
        }

        if (Translate(va) is not { } mapping)
        {
            return ModelResult<(ulong, ModelFlags, ulong)>.Fail(ModelError.NotMapped);
        }

        return ModelResult<(ulong, ModelFlags, ulong)>.Ok((mapping.Pa + (va - mapping.Va), mapping.Flags, mapping.Size));
    }

    /// <summary>Changes the flags of the mapping that starts at <paramref name="va"/>: semantics.md "Protect".</summary>
    /// <param name="va">The mapping's first virtual byte.</param>
    /// <param name="flags">The new flags as given.</param>
    /// <returns>The mapping's size.</returns>
    public ModelResult<ulong> Protect(ulong va, ModelFlags flags)
    {
        if (!Arch.IsCanonical(va))
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidVirtAddr);
        }

        if (va % Size4K != 0)
        {
            return ModelResult<ulong>.Fail(ModelError.NotAligned);
        }

        if (!IsValid(flags))
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidFlags);
        }

        if (IsBorrowed(va))
        {
            return ModelResult<ulong>.Fail(ModelError.BorrowedEntry);
        }

        if (Translate(va) is not { } mapping)
        {
            return ModelResult<ulong>.Fail(ModelError.NotMapped);
        }

        if (mapping.Va != va)
        {
            return ModelResult<ulong>.Fail(ModelError.MappedToHugePage);
        }

        _mappings[va] = mapping with { Flags = Arch.Effective(flags) };
        return ModelResult<ulong>.Ok(mapping.Size);
    }

    /// <summary>
    /// Points the mapping that starts at <paramref name="va"/> to <paramref name="pa"/> with new flags, keeping
    /// its size: semantics.md "Remap".
    /// </summary>
    /// <param name="va">The mapping's first virtual byte.</param>
    /// <param name="pa">The new physical address, aligned to the mapping's size.</param>
    /// <param name="flags">The new flags as given.</param>
    /// <returns>The mapping's size.</returns>
    public ModelResult<ulong> Remap(ulong va, ulong pa, ModelFlags flags)
    {
        if (!Arch.IsCanonical(va))
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidVirtAddr);
        }

        if (va % Size4K != 0)
        {
            return ModelResult<ulong>.Fail(ModelError.NotAligned);
        }

        if (!IsValid(flags))
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidFlags);
        }

        if (pa % Size4K != 0)
        {
            return ModelResult<ulong>.Fail(ModelError.NotAligned);
        }

        if (pa >= 1UL << Arch.PaBits)
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidPhysAddr);
        }

        if (IsBorrowed(va))
        {
            return ModelResult<ulong>.Fail(ModelError.BorrowedEntry);
        }

        if (Translate(va) is not { } mapping)
        {
            return ModelResult<ulong>.Fail(ModelError.NotMapped);
        }

        if (mapping.Va != va)
        {
            return ModelResult<ulong>.Fail(ModelError.MappedToHugePage);
        }

        if (pa % mapping.Size != 0)
        {
            return ModelResult<ulong>.Fail(ModelError.NotAligned);
        }

        if (!PhysicalPageFits(pa, mapping.Size))
        {
            return ModelResult<ulong>.Fail(ModelError.InvalidPhysAddr);
        }

        _mappings[va] = mapping with { Pa = pa, Flags = Arch.Effective(flags) };
        return ModelResult<ulong>.Ok(mapping.Size);
    }

    /// <summary>
    /// Maps <c>[va, va + size)</c> page by page, choosing the largest page that fits at each step:
    /// semantics.md "MapRegion". All or nothing: on a failure the pages this call mapped are removed again.
    /// </summary>
    /// <remarks>
    /// <paramref name="getPaddr"/> is called before the step's physical and state checks, so the failing step
    /// has called it too. If it throws (a caller bug: it should be a pure function), the exception propagates
    /// and the pages mapped so far stay, as they would in a table that was being written step by step.
    /// </remarks>
    /// <param name="va">The region's first virtual byte.</param>
    /// <param name="getPaddr">Gives the physical address for a step's first byte; called once per step, in order.</param>
    /// <param name="size">The region's length in bytes; a multiple of 4K, possibly 0.</param>
    /// <param name="flags">The flags as given.</param>
    /// <param name="allowHuge">Whether 2M and 1G pages may be used.</param>
    /// <returns><c>true</c> on success.</returns>
    public ModelResult<bool> MapRegion(ulong va, Func<ulong, ulong> getPaddr, ulong size, ModelFlags flags, bool allowHuge)
    {
        ArgumentNullException.ThrowIfNull(getPaddr);
        if (CheckRegion(va, size) is { } regionError)
        {
            return ModelResult<bool>.Fail(regionError);
        }

        if (!IsValid(flags))
        {
            return ModelResult<bool>.Fail(ModelError.InvalidFlags);
        }

        var mappedByThisCall = new List<ulong>();
        ulong done = 0; // bytes of the region mapped so far; counting from va keeps 2^64 out of the arithmetic
        while (done < size)
        {
            ulong cur = va + done;
            ulong rest = size - done;
            ulong pa = getPaddr(cur);
            ulong step = StepSize(cur, pa, rest, allowHuge);

            // cur is canonical and aligned to step, flags are valid, and pa is aligned to step unless step is
            // 4K; so Map's first three checks pass and its remaining ones are exactly this step's checks:
            // NotAligned (pa % 4K), InvalidPhysAddr (pa + step > 2^P), then the state checks 6 to 9.
            var result = Map(cur, pa, step, flags);
            if (result.Error is { } error)
            {
                foreach (ulong mappedVa in mappedByThisCall)
                {
                    _mappings.Remove(mappedVa);
                }

                return ModelResult<bool>.Fail(error);
            }

            mappedByThisCall.Add(cur);
            done += step;
        }

        return ModelResult<bool>.Ok(true);
    }

    /// <summary>
    /// Removes every mapping in <c>[va, va + size)</c>, every byte of which must be mapped: semantics.md
    /// "UnmapRegion". A mapping crossing an end of the region is split there first (<see cref="SplitAt"/>), so what lies
    /// outside the region stays mapped. Nothing changes unless the whole scan passes.
    /// </summary>
    /// <param name="va">The region's first virtual byte.</param>
    /// <param name="size">The region's length in bytes; a multiple of 4K, possibly 0.</param>
    /// <returns><c>true</c> on success.</returns>
    public ModelResult<bool> UnmapRegion(ulong va, ulong size)
    {
        if (CheckRegion(va, size) is { } regionError)
        {
            return ModelResult<bool>.Fail(regionError);
        }

        if (size == 0)
        {
            return ModelResult<bool>.Ok(true); // nothing to change, and no end inside any mapping
        }

        if (CheckCovered(va, size) is { } error)
        {
            return ModelResult<bool>.Fail(error);
        }

        SplitAt(va);
        SplitAt(va + size);
        foreach (var mapping in MappingsInside(va, size))
        {
            _mappings.Remove(mapping.Va);
        }

        return ModelResult<bool>.Ok(true);
    }

    /// <summary>
    /// Gives every mapping in <c>[va, va + size)</c> new flags; every byte of the region must be mapped, and a
    /// mapping crossing an end is split there first: semantics.md "ProtectRegion". Nothing changes unless the whole
    /// scan passes.
    /// </summary>
    /// <param name="va">The region's first virtual byte.</param>
    /// <param name="size">The region's length in bytes; a multiple of 4K, possibly 0.</param>
    /// <param name="flags">The new flags as given.</param>
    /// <returns><c>true</c> on success.</returns>
    public ModelResult<bool> ProtectRegion(ulong va, ulong size, ModelFlags flags)
    {
        if (CheckRegion(va, size) is { } regionError)
        {
            return ModelResult<bool>.Fail(regionError);
        }

        if (!IsValid(flags))
        {
            return ModelResult<bool>.Fail(ModelError.InvalidFlags);
        }

        if (size == 0)
        {
            return ModelResult<bool>.Ok(true); // nothing to change, and no end inside any mapping
        }

        if (CheckCovered(va, size) is { } error)
        {
            return ModelResult<bool>.Fail(error);
        }

        SplitAt(va);
        SplitAt(va + size);
        foreach (var mapping in MappingsInside(va, size))
        {
            _mappings[mapping.Va] = mapping with { Flags = Arch.Effective(flags) };
        }

        return ModelResult<bool>.Ok(true);
    }

    /// <summary>
    /// Takes over whole root slots from <paramref name="other"/>: semantics.md "CopyFrom". For every root slot
    /// from <paramref name="start"/>'s to the last byte's, this model's own mappings there are dropped, all of
    /// <paramref name="other"/>'s mappings there (the whole slot, not only the range) are copied in, and the
    /// slot becomes borrowed.
    /// </summary>
    /// <remarks>
    /// The copy is a snapshot. A real table shares the other table's subtree (except on Sv39, where a root
    /// entry can itself be a 1G leaf and is copied by value), so its later changes inside the slot would be
    /// visible here; the model cannot follow them, because whether a root entry pointed to a table at the
    /// time of the copy is not part of the mapping state.
    /// Incompatible means the same model, or a model of another format (the model has no arenas, so two
    /// tables of one format with different arenas, incompatible in the implementation, are compatible here).
    /// </remarks>
    /// <param name="other">The model to copy from.</param>
    /// <param name="start">The first byte of the range whose root slots are copied.</param>
    /// <param name="size">The length of the range; a multiple of 4K, possibly 0.</param>
    /// <returns><c>true</c> on success.</returns>
    public ModelResult<bool> CopyFrom(ReferenceModel other, ulong start, ulong size)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (CheckRegion(start, size) is { } regionError)
        {
            return ModelResult<bool>.Fail(regionError);
        }

        if (ReferenceEquals(other, this) || !ReferenceEquals(other.Arch, Arch))
        {
            return ModelResult<bool>.Fail(ModelError.IncompatibleTable);
        }

        if (size == 0)
        {
            return ModelResult<bool>.Ok(true);
        }

        int firstSlot = Arch.RootSlot(start);
        int lastSlot = Arch.RootSlot(start + (size - 1));
        for (int slot = firstSlot; slot <= lastSlot; slot++)
        {
            foreach (var mine in _mappings.Values.Where(m => Arch.RootSlot(m.Va) == slot).ToList())
            {
                _mappings.Remove(mine.Va);
            }

            foreach (var theirs in other._mappings.Values.Where(m => Arch.RootSlot(m.Va) == slot))
            {
                _mappings.Add(theirs.Va, theirs);
            }

            _borrowed.Add(slot);
        }

        return ModelResult<bool>.Ok(true);
    }

    /// <summary>
    /// The argument checks 1 to 4 shared by the region operations: canonical start, 4K-aligned start and size,
    /// no overflow past 2^64, and (for a non-empty region) a canonical last byte in the same half as the start.
    /// </summary>
    private ModelError? CheckRegion(ulong va, ulong size)
    {
        if (!Arch.IsCanonical(va))
        {
            return ModelError.InvalidVirtAddr;
        }

        if (va % Size4K != 0 || size % Size4K != 0)
        {
            return ModelError.NotAligned;
        }

        if (size > 0 && size - 1 > ulong.MaxValue - va)
        {
            return ModelError.RangeOverflow; // the last byte va + size - 1 would be past 2^64 - 1
        }

        if (size > 0)
        {
            ulong last = va + (size - 1);
            if (!Arch.IsCanonical(last) || IsHighHalf(last) != IsHighHalf(va))
            {
                return ModelError.InvalidVirtAddr;
            }
        }

        return null;
    }

    /// <summary>
    /// The scan of UnmapRegion and ProtectRegion: walks the region from its start, one mapping at a time, and
    /// returns the first error in increasing address order (a borrowed slot, or a byte no mapping covers), or null
    /// when every byte of the region is mapped. A mapping may start before the region or end after it.
    /// </summary>
    private ModelError? CheckCovered(ulong va, ulong size)
    {
        ulong done = 0;
        while (done < size)
        {
            ulong cur = va + done;
            if (IsBorrowed(cur))
            {
                return ModelError.BorrowedEntry;
            }

            if (Translate(cur) is not { } mapping)
            {
                return ModelError.NotMapped;
            }

            done += LastByte(mapping) - cur + 1; // on to the byte after the mapping
        }

        return null;
    }

    /// <summary>
    /// The split: while a mapping covers <paramref name="boundary"/> but starts before it, that mapping becomes the 512
    /// mappings of the next smaller page size that make it up, with the same frames and flags. So a 1G mapping becomes
    /// 2M mappings, and only the 2M one that still covers the boundary becomes 4K mappings. Afterwards no mapping
    /// crosses the boundary, and every address keeps its translation.
    /// </summary>
    private void SplitAt(ulong boundary)
    {
        while (Translate(boundary) is { } mapping && mapping.Va != boundary)
        {
            ulong piece = mapping.Size / 512; // 1G -> 2M, 2M -> 4K
            _mappings.Remove(mapping.Va);
            for (ulong offset = 0; offset < mapping.Size; offset += piece)
            {
                _mappings.Add(mapping.Va + offset, mapping with { Va = mapping.Va + offset, Pa = mapping.Pa + offset, Size = piece });
            }
        }
    }

    /// <summary>The mappings that tile <c>[va, va + size)</c> once the region is covered and split at both ends.</summary>
    private List<ModelMapping> MappingsInside(ulong va, ulong size)
    {
        var found = new List<ModelMapping>();
        for (ulong done = 0; done < size; done += found[^1].Size)
        {
            found.Add(Translate(va + done) ?? throw new InvalidOperationException("the region was checked to be covered"));
        }

        return found;
    }

    /// <summary>
    /// MapRegion's step size at <paramref name="cur"/>: the largest page size S (1G, then 2M) such that huge
    /// pages are allowed, <paramref name="cur"/> and <paramref name="pa"/> are aligned to S and at least S bytes
    /// remain; else 4K.
    /// </summary>
    private ulong StepSize(ulong cur, ulong pa, ulong rest, bool allowHuge)
    {
        if (allowHuge)
        {
            for (int i = Arch.PageSizes.Count - 1; i > 0; i--) // the huge sizes, largest first
            {
                ulong size = Arch.PageSizes[i];
                if (cur % size == 0 && pa % size == 0 && rest >= size)
                {
                    return size;
                }
            }
        }

        return Size4K;
    }

    /// <summary>
    /// Whether any mapping shares a byte with <c>[first, last]</c>. The definition is a loop over every
    /// mapping. When the model holds more mappings than the range has candidate start addresses, it looks up
    /// the candidates instead (same answer: a mapping of size S starts at a multiple of S, so one that
    /// overlaps starts either at <paramref name="first"/> rounded down to S, or at a multiple of S inside the
    /// range). This keeps a large MapRegion of 4K pages linear rather than quadratic.
    /// </summary>
    private bool AnyMappingOverlaps(ulong first, ulong last)
    {
        ulong candidates = 0;
        foreach (ulong size in Arch.PageSizes)
        {
            candidates += CandidateCount(first, last, size);
        }

        if ((ulong)_mappings.Count <= candidates)
        {
            foreach (var mapping in _mappings.Values)
            {
                if (Overlaps(mapping, first, last))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (ulong size in Arch.PageSizes)
        {
            // Counted by an index, so that a range ending at 2^64 - 1 cannot wrap around.
            ulong start = first - first % size;
            ulong count = CandidateCount(first, last, size);
            for (ulong i = 0; i < count; i++)
            {
                if (_mappings.TryGetValue(start + i * size, out var mapping) && Overlaps(mapping, first, last))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// How many addresses a mapping of <paramref name="size"/> bytes overlapping <c>[first, last]</c> can start
    /// at: <paramref name="first"/> rounded down to the size, and each multiple of the size after it up to
    /// <paramref name="last"/>.
    /// </summary>
    private static ulong CandidateCount(ulong first, ulong last, ulong size) => 1 + (last - (first - first % size)) / size;

    /// <summary>Whether the root slot that covers <paramref name="va"/> is borrowed.</summary>
    private bool IsBorrowed(ulong va) => _borrowed.Contains(Arch.RootSlot(va));

    /// <summary>Whether a physical page of <paramref name="size"/> bytes at <paramref name="pa"/> ends at or below 2^P.</summary>
    private bool PhysicalPageFits(ulong pa, ulong size)
    {
        ulong limit = 1UL << Arch.PaBits; // P is at most 56, so 2^P fits
        return size <= limit && pa <= limit - size;
    }

    /// <summary>Valid flags: Read, or no access at all (PROT_NONE), and no bit outside the six defined ones.</summary>
    private static bool IsValid(ModelFlags flags) => flags.IsValid();

    /// <summary>Whether <paramref name="va"/> is in the high half (bit 63 set).</summary>
    private static bool IsHighHalf(ulong va) => va >= 1UL << 63;

    /// <summary>Whether <paramref name="mapping"/> contains the byte <paramref name="va"/>.</summary>
    private static bool Covers(ModelMapping mapping, ulong va) => va >= mapping.Va && va - mapping.Va < mapping.Size;

    /// <summary>Whether <paramref name="mapping"/> shares a byte with <c>[first, last]</c>.</summary>
    private static bool Overlaps(ModelMapping mapping, ulong first, ulong last) =>
        mapping.Va <= last && first <= LastByte(mapping);

    /// <summary>The last byte of <paramref name="mapping"/>; computed this way it cannot wrap at 2^64.</summary>
    private static ulong LastByte(ModelMapping mapping) => mapping.Va + (mapping.Size - 1);
}
