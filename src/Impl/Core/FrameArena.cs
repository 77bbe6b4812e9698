using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// Simulated physical memory for a host: <see cref="FrameCount"/> frames of 4 KiB at guest-physical
/// addresses <c>[BasePaddr, BasePaddr + FrameCount * 4 KiB)</c>, backed by one aligned native block.
/// Page tables built in it are byte for byte what the target MMU walks, so <see cref="Memory"/> can be
/// dumped as an image and loaded at <see cref="BasePaddr"/> on the real machine.
/// </summary>
/// <remarks>
/// <para>The block starts zeroed. By default its pages are zeroed lazily by the operating system (a fresh
/// mapping costs nothing until touched); pass <c>prefault: true</c> to touch every page up front, so that
/// timings measure the page-table code and not page faults. Allocation and freeing are O(1) from a
/// preallocated free stack and never allocate managed memory.</para>
/// <para>Not thread-safe: give each table (or each thread) its own arena. Arenas are independent, so many
/// tables can run in parallel in one process.</para>
/// <para>Misuse that signals a bug — freeing a frame twice or one the arena does not own, or asking for
/// a pointer outside the arena — throws; running out of frames is an expected outcome and returns false.</para>
/// </remarks>
public sealed unsafe class FrameArena : IDisposable
{
    /// <summary>The frame size: 4 KiB.</summary>
    public const int FrameSize = 0x1000;

    private byte* _base;       // first frame, 4 KiB-aligned
    private void* _allocation; // what NativeMemory returned (freed on dispose)
    private readonly int[] _freeStack;   // indices of free frames; top at _freeCount - 1
    private readonly ulong[] _inUse;     // one bit per frame
    private int _freeCount;

    /// <summary>Creates an arena of <paramref name="frameCount"/> zeroed frames starting at <paramref name="basePaddr"/>;
    /// with <paramref name="prefault"/>, every page is touched now.</summary>
    /// <exception cref="ArgumentException"><paramref name="basePaddr"/> is not 4 KiB-aligned, or the range reaches 2^64.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frameCount"/> is not positive.</exception>
    public FrameArena(PhysAddr basePaddr, int frameCount, bool prefault = false)
    {
        if (!basePaddr.IsAligned4K)
            throw new ArgumentException($"The arena base {basePaddr} is not 4 KiB-aligned.", nameof(basePaddr));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCount);
        ulong bytes = (ulong)frameCount * FrameSize;
        if (!basePaddr.TryAdd(bytes, out _))
            throw new ArgumentException($"The arena [{basePaddr}, +0x{bytes:x}) passes 2^64.", nameof(frameCount));

