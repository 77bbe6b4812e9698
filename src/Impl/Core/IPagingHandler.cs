namespace PageTableMultiarch;

/// <summary>
/// Supplies frames for tables and turns physical addresses into host pointers (the original's
/// <c>PagingHandler</c>). Unlike the original's static-only trait, a handler is a struct value stored
/// in each table, so every table can own its own arena.
/// </summary>
public interface IPagingHandler
{
    /// <summary>Allocates one 4 KiB frame (its content is unspecified); false when none is left.</summary>
    bool TryAllocFrame(out PhysAddr paddr);

    /// <summary>Returns a frame that <see cref="TryAllocFrame"/> gave out.</summary>
    void DeallocFrame(PhysAddr paddr);

    /// <summary>
    /// Returns every frame of <paramref name="frames"/>, in order, to <paramref name="handler"/>: what
    /// <see cref="DeallocFrame"/> for each would do. A table gives back its frames this way when it frees a whole subtree
    /// (<c>Dispose</c>, reclamation), calling <c>THandler.DeallocFrames(ref handler, frames)</c>, so
    /// <typeparamref name="TSelf"/> is the implementing type itself.
    /// </summary>
    /// <remarks>
    /// The default calls <see cref="DeallocFrame"/> once per frame. A handler that can give back many frames for less
    /// implements it (as <see cref="ArenaHandler"/> does). It is a static member taking the handler by reference, not an
    /// instance one, because a default instance method called on a struct boxes the struct; this way a struct handler
    /// used as a generic argument is called directly, with or without its own implementation.
    /// </remarks>
    /// <typeparam name="TSelf">The handler type (the implementing type).</typeparam>
    static virtual void DeallocFrames<TSelf>(ref TSelf handler, ReadOnlySpan<PhysAddr> frames) where TSelf : struct, IPagingHandler
    {
        foreach (PhysAddr frame in frames) handler.DeallocFrame(frame);
    }

    /// <summary>
    /// The host pointer to the first byte of the 4 KiB frame at <paramref name="paddr"/>.
    /// Implementations must refuse (throw) addresses they do not own rather than return a stray pointer,
    /// and must throw <see cref="ObjectDisposedException"/> once <see cref="IsMemoryReleased"/> is true.
    /// </summary>
    unsafe byte* PhysToHost(PhysAddr paddr);

    /// <summary>
    /// Whether the memory behind this handler is gone (for <see cref="ArenaHandler"/>: its arena was disposed, or
    /// it has none). A table checks it before it touches memory again after running caller code (a region
    /// callback, a walk visitor), and its <c>Dispose</c> then frees nothing.
    /// </summary>
    bool IsMemoryReleased { get; }
}
