using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PageTableMultiarch;

/// <summary>
/// A 64-bit multi-level page table (the original's <c>PageTable64&lt;M, PTE, H&gt;</c>), generic over the
/// architecture metadata <typeparamref name="TMeta"/>, the hardware entry format <typeparamref name="TPte"/>
/// and the frame handler <typeparamref name="THandler"/>. All three are structs, so the JIT emits one
/// specialized body per architecture with the level count, shifts and bit masks as constants.
/// </summary>
/// <remarks>
/// <para>Entries are read and written through pointers into the handler's memory; no operation allocates
/// managed memory. The semantics — argument checks, their order, and where this port departs from the
/// original — are in <c>docs/semantics.md</c>; every expected failure is a <see cref="PagingError"/> value.</para>
/// <para>Not thread-safe (tables on different threads may share one <see cref="FrameArena"/>). <see cref="Dispose"/> frees
/// every table frame the table owns.</para>
/// <para>Caller code that runs inside an operation (a <c>MapRegion</c> callback, a <c>Walk</c> visitor) may read this
/// table, but every change to it (and its <see cref="Dispose"/>) throws <see cref="InvalidOperationException"/> until
/// the operation returns. After the handler's memory is released (its arena disposed), every operation throws
/// <see cref="ObjectDisposedException"/> and <see cref="Dispose"/> frees nothing.</para>
/// <para><b>Pointer safety.</b> Every entry pointer comes from <c>TableOf</c>/<c>Root</c>, that is from the handler's
/// <see cref="IPagingHandler.PhysToHost"/>, which refuses (throws for) any address outside the memory it owns and
/// returns the first byte of a 4 KiB frame. Entries are reached only as that pointer plus an index masked to 0..511
/// (<c>Index</c>) or by a loop that stops at the table's 512th entry, so no access leaves the frame. The memory cannot
/// be released during an operation except by caller code it runs (a region callback, a walk visitor); after such code
/// the table checks <see cref="IPagingHandler.IsMemoryReleased"/> before it touches memory again, and visitors only
/// ever get copies of entries. Members that use pointers are marked <c>unsafe</c> one by one; the type is not.</para>
/// </remarks>
/// <typeparam name="TMeta">Levels, address widths and the TLB flush hook.</typeparam>
/// <typeparam name="TPte">The 8-byte entry format.</typeparam>
/// <typeparam name="THandler">Frame allocation and physical-to-host translation.</typeparam>
public partial class PageTable64<TMeta, TPte, THandler> : IDisposable
    where TMeta : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
    where THandler : struct, IPagingHandler
{
    /// <summary>Entries per table (4 KiB / 8 bytes).</summary>
    public const int EntryCount = 512;

    private const int PageShift = 12;
    private const int IndexBits = 9;
    private const ulong PageMask = 0xfff;

    private THandler _handler;
    private PhysAddr _root;
    private bool _disposed;
    private bool _busy; // an operation that runs caller code (region callback, walk visitor) is under way
    private Bitmap512 _borrowed;
    private bool _anyBorrowed;
    private SharedSubtree?[]? _shares; // per root slot: the share record when the slot's subtree is lent or borrowed

    /// <summary>Wraps an already allocated and zeroed root frame. Use <see cref="TryCreate"/> or a ready type's factory.</summary>
    protected PageTable64(THandler handler, PhysAddr rootPaddr)
    {
        _handler = handler;
        _root = rootPaddr;
    }

    /// <summary>Allocates a zeroed root table (the original's <c>try_new</c>).</summary>
    /// <returns>The table, or <see cref="PagingError.NoMemory"/> if the handler has no frame, or
    /// <see cref="PagingError.InvalidPhysAddr"/> if it gave a frame that is unaligned or beyond the physical width
    /// (the frame is given back).</returns>
    /// <exception cref="InvalidOperationException">The handler is a default <see cref="ArenaHandler"/> (no arena).</exception>
    /// <exception cref="ObjectDisposedException">The handler's memory has been released.</exception>
    public static PagingResult<PageTable64<TMeta, TPte, THandler>> TryCreate(THandler handler)
    {
        PagingError error = TryAllocRoot(ref handler, out PhysAddr root);
        if (error != 0) return error;
        return new PageTable64<TMeta, TPte, THandler>(handler, root);
    }

    /// <summary>Allocates and zeroes a root frame for a derived type's factory; 0, or the error
    /// <see cref="TryCreate(THandler)"/> returns.</summary>
    /// <exception cref="InvalidOperationException">The handler is a default <see cref="ArenaHandler"/> (no arena).</exception>
    /// <exception cref="ObjectDisposedException">The handler's memory has been released.</exception>
    protected static PagingError TryAllocRoot(ref THandler handler, out PhysAddr root)
    {
        // An arena handler is checked whole: a table refuses an arena any frame of which it could not point at.
        if (typeof(THandler) == typeof(ArenaHandler) && !ArenaFits(Unsafe.As<THandler, ArenaHandler>(ref handler).Arena))
        {
            root = default;
            return PagingError.InvalidPhysAddr;
        }
        return TryAllocZeroed(ref handler, out root);
    }

    /// <summary>Whether every frame of <paramref name="arena"/> lies below 2^<c>PaMaxBits</c>, so a table pointer can hold it.</summary>
    private static bool ArenaFits(FrameArena arena) => arena.EndPaddr.Value - 1 < 1UL << TMeta.PaMaxBits;

    /// <summary>Takes a frame from <paramref name="handler"/>, checks that a table pointer can hold it, and zeroes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per new table: without it, a short run's first tables go through unoptimized code
    private static unsafe PagingError TryAllocZeroed(ref THandler handler, out PhysAddr paddr)
    {
        if (!handler.TryAllocFrame(out paddr)) return PagingError.NoMemory;
        if (FrameError(paddr.Value) != 0)
        {
            handler.DeallocFrame(paddr);
            paddr = default;
            return PagingError.InvalidPhysAddr;
        }
        ZeroFrame(handler.PhysToHost(paddr));
        return 0;
    }

    /// <summary>Zeroes the 4 KiB frame at <paramref name="frame"/> (4 KiB-aligned) with 32-byte stores: about half the
    /// time of the C library's <c>memset</c> for one frame on the x86-64 machines measured (BENCHMARKS.md).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ZeroFrame(byte* frame)
    {
        for (byte* p = frame, end = frame + FrameArena.FrameSize; p != end; p += 4 * Vector256<byte>.Count)
        {
            Vector256.StoreAligned(Vector256<byte>.Zero, p);
            Vector256.StoreAligned(Vector256<byte>.Zero, p + Vector256<byte>.Count);
            Vector256.StoreAligned(Vector256<byte>.Zero, p + 2 * Vector256<byte>.Count);
            Vector256.StoreAligned(Vector256<byte>.Zero, p + 3 * Vector256<byte>.Count);
        }
    }

    /// <summary>The physical address of the root table (what CR3 / TTBRx / satp / PGDL/PGDH receive).</summary>
    /// <exception cref="ObjectDisposedException">The table has been disposed (its root frame is given back).</exception>
    public PhysAddr RootPaddr
    {
        get
        {
            ThrowIfDisposed();
            return _root;
        }
    }

    /// <summary>
    /// Whether an MMU may be walking this table (it is, or may become, the active translation of some CPU). While live
    /// (the default), the table performs the TLB maintenance that no returned flush can express: it invalidates before
    /// it frees a table frame hardware could reach (clear, invalidate, free), before a failed region map returns, and
    /// where the architecture requires break-before-make (<see cref="IPagingMetaData.BreakBeforeMake"/>) it writes an
    /// invalid entry and invalidates before writing the replacement. Set it to false for a table no MMU can see yet
    /// (being built, or a host image): then it writes entries directly and calls no flush itself. What the caller must
    /// still flush: docs/semantics.md, "TLB maintenance".
    /// </summary>
    public bool Live { get; set; } = true;

    /// <summary>The handler (a copy of the struct the table uses).</summary>
    public THandler Handler => _handler;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Whether the root slot with <paramref name="index"/> was borrowed from another table by <c>CopyFrom</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, 512).</exception>
    public bool IsBorrowedSlot(int index)
    {
        CheckSlot(index);
        return _borrowed.Get(index);
    }

    /// <summary>
    /// Whether the subtree under this table's own root slot <paramref name="index"/> is lent to at least one other table
    /// by <c>CopyFrom</c> (including tables that borrowed it from a borrower). Such a slot cannot be replaced
    /// (<see cref="PagingError.LentEntry"/>); its tables outlive this table until the last borrower lets go of them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, 512).</exception>
    public bool IsLentSlot(int index)
    {
        CheckSlot(index);
        return IsLent(index);
    }

    private static void CheckSlot(int index)
    {
        if ((uint)index >= EntryCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, "A root slot index is in [0, 512).");
    }

    // ---- geometry -------------------------------------------------------------------------------

    /// <summary>The level of the last (4K) table.</summary>
    private static int LeafLevel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TMeta.Levels - 1;
    }

    /// <summary>The address bit where the index of <paramref name="level"/> starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Shift(int level) => PageShift + IndexBits * (TMeta.Levels - 1 - level);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint Index(ulong va, int level) => (nuint)((va >> Shift(level)) & (EntryCount - 1));

    /// <summary>The level at which a leaf of <paramref name="size"/> sits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LevelOf(PageSize size) => size switch
    {
        PageSize.Size4K => TMeta.Levels - 1,
        PageSize.Size2M => TMeta.Levels - 2,
        PageSize.Size1G => TMeta.Levels - 3,
        _ => ThrowBadSize(size),
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ThrowBadSize(PageSize size) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, "Not one of Size4K, Size2M, Size1G.");

    /// <summary>The size mapped by a leaf at <paramref name="level"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SizeAt(int level) => 1UL << Shift(level);

    /// <summary>
    /// Whether a page at <paramref name="pa"/> lies below 2^<c>PaMaxBits</c>. Every caller has checked that
    /// <paramref name="pa"/> is aligned to the page's size, and the limit is a multiple of 1 GiB, so a page that starts
    /// below the limit also ends at or below it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PaFits(ulong pa) => pa < 1UL << TMeta.PaMaxBits;

    /// <summary>The checks of a 4K frame's address, in order: <see cref="PagingError.NotAligned"/>, then
    /// <see cref="PagingError.InvalidPhysAddr"/>; 0 when it is a usable frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PagingError FrameError(ulong pa) =>
        (pa & PageMask) != 0 ? PagingError.NotAligned : PaFits(pa) ? 0 : PagingError.InvalidPhysAddr;

    /// <summary>The canonical address of the first byte an entry covers.</summary>
    private static ulong Canonicalize(ulong va) => Canonical.SignExtend(va, TMeta.VaMaxBits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe TPte* TableOf(PhysAddr paddr) => (TPte*)_handler.PhysToHost(paddr);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe TPte* Root() => (TPte*)_handler.PhysToHost(_root);

    /// <summary>Allocates a zeroed table frame; 0, <see cref="PagingError.NoMemory"/>, or <see cref="PagingError.InvalidPhysAddr"/>
    /// for a frame a table pointer cannot hold.</summary>
    private PagingError TryAllocTable(out PhysAddr paddr) => TryAllocZeroed(ref _handler, out paddr);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsBorrowedAddress(ulong va) => _anyBorrowed && _borrowed.Get((int)Index(va, 0));

    /// <summary>For reads: the table must not be disposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_disposed) ThrowHelper.Disposed(GetType().Name);
    }

    /// <summary>For changes: the table must not be disposed, nor in the middle of an operation that runs caller code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfNotWritable()
    {
        if (_disposed | _busy) ThrowNotWritable();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNotWritable()
    {
        ThrowIfDisposed();
        throw new InvalidOperationException(
            $"{GetType().Name} is in the middle of an operation that called back into caller code (a MapRegion callback or a Walk " +
            "visitor); it cannot be changed or disposed until that operation returns.");
    }

    /// <summary>After caller code ran inside an operation: the memory must still be there before it is touched again.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfMemoryReleased()
    {
        if (_handler.IsMemoryReleased) ThrowHelper.Disposed(GetType().Name + "'s memory");
    }

    // ---- entry writes -----------------------------------------------------------------------------

    /// <summary>
    /// The one place where the table writes an entry: every write goes through here, so a test metadata type sees each
    /// one (<see cref="IPagingMetaData.OnEntryWrite"/>) in order with the flushes, allocations and frees.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Write(TPte* entry, TPte value)
    {
        ulong old = entry->Bits;
        *entry = value;
        TMeta.OnEntryWrite((nint)entry, old, value.Bits);
    }

    /// <summary>
    /// Replaces the present leaf at <paramref name="entry"/> (mapping <paramref name="va"/>) by <paramref name="value"/>:
    /// in place, or — on a live table of an architecture with break-before-make, when the output address or memory type
    /// changes — through an invalid entry and a TLB invalidation of the page.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void ReplaceLeaf(TPte* entry, TPte value, ulong va)
    {
        if (TMeta.BreakBeforeMake && Live && NeedsBreak(*entry, value)) Break(entry, va);
        Write(entry, value);
    }

    /// <summary>The break of break-before-make for the leaf at <paramref name="entry"/> mapping <paramref name="va"/>:
    /// an invalid entry, then the page's invalidation; the caller writes the new entry next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Break(TPte* entry, ulong va)
    {
        Write(entry, TPte.Empty);
        TMeta.FlushTlb(new VirtAddr(va));
    }

    /// <summary>Whether changing leaf <paramref name="old"/> into <paramref name="value"/> changes more than permissions. A
    /// PROT_NONE leaf is invalid, so writing one, or writing over one, needs no break.</summary>
    private static bool NeedsBreak(TPte old, TPte value) =>
        old.IsPresent && value.IsPresent && (old.Paddr != value.Paddr || MemoryTypeDiffers(old, value));

    /// <summary>Whether two leaves differ in the bits that encode the memory type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool MemoryTypeDiffers(TPte old, TPte value) => ((old.Bits ^ value.Bits) & MemoryTypeBits) != 0;

    /// <summary>The bits in which this format encodes the memory type: those that Device or Uncached change in a leaf.</summary>
    private static readonly ulong MemoryTypeBits =
        (TPte.NewPage(default, MappingFlags.Read, false).Bits ^ TPte.NewPage(default, MappingFlags.Read | MappingFlags.Device, false).Bits) |
        (TPte.NewPage(default, MappingFlags.Read, false).Bits ^ TPte.NewPage(default, MappingFlags.Read | MappingFlags.Uncached, false).Bits);

    // ---- entry kinds ----------------------------------------------------------------------------

    /// <summary>
    /// Whether <paramref name="e"/>, at <paramref name="level"/>, is a mapping: at the last level a valid or PROT_NONE
    /// entry, above it a valid or PROT_NONE huge leaf (see <see cref="IGenericPte{TSelf}"/>, "entry kinds").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsLeaf(TPte e, int level) => level == LeafLevel ? e.IsPresent || e.IsProtNone : e.IsHuge;

    /// <summary>
    /// Whether <paramref name="e"/>, at <paramref name="level"/>, points to a next-level table: above the last level,
    /// valid and not a leaf. No other entry is ever followed, or freed, as a table: not an empty one, not a PROT_NONE
    /// leaf, and not a non-zero entry of no kind (a stale or foreign value), which counts as no mapping.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsTable(TPte e, int level) => level != LeafLevel && EntryKind.IsTablePointer(e);

    // ---- lookup ---------------------------------------------------------------------------------

    /// <summary>
    /// Finds the leaf (valid or PROT_NONE) that covers <paramref name="va"/>: its entry pointer and level.
    /// Returns false when some level on the way holds no table, or the entry found is no leaf.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe bool TryFindLeaf(ulong va, out TPte* entry, out int level) => TryFindLeaf(va, out entry, out level, out _);

    /// <summary>As <see cref="TryFindLeaf(ulong, out TPte*, out int)"/>, also giving the table that holds the leaf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe bool TryFindLeaf(ulong va, out TPte* entry, out int level, out TPte* table)
    {
        table = Root();
        for (level = 0; ; level++)
        {
            TPte* e = table + Index(va, level);
            if (IsLeaf(*e, level))
            {
                entry = e;
                return true;
            }
            if (!IsTable(*e, level)) break;
            table = TableOf(e->Paddr);
        }
        entry = null;
        return false;
    }

    /// <summary>Whether the table at <paramref name="tablePaddr"/> (at <paramref name="level"/>) or any table below it maps a page.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe bool SubtreeHasMapping(PhysAddr tablePaddr, int level)
    {
        TPte* table = TableOf(tablePaddr);
        for (int i = 0; i < EntryCount; i++)
        {
            TPte* e = table + i;
            if (IsLeaf(*e, level)) return true;
            if (IsTable(*e, level) && SubtreeHasMapping(e->Paddr, level + 1)) return true;
        }
        return false;
    }

    /// <summary>Frees the table at <paramref name="tablePaddr"/> (at <paramref name="level"/>) and every table below it,
    /// in batches (<see cref="IPagingHandler.DeallocFrames"/>), each table after the tables below it.</summary>
    [SkipLocalsInit] // the batch buffer is written before it is read
    private unsafe void FreeSubtree(PhysAddr tablePaddr, int level)
    {
        PhysAddr* frames = stackalloc PhysAddr[FrameBatch.Capacity];
        var batch = new FrameBatch { Frames = frames };
        CollectSubtree(tablePaddr, level, ref batch);
        batch.Flush(ref _handler);
    }

    /// <summary>Adds the tables below the table at <paramref name="tablePaddr"/> (at <paramref name="level"/>), then that
    /// table, to <paramref name="batch"/>, which gives them back whenever it is full. Nothing is read from a table after
    /// it was added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe void CollectSubtree(PhysAddr tablePaddr, int level, ref FrameBatch batch)
    {
        if (level == LeafLevel - 1)
        {
            CollectLeafTables(TableOf(tablePaddr), ref batch);
        }
        else if (level < LeafLevel)
        {
            TPte* table = TableOf(tablePaddr);
            for (int i = 0; i < EntryCount; i += 8)
            {
                // Stryker disable once Statement : a shortcut only: without it the same entries are looked at one by one
                if (EightUnused(table + i)) continue;
                for (TPte* e = table + i, end = e + 8; e != end; e++)
                {
                    if (IsTable(*e, level)) CollectSubtree(e->Paddr, level + 1, ref batch);
                }
            }
        }
        batch.Add(tablePaddr, ref _handler);
    }

    /// <summary>Adds the last-level tables that <paramref name="table"/> (one level above them) points at to
    /// <paramref name="batch"/>: nothing is read in them, so they are taken as they are, with the count kept in a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private unsafe void CollectLeafTables(TPte* table, ref FrameBatch batch)
    {
        PhysAddr* frames = batch.Frames;
        int count = batch.Count;
        for (int i = 0; i < EntryCount; i += 8)
        {
            // Stryker disable once Statement : a shortcut only: without it the same entries are looked at one by one
            if (EightUnused(table + i)) continue;
            for (TPte* e = table + i, end = e + 8; e != end; e++)
            {
                if (!IsTable(*e, LeafLevel - 1)) continue; // leaves (PROT_NONE ones too) and stale entries hold no table
                if (count == FrameBatch.Capacity)
                {
                    batch.Count = count;
                    batch.Flush(ref _handler);
                    count = 0;
                }
                frames[count++] = e->Paddr;
            }
        }
        batch.Count = count;
    }

    /// <summary>Whether the eight entries from <paramref name="entries"/> (one 64-byte line of a table) are all unused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool EightUnused(TPte* entries) =>
        (Vector256.Load((ulong*)entries) | Vector256.Load((ulong*)entries + 4)) == Vector256<ulong>.Zero;

    /// <summary>Table frames on their way back to the handler, given back <see cref="Capacity"/> at a time.</summary>
    private unsafe ref struct FrameBatch
    {
        /// <summary>Frames per batch: a whole 1 GiB of 4K pages (512 last-level tables) needs two batches.</summary>
        public const int Capacity = EntryCount;

        /// <summary>Room for <see cref="Capacity"/> frames (on the stack of the caller).</summary>
        public PhysAddr* Frames;

        /// <summary>How many of <see cref="Frames"/> are waiting.</summary>
        public int Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(PhysAddr frame, ref THandler handler)
        {
            if (Count == Capacity) Flush(ref handler);
            Frames[Count++] = frame;
        }

        public void Flush(ref THandler handler)
        {
            // Stryker disable once Statement : a shortcut only: an empty batch frees nothing
            if (Count == 0) return;
            int count = Count;
            Count = 0; // first: a handler that throws does not get the same frames again
            THandler.DeallocFrames(ref handler, new ReadOnlySpan<PhysAddr>(Frames, count));
        }
    }

    // ---- lifetime -------------------------------------------------------------------------------

    /// <summary>
    /// Frees every table frame this table owns, the root last (the original's <c>Drop</c>). Subtrees under
    /// borrowed root slots are left to their owner; a subtree of this table that is still lent to another table stays
    /// until the last borrower lets go of it. Idempotent; frees nothing once the handler's memory is released.
    /// </summary>
    /// <remarks>A table overwritten behind the library's back (through <see cref="FrameArena.WriteUInt64"/>, say) can make
    /// it throw: the table is disposed all the same, and the frames not yet given back stay allocated.</remarks>
    /// <exception cref="InvalidOperationException">Called from caller code inside an operation on this table; or (a corrupted
    /// table) an entry points at a frame the handler does not hold as allocated, and the handler refuses it as
    /// <see cref="FrameArena.FreeFrames"/> does.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An entry points outside the handler's memory (a corrupted table).</exception>
    [SkipLocalsInit] // the batch buffer is written before it is read
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a loop over the root: skip the unoptimized first tier
    public unsafe void Dispose()
    {
        if (_disposed) return;
        if (_busy) ThrowNotWritable();
        _disposed = true; // first: whatever happens below, nothing is freed twice
        bool released = _handler.IsMemoryReleased;
        TPte* root = released ? null : Root();
        SharedSubtree?[]? shares = _shares;
        PhysAddr* frames = stackalloc PhysAddr[FrameBatch.Capacity];
        var batch = new FrameBatch { Frames = frames };
        for (int i = 0; i < EntryCount; i += 8) // every architecture here has at least 3 levels: root entries are never 4K leaves
        {
            // Stryker disable once Statement : a shortcut only: without it the same slots are looked at one by one
            if (shares is null && !released && EightUnused(root + i)) continue;
            for (int slot = i; slot < i + 8; slot++)
            {
                if (shares?[slot] is not null)
                {
                    Release(slot, released);
                    continue;
                }
                if (released || _borrowed.Get(slot)) continue;
                TPte* e = root + slot;
                if (!IsTable(*e, 0)) continue;
                CollectSubtree(e->Paddr, 1, ref batch);
            }
        }
        if (released) return;
        batch.Add(_root, ref _handler);
        batch.Flush(ref _handler);
    }

    // ---- sharing through CopyFrom ---------------------------------------------------------------

    /// <summary>
    /// A subtree under one root slot that several tables point at (through <c>CopyFrom</c>): its top table and how many
    /// tables hold it — the owner while it lives, and every borrower. The last holder to let go frees it.
    /// </summary>
    private sealed class SharedSubtree(PhysAddr table)
    {
        public readonly PhysAddr Table = table;
        public int Holders;
    }

    /// <summary>Whether own root slot <paramref name="slot"/> is lent to another table.</summary>
    private bool IsLent(int slot) =>
        !_borrowed.Get(slot) && _shares?[slot] is { } share && Volatile.Read(ref share.Holders) > 1;

    /// <summary>Lets go of the shared subtree under <paramref name="slot"/>, freeing it if this was the last holder.</summary>
    private void Release(int slot, bool memoryReleased)
    {
        SharedSubtree share = _shares![slot]!;
        _shares[slot] = null;
        Release(share, memoryReleased);
    }

    /// <summary>Lets go of <paramref name="share"/>, freeing its tables if this was the last holder.</summary>
    private void Release(SharedSubtree share, bool memoryReleased)
    {
        if (Interlocked.Decrement(ref share.Holders) == 0 && !memoryReleased) FreeSubtree(share.Table, 1);
    }

    /// <summary>One bit per root slot.</summary>
    [InlineArray(8)]
    private struct Bitmap512
    {
        private ulong _word;

        public readonly bool Get(int index) =>
            (Unsafe.Add(ref Unsafe.AsRef(in _word), index / 64) & (1UL << (index & 63))) != 0;

        // Stryker disable once Assignment : CopyFrom sets only bits it has just found clear, so ^= sets them as |= does
        public void Set(int index) => Unsafe.Add(ref _word, index / 64) |= 1UL << (index & 63);
    }
}
