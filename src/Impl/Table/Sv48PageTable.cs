namespace PageTableMultiarch;

/// <summary>RISC-V Sv48 (4-level) page table (the original's <c>Sv48PageTable</c>).</summary>
/// <typeparam name="THandler">Frame handler.</typeparam>
public sealed class Sv48PageTable<THandler> : PageTable64<Sv48PagingMetaData, RiscVPte, THandler> where THandler : struct, IPagingHandler
{
    private Sv48PageTable(THandler handler, PhysAddr root) : base(handler, root) { }

    /// <summary>Allocates the root: see <see cref="PageTable64{TMeta, TPte, THandler}.TryCreate(THandler)"/> for the errors.</summary>
    /// <exception cref="InvalidOperationException">The handler is a default <see cref="ArenaHandler"/> (no arena).</exception>
    /// <exception cref="ObjectDisposedException">The handler's memory has been released.</exception>
    public static new PagingResult<Sv48PageTable<THandler>> TryCreate(THandler handler)
    {
        PagingError error = TryAllocRoot(ref handler, out PhysAddr root);
        return error == 0 ? new Sv48PageTable<THandler>(handler, root) : error;
    }
}

/// <summary>Creates an <see cref="Sv48PageTable{THandler}"/> in a <see cref="FrameArena"/>.</summary>
public static class Sv48PageTable
{
    /// <summary>Allocates the root in <paramref name="arena"/>; <see cref="PagingError.InvalidPhysAddr"/> if the arena reaches beyond
    /// the architecture's physical width, <see cref="PagingError.NoMemory"/> if it has no free frame.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="arena"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="arena"/> has been disposed.</exception>
    public static PagingResult<Sv48PageTable<ArenaHandler>> TryCreate(FrameArena arena) => Sv48PageTable<ArenaHandler>.TryCreate(new ArenaHandler(arena));
}
