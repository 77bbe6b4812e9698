using System.Runtime.InteropServices;

namespace PageTableMultiarch.Harness;

/// <summary>
/// Per-thread arenas reused across <see cref="Equivalence.Run"/> calls, because a fresh 16 MiB arena costs far more
/// (allocation, zeroing, page faults) than a whole run. A returned arena is put back into exactly the state of a
/// fresh one, so no run can see anything of an earlier run:
/// <list type="bullet">
/// <item>the free stack is in the fresh order (frame 0 handed out first, then 1, ...), so tables get the same
/// physical addresses as in a fresh arena;</item>
/// <item>every frame is zero: the frames a correct table can have used (the lowest ones, as many as were ever in use
/// at once) are cleared, and the rest of the block is given back to the operating system (Linux
/// <c>madvise(MADV_DONTNEED)</c>, after which it reads as zero), which also wipes anything a faulty table wrote
/// where it should not have.</item>
/// </list>
/// An arena from a run that failed (or threw) is disposed instead. Where <c>madvise</c> is not available every run
/// gets fresh arenas, as before.
/// </summary>
internal static unsafe partial class ArenaCache
{
    public const ulong MainBase = 0x8000_0000, ForeignBase = 0x4000_0000;
    public const int ForeignFrames = 4;

    private const int MadvDontNeed = 4; // Linux

    /// <summary>Arenas that once had more frames in use than this are not kept.</summary>
    private const int MaxResetFrames = 512;

    private static readonly bool CanReuse = OperatingSystem.IsLinux();

    /// <summary>The arenas of the thread's last passing run, reset; null when there are none (or they are in use).</summary>
    [ThreadStatic] private static Pair? t_cached;

    /// <summary>The arenas of one run, and each one's allocation count when it was last fresh (or reset).</summary>
    public sealed class Pair(FrameArena main, FrameArena foreign)
    {
        public readonly FrameArena Main = main, Foreign = foreign;
        public long MainAllocatedAtStart = main.TotalAllocated, MainFreedAtStart = main.TotalFreed;
        public long MainAllocatedWhenFresh, ForeignAllocatedWhenFresh;
    }

    /// <summary>A fresh (or freshly reset) pair: a main arena of <paramref name="mainFrames"/> frames and the foreign one.</summary>
    public static Pair Rent(int mainFrames)
    {
        var cached = t_cached;
        t_cached = null; // a nested run on this thread gets its own arenas
        if (cached is not null)
        {
            if (cached.Main.FrameCount == mainFrames)
            {
                cached.MainAllocatedAtStart = cached.Main.TotalAllocated;
                cached.MainFreedAtStart = cached.Main.TotalFreed;
                return cached;
            }
            Dispose(cached);
        }
        return new Pair(new FrameArena(new PhysAddr(MainBase), mainFrames), new FrameArena(new PhysAddr(ForeignBase), ForeignFrames));
    }

    /// <summary>Gives the arenas back after a run: kept (reset) when the run passed, else disposed.</summary>
    public static void Return(Pair pair, bool passed)
    {
        if (passed && CanReuse && TryReset(pair.Main, ref pair.MainAllocatedWhenFresh) && TryReset(pair.Foreign, ref pair.ForeignAllocatedWhenFresh))
        {
            if (t_cached is { } other) Dispose(other);
            t_cached = pair;
            return;
        }
        Dispose(pair);
    }

    private static void Dispose(Pair pair)
    {
        pair.Main.Dispose();
        pair.Foreign.Dispose();
    }

    /// <summary>
    /// Puts an arena with no frame in use back into the fresh state (see the class remarks); false when that cannot be
    /// done, and the arena must not be used again.
    /// </summary>
    /// <param name="arena">The arena.</param>
    /// <param name="allocatedAtFresh">Its <see cref="FrameArena.TotalAllocated"/> when it was last fresh; updated.</param>
    private static bool TryReset(FrameArena arena, ref long allocatedAtFresh)
    {
        if (arena.IsDisposed || arena.InUse != 0) return false;
        // From the fresh order, frames are handed out lowest first and freed ones are reused first, so only the
        // lowest `peak` frames have ever been handed out, and they sit (in some order) on top of the free stack,
        // with the untouched fresh order below. Taking them and freeing them highest first restores the fresh order.
        int peak = arena.PeakInUse;
        if (peak > MaxResetFrames) return false; // cheaper to start afresh than to reset this many frames every run
        ulong baseAddr = arena.BasePaddr.Value;
        for (int i = 0; i < peak; i++)
        {
            if (!arena.TryAllocFrame(out var paddr) || (paddr.Value - baseAddr) / FrameArena.FrameSize >= (ulong)peak) return false;
        }

        // Frames a table can have written since the arena was fresh: no more than it allocated since.
        long allocated = arena.TotalAllocated - peak - allocatedAtFresh;
        int dirty = (int)Math.Min(peak, allocated);
        byte* block = arena.FramePointer(arena.BasePaddr);
        NativeMemory.Clear(block, (nuint)dirty * FrameArena.FrameSize);
        if (!ZeroRest(block, dirty, arena.FrameCount)) return false;

        for (int i = peak - 1; i >= 0; i--) arena.FreeFrame(new PhysAddr(baseAddr + (ulong)i * FrameArena.FrameSize));
        allocatedAtFresh = arena.TotalAllocated;
        return true;
    }

    /// <summary>Zeroes frames <c>[from, count)</c>: small ranges by hand, large ones by giving the pages back to the OS.</summary>
    private static bool ZeroRest(byte* block, int from, int count)
    {
        nuint start = (nuint)from * FrameArena.FrameSize, end = (nuint)count * FrameArena.FrameSize;
        if (end - start <= 16 * (nuint)FrameArena.FrameSize)
        {
            NativeMemory.Clear(block + start, end - start);
            return true;
        }
        // madvise needs whole OS pages: clear up to the first page boundary by hand. The block is frame-aligned
        // and a whole number of frames, but an OS page may be larger than a frame.
        nuint page = (nuint)Environment.SystemPageSize;
        nuint first = (((nuint)block + start + page - 1) & ~(page - 1)) - (nuint)block;
        nuint last = (((nuint)block + end) & ~(page - 1)) - (nuint)block;
        if (first >= last)
        {
            NativeMemory.Clear(block + start, end - start);
            return true;
        }
        NativeMemory.Clear(block + start, first - start);
        NativeMemory.Clear(block + last, end - last);
        return Madvise((nint)(block + first), last - first, MadvDontNeed) == 0;
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint addr, nuint length, int advice);
}
