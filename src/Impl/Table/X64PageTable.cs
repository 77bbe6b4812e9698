namespace PageTableMultiarch;

/// <summary>x86_64 4-level page table (the original's <c>X64PageTable</c>).</summary>
/// <typeparam name="THandler">Frame handler.</typeparam>
public sealed class X64PageTable<THandler> : PageTable64<X64PagingMetaData, X64Pte, THandler> where THandler : struct, IPagingHandler
{
    private X64PageTable(THandler handler, PhysAddr root) : base(handler, root) { }

    /// <summary>Allocates the root: see <see cref="PageTable64{TMeta, TPte, THandler}.TryCreate(THandler)"/> for the errors.</summary>
    /// <exception cref="InvalidOperationException">The handler is a default <see cref="ArenaHandler"/> (no arena).</exception>
    /// <exception cref="ObjectDisposedException">The handler's memory has been released.</exception>
    public static new PagingResult<X64PageTable<THandler>> TryCreate(THandler handler)
    {
        PagingError error = TryAllocRoot(ref handler, out PhysAddr root);
        return error == 0 ? new X64PageTable<THandler>(handler, root) : error;
    }
}

/// <summary>Creates an <see cref="X64PageTable{THandler}"/> in a <see cref="FrameArena"/>.</summary>
public static class X64PageTable
{
    /// <summary>Allocates the root in <paramref name="arena"/>; <see cref="PagingError.InvalidPhysAddr"/> if the arena reaches beyond
    /// the architecture's physical width, <see cref="PagingError.NoMemory"/> if it has no free frame.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="arena"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="arena"/> has been disposed.</exception>
    public static PagingResult<X64PageTable<ArenaHandler>> TryCreate(FrameArena arena) => X64PageTable<ArenaHandler>.TryCreate(new ArenaHandler(arena));
}
