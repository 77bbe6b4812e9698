namespace PageTableMultiarch.Properties.Flush;

/// <summary>What a table did, in order: an entry write, a TLB flush (one page or all), a frame taken or given back.</summary>
public enum EventKind { Write, FlushPage, FlushAll, Alloc, Free }

/// <summary>One event. <c>Address</c>: the entry's physical address (writes), the page (page flushes), the frame
/// (allocations, frees); <c>Old</c>/<c>New</c>: the entry's bits before and after a write.</summary>
public readonly record struct TableEvent(EventKind Kind, ulong Address = 0, ulong Old = 0, ulong New = 0)
{
    public override string ToString() => Kind switch
    {
        EventKind.Write => $"write 0x{Address:x}: 0x{Old:x} -> 0x{New:x}",
        EventKind.FlushAll => "flush all",
        _ => $"{Kind} 0x{Address:x}",
    };
}

/// <summary>
/// The ordered event stream of the table operations on this thread: the observing metadata and handler append to it,
/// and an optional observer sees each event as it happens (in the middle of an operation, with memory as the write
/// left it).
/// </summary>
public static class EventLog
{
    [ThreadStatic] private static List<TableEvent>? t_events;
    [ThreadStatic] private static FrameArena? t_arena;
    [ThreadStatic] private static Action<TableEvent>? t_observer;

    /// <summary>Starts recording on this thread for tables in <paramref name="arena"/>; returns the (cleared) list.</summary>
    public static List<TableEvent> Start(FrameArena arena, Action<TableEvent>? observer = null)
    {
        t_arena = arena;
        t_observer = observer;
        t_events = [];
        return t_events;
    }

    /// <summary>Stops recording on this thread.</summary>
    public static void Stop()
    {
        t_events = null;
        t_arena = null;
        t_observer = null;
    }

    internal static void Record(TableEvent e)
    {
        if (t_events is null) return;
        t_events.Add(e);
        t_observer?.Invoke(e);
    }

    internal static unsafe void RecordWrite(nint host, ulong oldBits, ulong newBits)
    {
        if (t_arena is not { } arena) return;
        ulong pa = arena.BasePaddr.Value + (ulong)(host - (nint)arena.FramePointer(arena.BasePaddr));
        Record(new TableEvent(EventKind.Write, pa, oldBits, newBits));
    }
}

/// <summary>Metadata that behaves as <typeparamref name="TInner"/> and records every entry write and flush.</summary>
public readonly struct Observed<TInner> : IPagingMetaData where TInner : struct, IPagingMetaData
{
    public static int Levels => TInner.Levels;

    public static int PaMaxBits => TInner.PaMaxBits;

    public static int VaMaxBits => TInner.VaMaxBits;

    public static bool VaddrIsValid(ulong vaddr) => TInner.VaddrIsValid(vaddr);

    public static void FlushTlb(VirtAddr? vaddr)
    {
        TInner.FlushTlb(vaddr);
        EventLog.Record(vaddr is { } va ? new TableEvent(EventKind.FlushPage, va.Value) : new TableEvent(EventKind.FlushAll));
    }

    public static bool BreakBeforeMake => TInner.BreakBeforeMake;

    public static void OnEntryWrite(nint entryHostAddress, ulong oldBits, ulong newBits) =>
        EventLog.RecordWrite(entryHostAddress, oldBits, newBits);
}

/// <summary>An arena handler that records every frame it hands out and takes back.</summary>
public readonly struct ObservedHandler(FrameArena arena) : IPagingHandler, IEquatable<ObservedHandler>
{
    private readonly ArenaHandler _inner = new(arena);

    public bool TryAllocFrame(out PhysAddr paddr)
    {
        bool ok = _inner.TryAllocFrame(out paddr);
        if (ok) EventLog.Record(new TableEvent(EventKind.Alloc, paddr.Value));
        return ok;
    }

    public void DeallocFrame(PhysAddr paddr)
    {
        EventLog.Record(new TableEvent(EventKind.Free, paddr.Value));
        _inner.DeallocFrame(paddr);
    }

    public unsafe byte* PhysToHost(PhysAddr paddr) => _inner.PhysToHost(paddr);

    public bool IsMemoryReleased => _inner.IsMemoryReleased;

    public bool Equals(ObservedHandler other) => _inner.Equals(other._inner);

    public override bool Equals(object? obj) => obj is ObservedHandler h && Equals(h);

    public override int GetHashCode() => _inner.GetHashCode();
}
