namespace PageTableMultiarch;

/// <summary>x86_64 4-level page table (the original's <c>X64PageTable</c>).</summary>
/// <typeparam name="THandler">Frame handler.</typeparam>
public sealed class X64PageTable<THandler> : PageTable64<X64PagingMetaData, X64Pte, THandler> where THandler : struct, IPagingHandler
{
    private X64PageTable(THandler handler, PhysAddr root) : base(handler, root) { }

    /// <summary>Allocates the root: see <see cref="PageTable64{TMeta, TPte, THandler}.TryCreate(THandler)"/> for the errors.</summary>
    public static new PagingResult<X64PageTable<THandler>> TryCreate(THandler handler)
    {
        PagingError error = TryAllocRoot(ref handler, out PhysAddr root);
        return error == 0 ? new X64PageTable<THandler>(handler, root) : error;
    }
}

/// <summary>AArch64 VMSAv8-64 stage-1, 4 KiB granule, 4-level page table (the original's <c>A64PageTable</c>).</summary>
/// <typeparam name="THandler">Frame handler.</typeparam>
public sealed class A64PageTable<THandler> : PageTable64<A64PagingMetaData, A64Pte, THandler> where THandler : struct, IPagingHandler
{
    private A64PageTable(THandler handler, PhysAddr root) : base(handler, root) { }

    /// <summary>Allocates the root: see <see cref="PageTable64{TMeta, TPte, THandler}.TryCreate(THandler)"/> for the errors.</summary>
    public static new PagingResult<A64PageTable<THandler>> TryCreate(THandler handler)
    {
        PagingError error = TryAllocRoot(ref handler, out PhysAddr root);
        return error == 0 ? new A64PageTable<THandler>(handler, root) : error;
    }
}

/// <summary>RISC-V Sv39 (3-level) page table (the original's <c>Sv39PageTable</c>).</summary>
/// <typeparam name="THandler">Frame handler.</typeparam>
public sealed class Sv39PageTable<THandler> : PageTable64<Sv39MetaData, Rv64Pte, THandler> where THandler : struct, IPagingHandler
{
    private Sv39PageTable(THandler handler, PhysAddr root) : base(handler, root) { }

    /// <summary>Allocates the root: see <see cref="PageTable64{TMeta, TPte, THandler}.TryCreate(THandler)"/> for the errors.</summary>
    public static new PagingResult<Sv39PageTable<THandler>> TryCreate(THandler handler)
    {
        PagingError error = TryAllocRoot(ref handler, out PhysAddr root);
        return error == 0 ? new Sv39PageTable<THandler>(handler, root) : error;
    }
}

/// <summary>RISC-V Sv48 (4-level) page table (the original's <c>Sv48PageTable</c>).</summary>
/// <typeparam name="THandler">Frame handler.</typeparam>
public sealed class Sv48PageTable<THandler> : PageTable64<Sv48MetaData, Rv64Pte, THandler> where THandler : struct, IPagingHandler
{
    private Sv48PageTable(THandler handler, PhysAddr root) : base(handler, root) { }

    /// <summary>Allocates the root: see <see cref="PageTable64{TMeta, TPte, THandler}.TryCreate(THandler)"/> for the errors.</summary>
    public static new PagingResult<Sv48PageTable<THandler>> TryCreate(THandler handler)
    {
        PagingError error = TryAllocRoot(ref handler, out PhysAddr root);
        return error == 0 ? new Sv48PageTable<THandler>(handler, root) : error;
    }
}

/// <summary>LoongArch64 4-level page table (the original's <c>LA64PageTable</c>).</summary>
/// <typeparam name="THandler">Frame handler.</typeparam>
public sealed class La64PageTable<THandler> : PageTable64<LA64MetaData, LA64Pte, THandler> where THandler : struct, IPagingHandler
{
    private La64PageTable(THandler handler, PhysAddr root) : base(handler, root) { }

    /// <summary>Allocates the root: see <see cref="PageTable64{TMeta, TPte, THandler}.TryCreate(THandler)"/> for the errors.</summary>
    public static new PagingResult<La64PageTable<THandler>> TryCreate(THandler handler)
    {
        PagingError error = TryAllocRoot(ref handler, out PhysAddr root);
        return error == 0 ? new La64PageTable<THandler>(handler, root) : error;
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

/// <summary>Creates an <see cref="A64PageTable{THandler}"/> in a <see cref="FrameArena"/>.</summary>
public static class A64PageTable
{
    /// <summary>Allocates the root in <paramref name="arena"/>; <see cref="PagingError.InvalidPhysAddr"/> if the arena reaches beyond
    /// the architecture's physical width, <see cref="PagingError.NoMemory"/> if it has no free frame.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="arena"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="arena"/> has been disposed.</exception>
    public static PagingResult<A64PageTable<ArenaHandler>> TryCreate(FrameArena arena) => A64PageTable<ArenaHandler>.TryCreate(new ArenaHandler(arena));
}

/// <summary>Creates an <see cref="Sv39PageTable{THandler}"/> in a <see cref="FrameArena"/>.</summary>
public static class Sv39PageTable
{
    /// <summary>Allocates the root in <paramref name="arena"/>; <see cref="PagingError.InvalidPhysAddr"/> if the arena reaches beyond
    /// the architecture's physical width, <see cref="PagingError.NoMemory"/> if it has no free frame.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="arena"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="arena"/> has been disposed.</exception>
    public static PagingResult<Sv39PageTable<ArenaHandler>> TryCreate(FrameArena arena) => Sv39PageTable<ArenaHandler>.TryCreate(new ArenaHandler(arena));
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

/// <summary>Creates an <see cref="La64PageTable{THandler}"/> in a <see cref="FrameArena"/>.</summary>
public static class La64PageTable
{
    /// <summary>Allocates the root in <paramref name="arena"/>; <see cref="PagingError.InvalidPhysAddr"/> if the arena reaches beyond
    /// the architecture's physical width, <see cref="PagingError.NoMemory"/> if it has no free frame.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="arena"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="arena"/> has been disposed.</exception>
    public static PagingResult<La64PageTable<ArenaHandler>> TryCreate(FrameArena arena) => La64PageTable<ArenaHandler>.TryCreate(new ArenaHandler(arena));
}
