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
