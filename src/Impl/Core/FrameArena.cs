using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// Simulated physical memory for a host: <see cref="FrameCount"/> frames of 4 KiB at guest-physical
/// addresses <c>[BasePaddr, BasePaddr + FrameCount * 4 KiB)</c>, backed by one aligned native block.
/// Page tables built in it are byte for byte what the target MMU walks, so the frames can be dumped as an
/// image and loaded at <see cref="BasePaddr"/> on the real machine.
/// </summary>
/// <remarks>
/// <para>The block starts zeroed. By default its pages are zeroed lazily by the operating system (a fresh
/// mapping costs nothing until touched); pass <c>prefault: true</c> to touch every page up front, so that
/// timings measure the page-table code and not page faults. A block of 2 MiB or more starts on a 2 MiB host
/// boundary, and on Linux a prefaulted one asks to be backed by the host's huge pages (honoured when the kernel's
/// transparent huge page setting is <c>madvise</c> or <c>always</c>), so that tables read at random miss the host's TLB
/// less often; what the arena holds is the same either way.</para>
/// <para><b>Allocation order.</b> <see cref="TryAllocFrame"/> always hands out the lowest free frame, so a
/// single-threaded sequence of allocations and frees gives the same addresses on every run.</para>
/// <para><b>Threads.</b> Allocation, freeing and the counters are safe to use from many threads at once
/// (lock-free: one compare-and-swap on a word of the in-use bitmap per frame), so tables on different
/// threads may share one arena, as tables on different cores share a kernel's frame allocator. A single
/// table is still not thread-safe. <see cref="Dispose"/> must not race with other calls: after it, every
/// member that reaches the memory throws <see cref="ObjectDisposedException"/>.</para>
/// <para>Misuse that signals a bug — freeing a frame twice or one the arena does not own, asking for
/// memory outside the arena, using the arena after <see cref="Dispose"/> — throws a managed exception;
/// running out of frames is an expected outcome and returns false.</para>
/// </remarks>
public sealed class FrameArena : IDisposable
{
    /// <summary>The frame size: 4 KiB.</summary>
    public const int FrameSize = 0x1000;

    // The only pointers of the arena. Valid while _limit != 0: Dispose clears _limit before it frees the block, so
    // every access that checks an offset against _limit is either inside the live block or refused.
    private unsafe byte* _base;       // first frame, 4 KiB-aligned
    private unsafe void* _allocation; // what NativeMemory returned (freed on dispose)
    private ulong _limit;             // FrameCount * FrameSize while alive, 0 once disposed

    private readonly ulong[] _inUse;  // one bit per frame, bits past the last frame set (never handed out)
    private int _hint;                // no word below this one has a free bit (a lower bound kept by TryAllocFrame/FreeFrame)
    private int _inUseCount;
    private int _exposedFrames;       // no frame at or above this index was handed out or reached through FramePointer since creation or Reset
    private int _peakInUse;
    private long _totalFreed, _failedAllocations; // frames handed out in all: _totalFreed + _inUseCount (one atomic less per allocation)

    /// <summary>Creates an arena of <paramref name="frameCount"/> zeroed frames starting at <paramref name="basePaddr"/>;
    /// with <paramref name="prefault"/>, every page is touched now.</summary>
    /// <exception cref="ArgumentException"><paramref name="basePaddr"/> is not 4 KiB-aligned, or the range reaches 2^64.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frameCount"/> is not positive.</exception>
    /// <exception cref="OutOfMemoryException">The host cannot allocate the block, or <paramref name="prefault"/> asks to touch
    /// more memory than the host has (touching it all would get the process killed instead).</exception>
    public unsafe FrameArena(PhysAddr basePaddr, int frameCount, bool prefault = false)
    {
        if (!basePaddr.IsAligned4K)
            throw new ArgumentException($"The arena base {basePaddr} is not 4 KiB-aligned.", nameof(basePaddr));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCount);
        ulong bytes = (ulong)frameCount * FrameSize;
        if (!basePaddr.TryAdd(bytes, out _))
            throw new ArgumentException($"The arena [{basePaddr}, +0x{bytes:x}) passes 2^64.", nameof(frameCount));

