using System.Runtime.CompilerServices;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>The simulated physical memory: accounting, and refusal of every misuse.</summary>
public sealed class FrameArenaTests
{
    [Fact]
    public void RejectsBadConstruction()
    {
        Assert.Contains("0x1800 is not 4 KiB-aligned", Assert.Throws<ArgumentException>(() => new FrameArena(new PhysAddr(0x1800), 4)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameArena(new PhysAddr(0x1000), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameArena(new PhysAddr(0x1000), -1));
        Assert.Contains("passes 2^64", Assert.Throws<ArgumentException>(() => new FrameArena(new PhysAddr(0xffff_ffff_ffff_e000), 2)).Message, StringComparison.Ordinal);
        using var top = new FrameArena(new PhysAddr(0xffff_ffff_ffff_d000), 2);
        Assert.Equal(new PhysAddr(0xffff_ffff_ffff_f000), top.EndPaddr);
    }

    [Fact]
    public void RefusesToPrefaultMoreMemoryThanTheHostHasInsteadOfGettingTheProcessKilled()
    {
        // 8 TiB: a host that overcommits would hand out the address space, and touching it would end the process.
        var e = Assert.Throws<OutOfMemoryException>(() => new FrameArena(new PhysAddr(0), int.MaxValue, prefault: true));
        Assert.Contains("more memory than this host has", e.Message, StringComparison.Ordinal);
        using var small = new FrameArena(new PhysAddr(0), 16, prefault: true);
        Assert.True(small.TryAllocFrame(out _));
    }

    [Theory]
    [InlineData(512, false)]
    [InlineData(512, true)]
    [InlineData(777, false)]
    [InlineData(777, true)]
    public unsafe void ABlockOf2MiBOrMoreStartsOnA2MiBHostBoundaryAndStartsZeroed(int frames, bool prefault)
    {
        using var arena = new FrameArena(new PhysAddr(0x8000_0000), frames, prefault);
        byte* first = arena.FramePointer(arena.BasePaddr);
        Assert.Equal(0UL, (ulong)first % 0x20_0000);
        Assert.True(arena.Memory.IndexOfAnyExcept((byte)0) < 0); // every byte zero, whatever pages back the block
        PhysAddr last = arena.BasePaddr + (ulong)(frames - 1) * FrameArena.FrameSize;
        Assert.Equal((nuint)first + (nuint)(frames - 1) * FrameArena.FrameSize, (nuint)arena.FramePointer(last));
        arena.WriteUInt64(last + 0xff8, 0x1234_5678_9abc_def0);
        Assert.Equal(0x1234_5678_9abc_def0UL, arena.ReadUInt64(last + 0xff8));
    }

    [Fact]
    public unsafe void ASmallerBlockStartsOnAFrame()
    {
        using var arena = new FrameArena(new PhysAddr(0x8000_0000), 511, prefault: true);
        Assert.Equal(0UL, (ulong)arena.FramePointer(arena.BasePaddr) % FrameArena.FrameSize);
        Assert.True(arena.Memory.IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void AllocatesLowestFirstAndCountsEverything()
    {
        using var arena = new FrameArena(new PhysAddr(0x8000_0000), 3, prefault: true);
        Assert.Equal(new PhysAddr(0x8000_0000), arena.BasePaddr);
        Assert.Equal(new PhysAddr(0x8000_3000), arena.EndPaddr);
        Assert.Equal(3, arena.FrameCount);
        Assert.True(arena.TryAllocFrame(out var a) && a == new PhysAddr(0x8000_0000));
        Assert.True(arena.TryAllocFrame(out var b) && b == new PhysAddr(0x8000_1000));
        Assert.True(arena.TryAllocFrame(out var c) && c == new PhysAddr(0x8000_2000));
        Assert.False(arena.TryAllocFrame(out var none));
        Assert.Equal(default, none);
        Assert.Equal(1, arena.FailedAllocations);
        Assert.Equal(3, arena.InUse);
        Assert.Equal(3, arena.PeakInUse);
        Assert.True(arena.IsInUse(b));
        arena.FreeFrame(b);
        Assert.False(arena.IsInUse(b));
        Assert.False(arena.IsInUse(new PhysAddr(0x1000)));
        Assert.Equal(2, arena.InUse);
        Assert.Equal(3, arena.PeakInUse);
        Assert.Equal(3, arena.TotalAllocated);
        Assert.Equal(1, arena.TotalFreed);
        Assert.True(arena.TryAllocFrame(out var again) && again == b);
    }

    [Fact]
    public void RefusesMisuse()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 2);
        Assert.True(arena.TryAllocFrame(out var a));
        // Each misuse names the address and what is wrong with it.
        Assert.Equal("Freeing frame 0x200000: outside the arena.", Assert.Throws<InvalidOperationException>(() => arena.FreeFrame(new PhysAddr(0x20_0000))).Message);
        Assert.Equal("Freeing frame 0xff000: outside the arena.", Assert.Throws<InvalidOperationException>(() => arena.FreeFrame(new PhysAddr(0x0f_f000))).Message);
        Assert.Equal("Freeing frame 0x100008: not frame-aligned.", Assert.Throws<InvalidOperationException>(() => arena.FreeFrame(a + 8)).Message);
        Assert.Equal("Freeing frame 0x101000: not in use (double free).", Assert.Throws<InvalidOperationException>(() => arena.FreeFrame(new PhysAddr(0x10_1000))).Message); // never allocated
        arena.FreeFrame(a);
        Assert.Equal("Freeing frame 0x100000: not in use (double free).", Assert.Throws<InvalidOperationException>(() => arena.FreeFrame(a)).Message);
        Assert.Contains("0x102000 is outside the arena [0x100000, 0x102000)", Assert.Throws<ArgumentOutOfRangeException>(() => arena.ReadUInt64(new PhysAddr(0x10_2000))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => arena.ReadUInt64(new PhysAddr(0x0f_fff8)));
        Assert.Contains("is not 8-byte aligned", Assert.Throws<ArgumentException>(() => arena.ReadUInt64(new PhysAddr(0x10_0004))).Message, StringComparison.Ordinal);
        Assert.Contains("is not 8-byte aligned", Assert.Throws<ArgumentException>(() => arena.WriteUInt64(new PhysAddr(0x10_0001), 1)).Message, StringComparison.Ordinal);
        Assert.True(arena.Contains(new PhysAddr(0x10_1fff)));
        Assert.False(arena.Contains(new PhysAddr(0x10_2000)));
        Assert.False(arena.Contains(new PhysAddr(0x0f_ffff)));
    }

    [Fact]
    public void MemoryIsReadableAndWritable()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 2);
        Assert.Equal(0x2000, arena.Memory.Length);
        Assert.Equal(0UL, arena.ReadUInt64(new PhysAddr(0x10_1ff8)));
        arena.WriteUInt64(new PhysAddr(0x10_1008), 0x1122_3344_5566_7788);
        Assert.Equal(0x1122_3344_5566_7788UL, arena.ReadUInt64(new PhysAddr(0x10_1008)));
        Assert.Equal(0x88, arena.Memory[0x1008]);
        Assert.Equal(0x11, arena.Memory[0x100f]);
    }

    [Fact]
    public void AnArenaOfTwoGiBOrMoreCannotBeViewedAsOneSpan()
    {
        // 2 GiB of address space, never touched: the OS backs it lazily.
        using var arena = new FrameArena(new PhysAddr(0x1_0000_0000), 0x8_0000);
        var e = Assert.Throws<NotSupportedException>(() => arena.Memory.Length);
        Assert.Contains("Frame(paddr)", e.Message, StringComparison.Ordinal);
        Assert.True(arena.TryAllocFrame(out var frame));
        arena.WriteUInt64(frame + 8, 7);
        Assert.Equal(7UL, arena.ReadUInt64(frame + 8));
        Assert.Equal(7, arena.Frame(frame + 0x123)[8]); // the whole frame that holds the address
        Assert.Equal(FrameArena.FrameSize, arena.Frame(frame).Length);
    }

    [Fact]
    public void DisposeIsFinal()
    {
        var arena = new FrameArena(new PhysAddr(0x10_0000), 2);
        Assert.False(arena.IsDisposed);
        arena.Dispose();
        arena.Dispose();
        Assert.True(arena.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => arena.TryAllocFrame(out _));
        Assert.Throws<ObjectDisposedException>(() => arena.FreeFrame(new PhysAddr(0x10_0000)));
        Assert.Throws<ObjectDisposedException>(() => arena.Memory.Length);
        // Everything that reaches the memory refuses, instead of touching a freed block.
        var frame = new PhysAddr(0x10_0000);
        Assert.Throws<ObjectDisposedException>(() => arena.Frame(frame).Length);
        Assert.Throws<ObjectDisposedException>(() => arena.ReadUInt64(frame));
        Assert.Throws<ObjectDisposedException>(() => arena.WriteUInt64(frame, 1));
        Assert.Throws<ObjectDisposedException>(() => arena.IsInUse(frame));
        Assert.Throws<ObjectDisposedException>(() => { unsafe { _ = arena.FramePointer(frame); } });
        Assert.Throws<ObjectDisposedException>(() => new ArenaHandler(arena).TryAllocFrame(out _));
        Assert.True(new ArenaHandler(arena).IsMemoryReleased);
        // What needs no memory still answers.
        Assert.True(arena.Contains(frame));
        Assert.Equal(2, arena.FrameCount);
    }

    [Fact]
    public void FramesAreHandedOutLowestFirst()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 130); // three bitmap words, the last one partly used
        var frames = new List<ulong>();
        while (arena.TryAllocFrame(out var f)) frames.Add(f.Value);
        Assert.Equal(Enumerable.Range(0, 130).Select(i => 0x10_0000UL + (ulong)i * 0x1000), frames);
        Assert.Equal(1, arena.FailedAllocations);
        Assert.Equal(130, arena.PeakInUse);
        arena.FreeFrame(new PhysAddr(0x10_0000 + 100 * 0x1000));
        arena.FreeFrame(new PhysAddr(0x10_0000 + 5 * 0x1000));
        arena.FreeFrame(new PhysAddr(0x10_0000 + 64 * 0x1000));
        Assert.True(arena.TryAllocFrame(out var a));
        Assert.True(arena.TryAllocFrame(out var b));
        Assert.True(arena.TryAllocFrame(out var c));
        Assert.Equal([0x10_5000UL, 0x10_0000UL + 64 * 0x1000, 0x10_0000UL + 100 * 0x1000], new[] { a.Value, b.Value, c.Value });
        Assert.False(arena.TryAllocFrame(out _));
        Assert.Equal(130, arena.InUse);
        Assert.Equal(133, arena.TotalAllocated);
        Assert.Equal(3, arena.TotalFreed);
    }

    [Fact]
    public void HandlersAreEqualWhenTheirArenaIs()
    {
        using var a = new FrameArena(new PhysAddr(0x10_0000), 1);
        using var b = new FrameArena(new PhysAddr(0x10_0000), 1);
        var ha = new ArenaHandler(a);
        Assert.True(ha == new ArenaHandler(a));
        Assert.True(ha != new ArenaHandler(b));
        Assert.True(ha.Equals((object)new ArenaHandler(a)));
        Assert.False(ha.Equals((object)a));
        Assert.Equal(new ArenaHandler(a).GetHashCode(), ha.GetHashCode());
        Assert.Equal(RuntimeHelpers.GetHashCode(a), ha.GetHashCode()); // the arena's identity
        Assert.Equal(0, default(ArenaHandler).GetHashCode());
        Assert.Same(a, ha.Arena);
        Assert.Throws<ArgumentNullException>(() => new ArenaHandler(null!));
    }

    [Fact]
    public void ResetReturnsAnArenaToItsFreshState()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 200);
        Assert.True(arena.TryAllocFrame(out var a));
        Assert.True(arena.TryAllocFrame(out var b));
        Assert.True(arena.TryAllocFrame(out var c));
        arena.WriteUInt64(a + 8, 0x1111);
        arena.WriteUInt64(c + 0xff8, 0x3333);
        arena.WriteUInt64(new PhysAddr(0x10_0000 + 130 * 0x1000 + 16), 0x7777); // never allocated: a stray write
        arena.FreeFrame(b);
        arena.FreeFrame(a);
        Assert.True(arena.TryAllocFrame(out var d) && d == a);
        Assert.Equal("The arena cannot be reset while 2 frames are in use; dispose the tables in it first.",
            Assert.Throws<InvalidOperationException>(() => arena.Reset()).Message); // two frames in use
        arena.FreeFrame(c);
        arena.FreeFrame(d);
        Assert.True(arena.TryAllocFrame(out var e) && e == a); // the lowest free frame
        arena.FreeFrame(e);
        Assert.Equal(5, arena.TotalAllocated);

        arena.Reset();

        Assert.True(arena.Memory.IndexOfAnyExcept((byte)0) < 0, "every byte is zero again");
        Assert.Equal(0, arena.InUse);
        Assert.Equal(0, arena.PeakInUse);
        Assert.Equal(0, arena.TotalAllocated);
        Assert.Equal(0, arena.TotalFreed);
        Assert.Equal(0, arena.FailedAllocations);
        Assert.True(arena.TryAllocFrame(out var first) && first == arena.BasePaddr);
        Assert.Equal(1, arena.TotalAllocated);
        arena.FreeFrame(first);
        arena.Reset(); // twice in a row is fine
        Assert.Equal(0, arena.TotalFreed);
    }

    [Fact]
    public void ResetClearsEveryFrameReachedSinceTheLastReset()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 300);
        arena.WriteUInt64(new PhysAddr(0x10_0000 + 299 * 0x1000 + 0xff8), 1); // the very last word
        arena.Reset();
        Assert.Equal(0UL, arena.ReadUInt64(new PhysAddr(0x10_0000 + 299 * 0x1000 + 0xff8)));
        arena.WriteUInt64(new PhysAddr(0x10_0000 + 64 * 0x1000), 2); // below the first reset's reach
        arena.Reset();
        Assert.Equal(0UL, arena.ReadUInt64(new PhysAddr(0x10_0000 + 64 * 0x1000)));
        // Exhausting the arena and resetting it hands out every frame again, lowest first.
        for (int i = 0; i < 300; i++) Assert.True(arena.TryAllocFrame(out _));
        Assert.False(arena.TryAllocFrame(out _));
        for (int i = 299; i >= 0; i--) arena.FreeFrame(new PhysAddr(0x10_0000 + (ulong)i * 0x1000));
        arena.Reset();
        for (int i = 0; i < 300; i++) Assert.True(arena.TryAllocFrame(out var p) && p == new PhysAddr(0x10_0000 + (ulong)i * 0x1000));
    }

    [Fact]
    public void ResetIsRefusedAfterDispose()
    {
        var arena = new FrameArena(new PhysAddr(0x10_0000), 2);
        arena.Dispose();
        Assert.Throws<ObjectDisposedException>(() => arena.Reset());
    }

    [Fact]
    public void ATableBuiltAfterResetIsTheSameAsInAFreshArena()
    {
        byte[] Build(FrameArena arena)
        {
            using (var pt = X64PageTable.TryCreate(arena).Value)
            {
                Assert.True(pt.Map(new VirtAddr(0x7000), new PhysAddr(0x3000), PageSize.Size4K, MappingFlags.Read | MappingFlags.Write).IsOk);
                Assert.True(pt.Map(new VirtAddr(0xffff_8000_0020_0000), new PhysAddr(0x40_0000), PageSize.Size2M, MappingFlags.Read).IsOk);
                return arena.Memory.ToArray();
            }
        }
        using var fresh = new FrameArena(new PhysAddr(0x10_0000), 64);
        using var reused = new FrameArena(new PhysAddr(0x10_0000), 64);
        using (var other = X64PageTable.TryCreate(reused).Value)
            Assert.True(other.MapRegion(new VirtAddr(0x4000_0000), new PhysAddr(0), 0x40_0000, MappingFlags.Read, allowHuge: false, flushTlbByPage: false).IsOk);
        reused.Reset();
        Assert.Equal(Build(fresh), Build(reused));
    }

    // ---- FreeFrames: the batch free ----

    private static PhysAddr FrameAt(int index) => new(0x10_0000 + (ulong)index * 0x1000);

    /// <summary>An arena of 200 frames (four bitmap words) with every frame handed out.</summary>
    private static FrameArena FullArena()
    {
        var arena = new FrameArena(new PhysAddr(0x10_0000), 200);
        while (arena.TryAllocFrame(out _)) { }
        return arena;
    }

    private static int CountInUse(FrameArena arena) => Enumerable.Range(0, arena.FrameCount).Count(i => arena.IsInUse(FrameAt(i)));

    [Fact]
    public void FreeFramesGivesBackABatchAcrossWordsInAnyOrder()
    {
        using var arena = FullArena();
        arena.FreeFrame(FrameAt(198)); // a free frame in the last word: the allocation hint is there now
        int[] batch = [70, 3, 4, 199, 64, 63, 5, 130, 0];
        arena.FreeFrames([.. batch.Select(FrameAt)]);
        Assert.Equal(199 - batch.Length, arena.InUse);
        Assert.Equal(199 - batch.Length, CountInUse(arena));
        Assert.Equal(batch.Length + 1, arena.TotalFreed);
        Assert.Equal(200, arena.TotalAllocated);
        foreach (int i in batch) Assert.False(arena.IsInUse(FrameAt(i)));
        Assert.True(arena.IsInUse(FrameAt(1)));
        Assert.True(arena.IsInUse(FrameAt(65)));
        // The freed frames come back lowest first, before frame 198: the hint went down to the lowest word freed.
        foreach (int i in batch.Append(198).Order())
            Assert.True(arena.TryAllocFrame(out var f) && f == FrameAt(i));
        Assert.False(arena.TryAllocFrame(out _));
        arena.FreeFrames([]); // nothing to do
        Assert.Equal(200, arena.InUse);
    }

    [Fact]
    public void FreeFramesCatchesAFrameNotInUseBeforeClearingItsWord()
    {
        using var arena = FullArena();
        arena.FreeFrame(FrameAt(66));
        // 10 and 11 share a word; 66 shares a word with 65 and 67, and is not in use: the double free.
        var e = Assert.Throws<InvalidOperationException>(() => arena.FreeFrames([FrameAt(10), FrameAt(11), FrameAt(65), FrameAt(66), FrameAt(67), FrameAt(150)]));
        Assert.Equal("Freeing frame 0x142000: not in use (double free).", e.Message);
        // Exactly the frames before the bad one are freed, as with FreeFrame one by one; the counters agree.
        Assert.False(arena.IsInUse(FrameAt(10)));
        Assert.False(arena.IsInUse(FrameAt(11)));
        Assert.False(arena.IsInUse(FrameAt(65)));
        Assert.True(arena.IsInUse(FrameAt(67)));
        Assert.True(arena.IsInUse(FrameAt(150)));
        Assert.Equal(196, arena.InUse);
        Assert.Equal(196, CountInUse(arena));
        Assert.Equal(4, arena.TotalFreed);
    }

    [Fact]
    public void FreeFramesCatchesAFrameTwiceInOneBatch()
    {
        using var arena = FullArena();
        var e = Assert.Throws<InvalidOperationException>(() => arena.FreeFrames([FrameAt(7), FrameAt(8), FrameAt(7), FrameAt(9)]));
        Assert.Equal("Freeing frame 0x107000: not in use (double free).", e.Message);
        Assert.False(arena.IsInUse(FrameAt(7)));
        Assert.False(arena.IsInUse(FrameAt(8)));
        Assert.True(arena.IsInUse(FrameAt(9)));
        Assert.Equal(198, arena.InUse);
        Assert.Equal(198, CountInUse(arena));
    }

    [Fact]
    public void FreeFramesCatchesAFrameNeverHandedOut()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 8);
        Assert.True(arena.TryAllocFrame(out var a));
        var e = Assert.Throws<InvalidOperationException>(() => arena.FreeFrames([a, FrameAt(1)]));
        Assert.Equal("Freeing frame 0x101000: not in use (double free).", e.Message);
        Assert.Equal(0, arena.InUse);
        Assert.Equal(1, arena.TotalFreed);
    }

    [Fact]
    public void FreeFramesRefusesFramesOutsideOrUnaligned()
    {
        using var arena = FullArena();
        Assert.Equal("Freeing frame 0x1c8000: outside the arena.",
            Assert.Throws<InvalidOperationException>(() => arena.FreeFrames([FrameAt(1), FrameAt(200), FrameAt(2)])).Message);
        Assert.Equal("Freeing frame 0xff000: outside the arena.",
            Assert.Throws<InvalidOperationException>(() => arena.FreeFrames([new PhysAddr(0x0f_f000)])).Message);
        Assert.Equal("Freeing frame 0x103008: not frame-aligned.",
            Assert.Throws<InvalidOperationException>(() => arena.FreeFrames([FrameAt(3) + 8])).Message);
        Assert.False(arena.IsInUse(FrameAt(1))); // before the bad frame: freed
        Assert.True(arena.IsInUse(FrameAt(2)));  // after it: not
        Assert.True(arena.IsInUse(FrameAt(3)));
        Assert.Equal(199, arena.InUse);
    }

    [Fact]
    public void FreeFramesRefusesADisposedArenaAndFreesNothing()
    {
        var arena = FullArena();
        arena.Dispose();
        Assert.Throws<ObjectDisposedException>(() => arena.FreeFrames([FrameAt(0)]));
        Assert.Throws<ObjectDisposedException>(() => arena.FreeFrames([]));
        Assert.Equal(200, arena.InUse);
    }

    [Fact]
    public void FreeFramesFromManyThreadsLosesNothing()
    {
        using var arena = new FrameArena(new PhysAddr(0x10_0000), 4096);
        var frames = new PhysAddr[4096];
        for (int i = 0; i < frames.Length; i++) Assert.True(arena.TryAllocFrame(out frames[i]));
        // Four threads free interleaved frames (every word is shared by all of them), in batches of 37.
        Parallel.For(0, 4, t =>
        {
            var mine = frames.Where((_, i) => i % 4 == t).ToArray();
            for (int at = 0; at < mine.Length; at += 37) arena.FreeFrames(mine.AsSpan(at, Math.Min(37, mine.Length - at)));
        });
        Assert.Equal(0, arena.InUse);
        Assert.Equal(0, CountInUse(arena));
        Assert.Equal(4096, arena.TotalFreed);
    }
}
