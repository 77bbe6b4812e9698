namespace PageTableMultiarch;

/// <summary>
/// A TLB flush that a mapping change of one page requires (the original's <c>TlbFlush</c>).
/// Call <see cref="Flush"/> once the change should be visible, or <see cref="Ignore"/>.
/// </summary>
/// <typeparam name="TMeta">The architecture whose flush hook runs.</typeparam>
public readonly record struct TlbFlush<TMeta>(VirtAddr Vaddr) where TMeta : struct, IPagingMetaData
{
    /// <summary>Invalidates the TLB entry of <see cref="Vaddr"/>.</summary>
    public void Flush() => TMeta.FlushTlb(Vaddr);

    /// <summary>Drops the obligation (the caller flushes some other way).</summary>
    public void Ignore() { }
}

/// <summary>
/// A whole-TLB flush that a change of many mappings requires (the original's <c>TlbFlushAll</c>).
/// </summary>
/// <typeparam name="TMeta">The architecture whose flush hook runs.</typeparam>
public readonly record struct TlbFlushAll<TMeta> where TMeta : struct, IPagingMetaData
{
    /// <summary>Invalidates the whole TLB.</summary>
    public void Flush() => TMeta.FlushTlb(null);

    /// <summary>Drops the obligation (the caller flushes some other way).</summary>
    public void Ignore() { }
}
