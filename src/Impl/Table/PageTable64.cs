using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
/// <para>Not thread-safe. <see cref="Dispose"/> frees every table frame the table owns.</para>
/// </remarks>
/// <typeparam name="TMeta">Levels, address widths and the TLB flush hook.</typeparam>
/// <typeparam name="TPte">The 8-byte entry format.</typeparam>
/// <typeparam name="THandler">Frame allocation and physical-to-host translation.</typeparam>
public unsafe partial class PageTable64<TMeta, TPte, THandler> : IDisposable
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
    private Bitmap512 _borrowed;
    private bool _anyBorrowed;

    /// <summary>Wraps an already allocated and zeroed root frame. Use <see cref="TryCreate"/> or a ready type's factory.</summary>
    protected PageTable64(THandler handler, PhysAddr rootPaddr)
    {
        _handler = handler;
        _root = rootPaddr;
    }

    /// <summary>Allocates a zeroed root table (the original's <c>try_new</c>); <see cref="PagingError.NoMemory"/> if the handler has no frame.</summary>
    public static PagingResult<PageTable64<TMeta, TPte, THandler>> TryCreate(THandler handler)
    {
        if (!TryAllocRoot(ref handler, out PhysAddr root)) return PagingError.NoMemory;
        return new PageTable64<TMeta, TPte, THandler>(handler, root);
    }

    /// <summary>Allocates and zeroes a root frame for a derived type's factory.</summary>
    protected static bool TryAllocRoot(ref THandler handler, out PhysAddr root)
    {
        if (!handler.TryAllocFrame(out root)) return false;
        NativeMemory.Clear(handler.PhysToHost(root), FrameArena.FrameSize);
        return true;
    }

    /// <summary>The physical address of the root table (what CR3 / TTBRx / satp / PGDL/PGDH receive).</summary>
    public PhysAddr RootPaddr
    {
        get
        {
            ThrowIfDisposed();
            return _root;
        }
    }

    /// <summary>The handler (a copy of the struct the table uses).</summary>
    public THandler Handler => _handler;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Whether the root slot with <paramref name="index"/> was borrowed from another table by <c>CopyFrom</c>.</summary>
    public bool IsBorrowedSlot(int index) => _borrowed.Get(index);

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
    private TPte* TableOf(PhysAddr paddr) => (TPte*)_handler.PhysToHost(paddr);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TPte* Root() => (TPte*)_handler.PhysToHost(_root);

    /// <summary>Allocates a zeroed table frame.</summary>
    private bool TryAllocTable(out PhysAddr paddr)
    {
        if (!_handler.TryAllocFrame(out paddr)) return false;
        NativeMemory.Clear(_handler.PhysToHost(paddr), FrameArena.FrameSize);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsBorrowedAddress(ulong va) => _anyBorrowed && _borrowed.Get((int)Index(va, 0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_disposed) ThrowHelper.Disposed(GetType().Name);
    }

    // ---- lookup ---------------------------------------------------------------------------------

    /// <summary>
    /// Finds the present leaf that covers <paramref name="va"/>: its entry pointer and level.
    /// Returns false when some level on the way (or the leaf) is not present.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFindLeaf(ulong va, out TPte* entry, out int level) => TryFindLeaf(va, out entry, out level, out _);

    /// <summary>As <see cref="TryFindLeaf(ulong, out TPte*, out int)"/>, also giving the table that holds the leaf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFindLeaf(ulong va, out TPte* entry, out int level, out TPte* table)
    {
        table = Root();
        for (level = 0; ; level++)
        {
            TPte* e = table + Index(va, level);
            if (!e->IsPresent) break;
            if (level == LeafLevel || e->IsHuge)
            {
                entry = e;
                return true;
            }
            table = TableOf(e->Paddr);
        }
        entry = null;
        return false;
    }

    /// <summary>Whether the table at <paramref name="tablePaddr"/> (at <paramref name="level"/>) or any table below it maps a page.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private bool SubtreeHasMapping(PhysAddr tablePaddr, int level)
    {
        TPte* table = TableOf(tablePaddr);
        for (int i = 0; i < EntryCount; i++)
        {
            TPte* e = table + i;
            if (!e->IsPresent) continue;
            if (level == LeafLevel || e->IsHuge) return true;
            if (SubtreeHasMapping(e->Paddr, level + 1)) return true;
        }
        return false;
    }

    /// <summary>Frees the table at <paramref name="tablePaddr"/> (at <paramref name="level"/>) and every table below it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // long loops: skip the unoptimized first tier (see BENCHMARKS.md)
    private void FreeSubtree(PhysAddr tablePaddr, int level)
    {
        if (level < LeafLevel)
        {
            TPte* table = TableOf(tablePaddr);
            for (int i = 0; i < EntryCount; i++)
            {
                TPte* e = table + i;
                if (e->IsPresent && !e->IsHuge) FreeSubtree(e->Paddr, level + 1);
            }
        }
        _handler.DeallocFrame(tablePaddr);
    }

    // ---- lifetime -------------------------------------------------------------------------------

    /// <summary>
    /// Frees every table frame this table owns, the root last (the original's <c>Drop</c>). Subtrees under
    /// borrowed root slots belong to their source table and are left alone. Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        TPte* root = Root();
        for (int i = 0; i < EntryCount; i++) // every architecture here has at least 3 levels: root entries are never 4K leaves
        {
            TPte* e = root + i;
            if (_borrowed.Get(i) || !e->IsPresent || e->IsHuge) continue;
            FreeSubtree(e->Paddr, 1);
        }
        _handler.DeallocFrame(_root);
        _disposed = true;
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