        // Stryker disable once all : the guard only matters on a host that grants address space beyond its memory (overcommit)
        if (prefault && bytes > (ulong)Math.Max(0L, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes))
            throw new OutOfMemoryException($"Prefaulting 0x{bytes:x} bytes would touch more memory than this host has.");

        BasePaddr = basePaddr;
        FrameCount = frameCount;
        // Zeroed memory from the allocator (lazily zero-filled pages for large blocks), aligned by hand: a block of 2 MiB or
        // more to a 2 MiB boundary, where the host can back it with huge pages (see HostHugePages), a smaller one to a frame.
        // The spare room for the alignment is address space only: the allocator maps it but nothing touches it.
        // Stryker disable once Conditional : aligning a small block to 2 MiB too only moves it on the host; no byte changes
        nuint align = bytes >= HugeBlock ? HugeBlock : FrameSize;
        _allocation = NativeMemory.AllocZeroed((nuint)bytes + align);
        // Stryker disable once Arithmetic : "+ align + 1" rounds to the same boundary unless the block starts 0 or 1 byte
        // below one; the allocator's 16-byte alignment rules out the latter, and in the former the base is one boundary
        // higher, which the spare room allocated above still holds
        _base = (byte*)(((nuint)_allocation + align - 1) & ~(align - 1));
        _limit = bytes;
        // Stryker disable once all : the block is already zero, so touching it changes no byte, only when the OS maps the pages (timing)
        if (prefault)
        {
            if (align == HugeBlock) HostHugePages(_base, bytes); // before the first touch, which decides the page size
            for (ulong off = 0; off < bytes; off += FrameSize) _base[off] = 0;
        }
        _inUse = new ulong[(int)(((long)frameCount + 63) / 64)]; // in long: frameCount + 63 passes int.MaxValue
        int tail = frameCount % 64;
        if (tail != 0) _inUse[^1] = ~0UL << tail; // the bits past the last frame read as "in use" forever
    }

    /// <summary>The host's huge page (x86-64 and AArch64 Linux with 4 KiB base pages): blocks this large start on one.</summary>
    private const nuint HugeBlock = 2 << 20;

    // Stryker disable all : which pages back the block is the host's affair: timing changes, no byte of the arena does
    /// <summary>
    /// Asks Linux to back <paramref name="bytes"/> at <paramref name="block"/> (2 MiB-aligned, not yet touched) with
    /// transparent huge pages (<c>madvise(MADV_HUGEPAGE)</c>), which the kernel honours when its setting
    /// (<c>/sys/kernel/mm/transparent_hugepage/enabled</c>) is <c>madvise</c> or <c>always</c>. Random reads over a few
    /// MiB of tables then miss the host's TLB less often, and timings vary less from one process to the next. The bytes
    /// are the same either way; a refusal (another OS, huge pages off, no C library to ask) is ignored.
    /// </summary>
    private static unsafe void HostHugePages(byte* block, ulong bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            _ = Madvise(block, (nuint)bytes, MadvHugePage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // the block stays on the host's base pages
        }
    }
    // Stryker restore all

    private const int MadvHugePage = 14; // <sys/mman.h> on Linux

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern unsafe int Madvise(void* address, nuint length, int advice);

    /// <summary>The guest-physical address of the first frame.</summary>
    public PhysAddr BasePaddr { get; }

    /// <summary>The guest-physical address just past the last frame.</summary>
    public PhysAddr EndPaddr => BasePaddr + (ulong)FrameCount * FrameSize;

    /// <summary>The number of frames.</summary>
    public int FrameCount { get; }

    /// <summary>Frames handed out so far (a running total): <see cref="TotalFreed"/> + <see cref="InUse"/>, exact when no
    /// allocation or free runs at the same time.</summary>
    public long TotalAllocated => Volatile.Read(ref _totalFreed) + Volatile.Read(ref _inUseCount);

    /// <summary>Frames given back so far (a running total).</summary>
    public long TotalFreed => Volatile.Read(ref _totalFreed);

    /// <summary>Frames handed out and not yet given back.</summary>
    public int InUse => Volatile.Read(ref _inUseCount);

    /// <summary>The largest <see cref="InUse"/> seen.</summary>
    public int PeakInUse => Volatile.Read(ref _peakInUse);

    /// <summary>Allocation requests refused because no frame was free.</summary>
    public long FailedAllocations => Volatile.Read(ref _failedAllocations);

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => Volatile.Read(ref _limit) == 0;

    /// <summary>The whole arena as bytes (frame 0 first), for images and for independent walkers.</summary>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    /// <exception cref="NotSupportedException">The arena holds 2 GiB or more, more than one span can show; use <see cref="Frame"/>.</exception>
    public unsafe ReadOnlySpan<byte> Memory
    {
        get
        {
            ulong limit = Volatile.Read(ref _limit);
            if (limit == 0) ThrowHelper.Disposed(nameof(FrameArena));
            // Stryker disable once Equality : the limit is a multiple of 4 KiB, so it never equals int.MaxValue
            if (limit > int.MaxValue)
                throw new NotSupportedException($"The arena holds 0x{limit:x} bytes, more than one span can show; read it frame by frame with Frame(paddr).");
            return new ReadOnlySpan<byte>(_base, (int)limit);
        }
    }

    /// <summary>The 4 KiB frame that holds <paramref name="paddr"/>, read-only.</summary>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddr"/> lies outside the arena.</exception>
    public unsafe ReadOnlySpan<byte> Frame(PhysAddr paddr) => new(FramePointer(paddr), FrameSize);

    /// <summary>Whether <paramref name="paddr"/> lies inside the arena.</summary>
    public bool Contains(PhysAddr paddr) => paddr >= BasePaddr && paddr.Value - BasePaddr.Value < (ulong)FrameCount * FrameSize;

    /// <summary>Takes the lowest free frame (its content is whatever was left in it); false when none is free.</summary>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per frame: without it, a short run's first frames go through unoptimized code
    public bool TryAllocFrame(out PhysAddr paddr)
    {
        ThrowIfDisposed();
        ulong[] words = _inUse;
        // A first pass from the hint, then (rarely: only when the first finds nothing) one from word 0, because a free
        // that raced with the first pass may have lowered the hint behind it.
        // Stryker disable once Equality,Update : without a racing free the hint is exact, so the second pass finds nothing the first did not
        for (int pass = 0; pass < 2; pass++)
        {
            for (int w = pass == 0 ? Volatile.Read(ref _hint) : 0; w < words.Length; w++)
            {
                ulong word = Volatile.Read(ref words[w]);
                while (word != ulong.MaxValue)
                {
                    int bit = BitOperations.TrailingZeroCount(~word);
                    ulong seen = Interlocked.CompareExchange(ref words[w], word | (1UL << bit), word);
                    if (seen == word)
                    {
                        int index = w * 64 + bit;
                        int inUse = Interlocked.Increment(ref _inUseCount);
                        RaisePeak(inUse);
                        RaiseExposed(index);
                        paddr = BasePaddr + (ulong)index * FrameSize;
                        return true;
                    }
                    word = seen; // another thread took a frame of this word: try its next free bit
                }
                // This word is full: move the hint past it unless someone moved it meanwhile.
                // Stryker disable once all : the hint is only a lower bound that saves scanning; a lower one hands out the same frames
                Interlocked.CompareExchange(ref _hint, w + 1, w);
            }
        }
        Interlocked.Increment(ref _failedAllocations);
        paddr = default;
        return false;
    }

    /// <summary>Gives back a frame from <see cref="TryAllocFrame"/>.</summary>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    /// <exception cref="InvalidOperationException">The frame is outside the arena, unaligned, or not in use (a double free).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per frame: without it, a short run's first frames go through unoptimized code
    public void FreeFrame(PhysAddr paddr)
    {
        ThrowIfDisposed();
        if (!Contains(paddr)) ThrowHelper.BadFree(paddr.Value, "outside the arena");
        if (!paddr.IsAligned4K) ThrowHelper.BadFree(paddr.Value, "not frame-aligned");
        int index = (int)((paddr.Value - BasePaddr.Value) / FrameSize);
        int w = index / 64;
        ulong bit = 1UL << index;
        ulong before = Interlocked.And(ref _inUse[w], ~bit);
        if ((before & bit) == 0) ThrowHelper.BadFree(paddr.Value, "not in use (double free)");
        LowerHint(w);
        Interlocked.Decrement(ref _inUseCount);
        Interlocked.Increment(ref _totalFreed);
    }

    /// <summary>
    /// Gives back every frame of <paramref name="frames"/>: the same as <see cref="FreeFrame"/> for each in order, for a
    /// few instructions a frame. The disposal check is made once; each frame's range and alignment are one compare; the
    /// frames in a row that share a word of the in-use bitmap (64 frames, as tables allocated together do) are cleared
    /// by one compare-and-swap that happens only if every one of their bits is set and no frame is among them twice, so
    /// a double free is still caught before anything of that word changes.
    /// </summary>
    /// <remarks>On a bad frame (outside the arena, unaligned, not in use, or twice in <paramref name="frames"/>) it throws
    /// as <see cref="FreeFrame"/> does, having freed exactly the frames before it, and the counters say so.</remarks>
    /// <exception cref="ObjectDisposedException">The arena has been disposed (nothing is freed).</exception>
    /// <exception cref="InvalidOperationException">A frame is outside the arena, unaligned, or not in use (a double free).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per batch: skip the unoptimized first tier
    public void FreeFrames(ReadOnlySpan<PhysAddr> frames)
    {
        ulong limit = Volatile.Read(ref _limit);
        if (limit == 0) ThrowHelper.Disposed(nameof(FrameArena));
        ulong first = BasePaddr.Value, count = limit / FrameSize;
        int freed = 0, lowestWord = int.MaxValue;
        try
        {
            for (int i = 0; i < frames.Length;)
            {
                int end = RunEnd(frames, i, first, count, out int word, out ulong bits);
                if (end == i)
                {
                    // Stryker disable once Update : FreeFrame throws for this frame, so i is never read again
                    FreeFrame(frames[i++]); // outside or unaligned: throws, naming what is wrong
                    // Stryker disable once Statement : never reached, FreeFrame has thrown (kept so that the loop reads right)
                    continue;
                }
                if (BitOperations.PopCount(bits) == end - i) freed += ClearRun(frames, i, end, word, bits, ref lowestWord);
                else FreeEach(frames, i, end); // a frame twice in the run: the error names it, the frames before it are freed
                i = end;
            }
        }
        finally
        {
            if (freed != 0)
            {
                LowerHint(lowestWord);
                Interlocked.Add(ref _inUseCount, -freed);
                Interlocked.Add(ref _totalFreed, freed);
            }
        }
    }

    /// <summary>
    /// The run of frames from <paramref name="start"/> on that lie in one word of the in-use bitmap, inside the arena
    /// (<paramref name="count"/> frames from <paramref name="first"/>) and frame-aligned. Returns where the run ends
    /// (<paramref name="start"/> itself when that frame is outside or unaligned), with the word and the bits of the run's
    /// frames (fewer bits than frames when a frame is in the run twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the loop of every batch free: skip the unoptimized first tier
    private static int RunEnd(ReadOnlySpan<PhysAddr> frames, int start, ulong first, ulong count, out int word, out ulong bits)
    {
        // The frame's index, rotated so that an unaligned address has its low bits on top: one compare checks both the
        // range (an address below the base wraps to a large number too) and the alignment.
        word = 0;
        bits = 0;
        ulong index = BitOperations.RotateRight(frames[start].Value - first, 12);
        if (index >= count) return start;
        ulong run = 0, w = index >> 6;
        int i = start;
        while (true)
        {
            run |= 1UL << (int)index;
            if (++i == frames.Length) break;
            index = BitOperations.RotateRight(frames[i].Value - first, 12);
            if (index >= count || index >> 6 != w) break;
        }
        word = (int)w;
        bits = run;
        return i;
    }

    /// <summary>
    /// Clears <paramref name="bits"/> (the frames <c>[start, end)</c> of <paramref name="frames"/>) in word
    /// <paramref name="word"/> of the in-use bitmap, if every one of them is set; the number of frames freed. If one is
    /// not, frees the run frame by frame, so that the error names the first frame not in use and those before it are freed.
    /// </summary>
    private int ClearRun(ReadOnlySpan<PhysAddr> frames, int start, int end, int word, ulong bits, ref int lowestWord)
    {
        ref ulong slot = ref _inUse[word];
        ulong seen = Volatile.Read(ref slot);
        while ((seen & bits) == bits)
        {
            ulong before = Interlocked.CompareExchange(ref slot, seen & ~bits, seen);
            if (before == seen)
            {
                lowestWord = Math.Min(lowestWord, word);
                return BitOperations.PopCount(bits);
            }
            // Stryker disable once Statement : reached only when another thread changes the word between the read and the swap
            seen = before; // another thread changed other frames of this word: try again
        }
        FreeEach(frames, start, end); // throws at the first frame not in use
        return 0; // (only after a racing change) every frame went through FreeFrame, which counted it
    }

    /// <summary>Frees the frames <c>[start, end)</c> one by one (<see cref="FreeFrame"/> counts each, and throws at a bad one).</summary>
    private void FreeEach(ReadOnlySpan<PhysAddr> frames, int start, int end)
    {
        // Stryker disable once Equality : every range given here without a racing thread holds a frame that throws (a duplicate,
        // or one not in use) before the loop reaches end; only a racing free, which no test can time, frees the range whole
        for (int i = start; i < end; i++) FreeFrame(frames[i]);
    }

    /// <summary>Whether the frame at <paramref name="paddr"/> is currently handed out (false outside the arena).</summary>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    public bool IsInUse(PhysAddr paddr)
    {
        ThrowIfDisposed();
        if (!Contains(paddr)) return false;
        int index = (int)((paddr.Value - BasePaddr.Value) / FrameSize);
        return (Volatile.Read(ref _inUse[index / 64]) & (1UL << index)) != 0;
    }

    /// <summary>
    /// The host pointer to the frame holding <paramref name="paddr"/> (rounded down to its frame).
    /// </summary>
    /// <remarks>
    /// The caller must not use the pointer after <see cref="Dispose"/>, nor beyond the 4 KiB frame it points to.
    /// Every address is checked against the arena's range, so no call returns a pointer outside the block.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddr"/> lies outside the arena.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe byte* FramePointer(PhysAddr paddr)
    {
        ulong offset = paddr.Value - BasePaddr.Value; // wraps below the base: caught by the compare
        if (offset >= _limit) OutsideOrDisposed(paddr.Value); // _limit is 0 once disposed: every address is refused
        int index = (int)(offset / FrameSize);
        if (index >= _exposedFrames) RaiseExposed(index); // only a write through this pointer can leave a frame non-zero
        return _base + (offset & ~(ulong)(FrameSize - 1));
    }

    /// <summary>The arena's base and limit as they are now, for a reader that turns many addresses into pointers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe ReadWindow Window() => new(_base, BasePaddr.Value, _limit);

    /// <summary>
    /// <see cref="FramePointer"/>'s rule for reads, with the arena's fields read once (<see cref="Window"/>): an address is
    /// an offset from the base, refused at or past the limit (0 once the arena is disposed). A read through the pointer
    /// leaves the frame as it was, so unlike <see cref="FramePointer"/> it does not mark the frame as reached for
    /// <see cref="Reset"/>.
    /// </summary>
    internal readonly unsafe struct ReadWindow(byte* host, ulong basePaddr, ulong limit)
    {
        /// <summary>The host pointer to the 4 KiB-aligned <paramref name="paddr"/>, or false when the arena refuses it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryPointer(ulong paddr, out byte* pointer)
        {
            ulong offset = paddr - basePaddr; // wraps below the base: caught by the compare
            pointer = host + offset;
            return offset < limit;
        }
    }

    /// <summary>
    /// Puts an arena with no frame in use back into its fresh state, without giving its memory back: every frame is
    /// zero again, the next <see cref="TryAllocFrame"/> hands out the first frame, and <see cref="TotalAllocated"/>,
    /// <see cref="TotalFreed"/>, <see cref="PeakInUse"/> and <see cref="FailedAllocations"/> start again from 0.
    /// </summary>
    /// <remarks>
    /// Only memory that can have been written is cleared: the frames below the highest one ever handed out or reached
    /// through <see cref="FramePointer"/> (and so <see cref="WriteUInt64"/>) since creation or the last reset, including
    /// frames written without being allocated. The rest of the block is still zero. Resetting an arena costs as much
    /// as clearing those frames, which is far less than a new arena for runs that use a few frames of a large one. Like
    /// <see cref="Dispose"/>, it must not race with other calls on the arena.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    /// <exception cref="InvalidOperationException">Frames are still in use (a table in this arena is alive).</exception>
    public unsafe void Reset()
    {
        ThrowIfDisposed();
        int inUse = InUse;
        if (inUse != 0)
            throw new InvalidOperationException($"The arena cannot be reset while {inUse} frames are in use; dispose the tables in it first.");
        NativeMemory.Clear(_base, (nuint)_exposedFrames * FrameSize);
        _exposedFrames = 0;
        _hint = 0;
        _peakInUse = 0;
        _totalFreed = 0;
        _failedAllocations = 0;
    }

    /// <summary>Reads the 64-bit little-endian word at <paramref name="paddr"/> (8-byte aligned, inside the arena).</summary>
    /// <exception cref="ArgumentException"><paramref name="paddr"/> is not 8-byte aligned.</exception>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddr"/> lies outside the arena.</exception>
    public unsafe ulong ReadUInt64(PhysAddr paddr)
    {
        if (!paddr.IsAligned(8)) throw new ArgumentException($"{paddr} is not 8-byte aligned.", nameof(paddr));
        return *(ulong*)(FramePointer(paddr) + (paddr.Value & (FrameSize - 1)));
    }

    /// <summary>Writes the 64-bit word at <paramref name="paddr"/> (8-byte aligned, inside the arena).</summary>
    /// <exception cref="ArgumentException"><paramref name="paddr"/> is not 8-byte aligned.</exception>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddr"/> lies outside the arena.</exception>
    public unsafe void WriteUInt64(PhysAddr paddr, ulong value)
    {
        if (!paddr.IsAligned(8)) throw new ArgumentException($"{paddr} is not 8-byte aligned.", nameof(paddr));
        *(ulong*)(FramePointer(paddr) + (paddr.Value & (FrameSize - 1))) = value;
    }

    /// <summary>Frees the native block. Frames still in use are simply gone with it; tables built in the arena then
    /// refuse every operation with <see cref="ObjectDisposedException"/>, and their <c>Dispose</c> frees nothing. Idempotent.</summary>
    public unsafe void Dispose()
    {
        if (Interlocked.Exchange(ref _limit, 0) != 0)
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
    unsafe ~FrameArena()
    {
        if (_allocation != null) NativeMemory.Free(_allocation);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _limit) == 0) ThrowHelper.Disposed(nameof(FrameArena));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OutsideOrDisposed(ulong paddr)
    {
        ThrowIfDisposed();
        ThrowHelper.OutsideArena(paddr, BasePaddr.Value, EndPaddr.Value);
    }

    private void RaisePeak(int inUse)
    {
        int peak;
        while ((peak = Volatile.Read(ref _peakInUse)) < inUse && Interlocked.CompareExchange(ref _peakInUse, inUse, peak) != peak) { }
    }

    private void RaiseExposed(int index)
    {
        int exposed;
        while ((exposed = Volatile.Read(ref _exposedFrames)) <= index && Interlocked.CompareExchange(ref _exposedFrames, index + 1, exposed) != exposed) { }
    }

    private void LowerHint(int word)
    {
        int hint;
        while ((hint = Volatile.Read(ref _hint)) > word && Interlocked.CompareExchange(ref _hint, word, hint) != hint) { }
    }
}