        BasePaddr = basePaddr;
        FrameCount = frameCount;
        // Zeroed memory from the allocator (lazily zero-filled pages for large blocks), aligned by hand.
        _allocation = NativeMemory.AllocZeroed((nuint)bytes + FrameSize);
        // Stryker disable once Arithmetic : "+ FrameSize + 1" rounds to the same frame unless the block starts 0 or 1 byte
        // below a frame boundary; the allocator's 16-byte alignment rules out the latter, and in the former the base is one
        // frame higher, which the spare frame allocated above still holds
        _base = (byte*)(((nuint)_allocation + FrameSize - 1) & ~(nuint)(FrameSize - 1));
        // Stryker disable once all : the block is already zero, so touching it changes no byte, only when the OS maps the pages (timing)
        if (prefault)
        {
            for (ulong off = 0; off < bytes; off += FrameSize) _base[off] = 0;
        }
        _freeStack = new int[frameCount];
        for (int i = 0; i < frameCount; i++)
            _freeStack[i] = frameCount - 1 - i; // lowest address is handed out first
        _freeCount = frameCount;
        // Stryker disable once Arithmetic : (frameCount + 63) * 64 only makes the bitmap longer; the extra words are never read
        _inUse = new ulong[(frameCount + 63) / 64];
    }

    /// <summary>The guest-physical address of the first frame.</summary>
    public PhysAddr BasePaddr { get; }

    /// <summary>The guest-physical address just past the last frame.</summary>
    public PhysAddr EndPaddr => BasePaddr + (ulong)FrameCount * FrameSize;

    /// <summary>The number of frames.</summary>
    public int FrameCount { get; }

    /// <summary>Frames handed out so far (a running total).</summary>
    public long TotalAllocated { get; private set; }

    /// <summary>Frames given back so far (a running total).</summary>
    public long TotalFreed { get; private set; }

    /// <summary>Frames handed out and not yet given back.</summary>
    public int InUse => FrameCount - _freeCount;

    /// <summary>The largest <see cref="InUse"/> seen.</summary>
    public int PeakInUse { get; private set; }

    /// <summary>Allocation requests refused because no frame was free.</summary>
    public long FailedAllocations { get; private set; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _base == null;

    /// <summary>The whole arena as bytes (frame 0 first), for images and for independent walkers.</summary>
    public ReadOnlySpan<byte> Memory
    {
        get
        {
            if (_base == null) ThrowHelper.Disposed(nameof(FrameArena));
            return new ReadOnlySpan<byte>(_base, checked(FrameCount * FrameSize));
        }
    }

    /// <summary>Whether <paramref name="paddr"/> lies inside the arena.</summary>
    public bool Contains(PhysAddr paddr) => paddr >= BasePaddr && paddr.Value - BasePaddr.Value < (ulong)FrameCount * FrameSize;

    /// <summary>Takes a free frame (its content is whatever was left in it); false when none is free.</summary>
    public bool TryAllocFrame(out PhysAddr paddr)
    {
        if (_base == null) ThrowHelper.Disposed(nameof(FrameArena));
        if (_freeCount == 0)
        {
            FailedAllocations++;
            paddr = default;
            return false;
        }
        int index = _freeStack[--_freeCount];
        // Stryker disable once Assignment : the bit of a free frame is clear, so ^= sets it just as |= does
        _inUse[index / 64] |= 1UL << index;
        TotalAllocated++;
        PeakInUse = Math.Max(PeakInUse, InUse);
        paddr = BasePaddr + (ulong)index * FrameSize;
        return true;
    }

    /// <summary>Gives back a frame from <see cref="TryAllocFrame"/>.</summary>
    /// <exception cref="InvalidOperationException">The frame is outside the arena, unaligned, or not in use (a double free).</exception>
    public void FreeFrame(PhysAddr paddr)
    {
        if (_base == null) ThrowHelper.Disposed(nameof(FrameArena));
        if (!Contains(paddr)) ThrowHelper.BadFree(paddr.Value, "outside the arena");
        if (!paddr.IsAligned4K) ThrowHelper.BadFree(paddr.Value, "not frame-aligned");
        int index = (int)((paddr.Value - BasePaddr.Value) / FrameSize);
        ulong bit = 1UL << index;
        if ((_inUse[index / 64] & bit) == 0) ThrowHelper.BadFree(paddr.Value, "not in use (double free)");
        _inUse[index / 64] &= ~bit;
        _freeStack[_freeCount++] = index;
        TotalFreed++;
    }

    /// <summary>Whether the frame at <paramref name="paddr"/> is currently handed out.</summary>
    public bool IsInUse(PhysAddr paddr)
    {
        if (!Contains(paddr)) return false;
        int index = (int)((paddr.Value - BasePaddr.Value) / FrameSize);
        return (_inUse[index / 64] & (1UL << index)) != 0;
    }

    /// <summary>
    /// The host pointer to the frame holding <paramref name="paddr"/> (rounded down to its frame).
    /// Throws <see cref="ArgumentOutOfRangeException"/> outside the arena, so no access can stray.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* FramePointer(PhysAddr paddr)
    {
        ulong offset = paddr.Value - BasePaddr.Value; // wraps below the base: caught by the compare
        if (offset >= (ulong)FrameCount * FrameSize) ThrowHelper.OutsideArena(paddr.Value, BasePaddr.Value, EndPaddr.Value);
        return _base + (offset & ~(ulong)(FrameSize - 1));
    }

    /// <summary>Reads the 64-bit little-endian word at <paramref name="paddr"/> (8-byte aligned, inside the arena).</summary>
    public ulong ReadUInt64(PhysAddr paddr)
    {
        if (!paddr.IsAligned(8)) throw new ArgumentException($"{paddr} is not 8-byte aligned.", nameof(paddr));
        return *(ulong*)(FramePointer(paddr) + (paddr.Value & (FrameSize - 1)));
    }

    /// <summary>Writes the 64-bit word at <paramref name="paddr"/> (8-byte aligned, inside the arena).</summary>
    public void WriteUInt64(PhysAddr paddr, ulong value)
    {
        if (!paddr.IsAligned(8)) throw new ArgumentException($"{paddr} is not 8-byte aligned.", nameof(paddr));
        *(ulong*)(FramePointer(paddr) + (paddr.Value & (FrameSize - 1))) = value;
    }

    /// <summary>Frees the native block. Frames still in use are simply gone with it.</summary>
    public void Dispose()
    {
        if (_base != null)
        {
            // Stryker disable once Statement : without it the block leaks, which no test can observe (the arena is unusable either way)
            NativeMemory.Free(_allocation);
            _base = null;
            _allocation = null;
        }
        // Stryker disable once Statement : without it the finalizer runs later and finds nothing to free
        GC.SuppressFinalize(this);
    }

    // Stryker disable once all : returns native memory to the OS when a caller forgot Dispose; no test can observe it
    /// <summary>Frees the native block if <see cref="Dispose"/> was never called.</summary>
    ~FrameArena()
    {
        if (_allocation != null) NativeMemory.Free(_allocation);
    }
}

/// <summary>
/// The <see cref="IPagingHandler"/> over a <see cref="FrameArena"/>: a one-reference struct, so tables
/// that share it share the arena, and two handlers are equal when their arenas are the same object.
/// </summary>
public readonly unsafe struct ArenaHandler : IPagingHandler, IEquatable<ArenaHandler>
{
    /// <summary>Wraps <paramref name="arena"/>.</summary>
    public ArenaHandler(FrameArena arena) => Arena = arena ?? throw new ArgumentNullException(nameof(arena));

    /// <summary>The arena frames come from.</summary>
    public FrameArena Arena { get; }

    /// <inheritdoc />
    public bool TryAllocFrame(out PhysAddr paddr) => Arena.TryAllocFrame(out paddr);

    /// <inheritdoc />
    public void DeallocFrame(PhysAddr paddr) => Arena.FreeFrame(paddr);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* PhysToHost(PhysAddr paddr) => Arena.FramePointer(paddr);

    /// <inheritdoc />
    public bool Equals(ArenaHandler other) => ReferenceEquals(Arena, other.Arena);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ArenaHandler h && Equals(h);

    /// <inheritdoc />
    public override int GetHashCode() => RuntimeHelpers.GetHashCode(Arena); // 0 for the default handler (no arena)

    /// <summary>Same arena.</summary>
    public static bool operator ==(ArenaHandler a, ArenaHandler b) => a.Equals(b);

    /// <summary>Different arenas.</summary>
    public static bool operator !=(ArenaHandler a, ArenaHandler b) => !a.Equals(b);
}