/// <summary>
/// The <see cref="IPagingHandler"/> over a <see cref="FrameArena"/>: a one-reference struct, so tables
/// that share it share the arena, and two handlers are equal when their arenas are the same object.
/// </summary>
/// <remarks>The default value has no arena: every member that needs one throws <see cref="InvalidOperationException"/>.</remarks>
public readonly struct ArenaHandler : IPagingHandler, IEquatable<ArenaHandler>
{
    private readonly FrameArena? _arena;

    /// <summary>Wraps <paramref name="arena"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="arena"/> is null.</exception>
    public ArenaHandler(FrameArena arena) => _arena = arena ?? throw new ArgumentNullException(nameof(arena));

    /// <summary>The arena frames come from.</summary>
    /// <exception cref="InvalidOperationException">This is the default handler, which has no arena.</exception>
    public FrameArena Arena => _arena ?? NoArena();

    /// <summary>The arena, or null for the default handler.</summary>
    internal FrameArena? ArenaOrNull => _arena;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">This is the default handler, which has no arena.</exception>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    public bool TryAllocFrame(out PhysAddr paddr) => Arena.TryAllocFrame(out paddr);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No arena, or a bad free (see <see cref="FrameArena.FreeFrame"/>).</exception>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    public void DeallocFrame(PhysAddr paddr) => Arena.FreeFrame(paddr);

    /// <summary>
    /// Gives the frames back to the arena at once (<see cref="FrameArena.FreeFrames"/>) when <typeparamref name="TSelf"/>
    /// is <see cref="ArenaHandler"/>, as it is when a table calls it; for any other handler type, frame by frame through
    /// that handler's <see cref="IPagingHandler.DeallocFrame"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No arena, or a bad free (see <see cref="FrameArena.FreeFrames"/>).</exception>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    static void IPagingHandler.DeallocFrames<TSelf>(ref TSelf handler, ReadOnlySpan<PhysAddr> frames)
    {
        if (typeof(TSelf) == typeof(ArenaHandler))
        {
            Unsafe.As<TSelf, ArenaHandler>(ref handler).Arena.FreeFrames(frames);
            return;
        }
        foreach (PhysAddr frame in frames) handler.DeallocFrame(frame);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">This is the default handler, which has no arena.</exception>
    /// <exception cref="ObjectDisposedException">The arena has been disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddr"/> lies outside the arena.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe byte* PhysToHost(PhysAddr paddr) => Arena.FramePointer(paddr);

    /// <inheritdoc />
    public bool IsMemoryReleased => _arena is null || _arena.IsDisposed;

    /// <inheritdoc />
    public bool Equals(ArenaHandler other) => ReferenceEquals(_arena, other._arena);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ArenaHandler h && Equals(h);

    /// <inheritdoc />
    // Stryker disable once Conditional : RuntimeHelpers.GetHashCode(null) is 0 as well
    public override int GetHashCode() => _arena is null ? 0 : RuntimeHelpers.GetHashCode(_arena);

    /// <summary>Same arena.</summary>
    public static bool operator ==(ArenaHandler a, ArenaHandler b) => a.Equals(b);

    /// <summary>Different arenas.</summary>
    public static bool operator !=(ArenaHandler a, ArenaHandler b) => !a.Equals(b);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static FrameArena NoArena() =>
        throw new InvalidOperationException("This ArenaHandler is the default value and has no arena; create it with new ArenaHandler(arena).");
}
