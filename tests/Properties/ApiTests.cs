using System.Runtime.CompilerServices;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>The small public surface around the tables: addresses, sizes, flags and results.</summary>
public sealed class ValueTypeTests
{
    [Fact]
    public void AddressAlignment()
    {
        var pa = new PhysAddr(0x1234_5678);
        Assert.Equal(new PhysAddr(0x1234_5000), pa.AlignDown(0x1000));
        Assert.Equal(new PhysAddr(0x1220_0000), pa.AlignDown(PageSize.Size2M));
        Assert.Equal(new PhysAddr(0x1234_6000), pa.AlignUp(0x1000));
        Assert.Equal(new PhysAddr(0x1240_0000), pa.AlignUp(PageSize.Size2M));
        Assert.Equal(0x678UL, pa.AlignOffset(0x1000));
        Assert.False(pa.IsAligned(0x1000));
        Assert.False(pa.IsAligned4K);
        Assert.True(new PhysAddr(0x4000_0000).IsAligned(PageSize.Size1G));
        Assert.True(new PhysAddr(0x3000).IsAligned4K);
        Assert.Equal(new PhysAddr(0x3000), new PhysAddr(0x3000).AlignUp(0x1000)); // already aligned: unchanged
        Assert.Equal(new PhysAddr(0x3000), new PhysAddr(0x2001).AlignUp(0x1000));

        var va = new VirtAddr(0xffff_8000_0020_0fff);
        Assert.Equal(new VirtAddr(0xffff_8000_0020_0000), va.AlignDown(PageSize.Size4K));
        Assert.Equal(new VirtAddr(0xffff_8000_0020_0000), va.AlignDown(PageSize.Size2M));
        Assert.Equal(new VirtAddr(0xffff_8000_0020_1000), va.AlignUp(PageSize.Size4K));
        Assert.Equal(new VirtAddr(0xffff_8000_0040_0000), va.AlignUp(0x20_0000));
        Assert.Equal(0xfffUL, va.AlignOffset(0x1000));
        Assert.False(va.IsAligned4K);
        Assert.True(new VirtAddr(0x20_0000).IsAligned(PageSize.Size2M));
        Assert.False(new VirtAddr(0x20_1000).IsAligned(PageSize.Size2M));
        Assert.True(new VirtAddr(0x20_1000).IsAligned(0x1000));
    }

    [Fact]
    public void AddressArithmeticAndOverflow()
    {
        Assert.True(new PhysAddr(0x1000).TryAdd(0x2000, out var sum));
        Assert.Equal(new PhysAddr(0x3000), sum);
        Assert.False(new PhysAddr(ulong.MaxValue - 0xfff).TryAdd(0x1000, out _));
        Assert.True(new PhysAddr(ulong.MaxValue).TryAdd(0, out _));
        Assert.True(new VirtAddr(0x5000).TryAdd(0, out var same) && same == new VirtAddr(0x5000));
        Assert.True(new VirtAddr(ulong.MaxValue - 0xfff).TryAdd(0xfff, out _));
        Assert.False(new VirtAddr(ulong.MaxValue - 0xfff).TryAdd(0x1000, out _));
        Assert.True(new VirtAddr(0x5000) >= new VirtAddr(0x5000));
        Assert.True(new VirtAddr(0x5001) >= new VirtAddr(0x5000));
        Assert.False(new VirtAddr(0x4fff) >= new VirtAddr(0x5000));
        Assert.True(new PhysAddr(ulong.MaxValue - 0x1000).TryAdd(0x1000, out _));
        Assert.Equal(new PhysAddr(0), new PhysAddr(ulong.MaxValue).Add(1));
        Assert.Equal(new PhysAddr(0x1800), new PhysAddr(0x1000) + 0x800);
        Assert.Equal(0x800UL, new PhysAddr(0x1800).OffsetFrom(new PhysAddr(0x1000)));

        Assert.True(new VirtAddr(0x1000).TryAdd(0x1000, out var vsum));
        Assert.Equal(new VirtAddr(0x2000), vsum);
        Assert.False(new VirtAddr(ulong.MaxValue).TryAdd(1, out _));
        Assert.Equal(new VirtAddr(0), new VirtAddr(ulong.MaxValue) + 1);
        Assert.Equal(new VirtAddr(5), new VirtAddr(ulong.MaxValue).Add(6));
        Assert.Equal(0x10UL, new VirtAddr(0x20).OffsetFrom(new VirtAddr(0x10)));
    }

    [Fact]
    public void AddressConversionsComparisonsAndText()
    {
        Assert.Equal(0x42UL, (ulong)PhysAddr.From(0x42));
        Assert.Equal(0x42UL, PhysAddr.From(0x42).AsUInt64);
        Assert.Equal(new PhysAddr(7), (PhysAddr)7UL);
        Assert.Equal(0x43UL, (ulong)VirtAddr.From(0x43));
        Assert.Equal(0x43UL, VirtAddr.From(0x43).AsUInt64);
        Assert.Equal(new VirtAddr(9), (VirtAddr)9UL);
        Assert.Equal("PA:0x2000", new PhysAddr(0x2000).ToString());
        Assert.Equal("VA:0xdeadbeef000", new VirtAddr(0xdead_beef_000).ToString());

        PhysAddr p1 = new(1), p2 = new(2), p1b = new(1);
        Assert.True(p1 < p2 && p2 > p1 && p1 <= p1b && p2 >= p1 && !(p2 <= p1) && !(p1 >= p2) && !(p1 < p1b) && !(p1 > p1b));
        Assert.True(p1.CompareTo(p2) < 0 && p2.CompareTo(p1) > 0 && p1.CompareTo(p1) == 0);
        VirtAddr v1 = new(1), v2 = new(2), v1b = new(1);
        Assert.True(v1 < v2 && v2 > v1 && v1 <= v1b && v2 >= v1 && !(v2 <= v1) && !(v1 >= v2) && !(v1 < v1b) && !(v1 > v1b));
        Assert.True(v1.CompareTo(v2) < 0 && v2.CompareTo(v1) > 0 && v1.CompareTo(v1) == 0);
    }

    [Fact]
    public void PageSizesAndFlags()
    {
        Assert.False(PageSize.Size4K.IsHuge());
        Assert.True(PageSize.Size2M.IsHuge());
        Assert.True(PageSize.Size1G.IsHuge());
        Assert.True(PageSize.Size2M.IsAligned(0x40_0000));
        Assert.False(PageSize.Size2M.IsAligned(0x40_1000));
        Assert.Equal(0x1000UL, PageSize.Size2M.AlignOffset(0x40_1000));
        Assert.Equal(0x123UL, PageSize.Size4K.AlignOffset(0x5123));
        Assert.Equal(0x4000_0000UL, PageSize.Size1G.Bytes());
        Assert.True(PageSize.Size4K.IsDefined());
        Assert.True(PageSize.Size2M.IsDefined());
        Assert.True(PageSize.Size1G.IsDefined());
        Assert.False(((PageSize)0x2000).IsDefined());

        Assert.True(MappingFlags.Read.IsValidForMapping());
        Assert.True(MappingFlags.All.IsValidForMapping());
        Assert.False(MappingFlags.None.IsValidForMapping());
        Assert.False((MappingFlags.Write | MappingFlags.Execute).IsValidForMapping());
        Assert.False((MappingFlags.Read | (MappingFlags)0x40).IsValidForMapping());
    }

    [Fact]
    public void CanonicalRule()
    {
        Assert.True(Canonical.IsCanonical(0x0000_7fff_ffff_ffff, 48));
        Assert.False(Canonical.IsCanonical(0x0000_8000_0000_0000, 48));
        Assert.True(Canonical.IsCanonical(0xffff_8000_0000_0000, 48));
        Assert.False(Canonical.IsCanonical(0xfffe_8000_0000_0000, 48));
        Assert.True(Canonical.IsCanonical(0xffff_ffc0_0000_0000, 39));
        Assert.False(Canonical.IsCanonical(0x0000_0040_0000_0000, 39));
        Assert.Equal(0xffff_8000_0000_0000UL, Canonical.SignExtend(0x0000_8000_0000_0000, 48));
        Assert.Equal(0x0000_7000_0000_0000UL, Canonical.SignExtend(0x0000_7000_0000_0000, 48));
        Assert.Equal(0xffff_ffc0_0000_0000UL, Canonical.SignExtend(0x40_0000_0000, 39));
    }

    [Fact]
    public void ResultsCarryValuesOrErrors()
    {
        PagingResult<int> ok = 5;
        PagingResult<int> err = PagingError.NotMapped;
        Assert.True(ok.IsOk);
        Assert.False(ok.IsErr);
        Assert.Equal(5, ok.Value);
        Assert.Null(ok.ErrorOrNull);
        Assert.True(ok.TryGetValue(out int v) && v == 5);
        Assert.Throws<InvalidOperationException>(() => ok.Error);
        Assert.True(err.IsErr);
        Assert.False(err.IsOk);
        Assert.Equal(PagingError.NotMapped, err.Error);
        Assert.Equal(PagingError.NotMapped, err.ErrorOrNull);
        Assert.False(err.TryGetValue(out _));
        Assert.Throws<InvalidOperationException>(() => err.Value);
        Assert.Equal("Ok(5)", ok.ToString());
        Assert.Equal("Err(NotMapped)", err.ToString());

        Assert.True(ok == PagingResult<int>.Ok(5));
        Assert.True(ok != PagingResult<int>.Ok(6));
        Assert.True(err == PagingResult<int>.Err(PagingError.NotMapped));
        Assert.True(err != PagingResult<int>.Err(PagingError.NoMemory));
        Assert.True(ok != err);
        Assert.True(ok.Equals((object)PagingResult<int>.Ok(5)));
        Assert.False(ok.Equals((object)5));
        Assert.Equal(PagingResult<int>.Ok(5).GetHashCode(), ok.GetHashCode());
        Assert.Equal(PagingResult<int>.Err(PagingError.NotMapped).GetHashCode(), err.GetHashCode());
        // The hash is the error's number, or the value's hash (HashCode.Combine of the value) on success.
        Assert.Equal((int)PagingError.NotMapped, err.GetHashCode());
        Assert.Equal(HashCode.Combine(5), ok.GetHashCode());
        Assert.Contains("NotMapped; there is no value", Assert.Throws<InvalidOperationException>(() => err.Value).Message, StringComparison.Ordinal);
        Assert.Contains("succeeded; there is no error", Assert.Throws<InvalidOperationException>(() => ok.Error).Message, StringComparison.Ordinal);

        PagingResult unitOk = PagingResult.Ok;
        PagingResult unitErr = PagingError.BorrowedEntry;
        Assert.True(unitOk.IsOk && !unitOk.IsErr && unitOk.ErrorOrNull is null);
        Assert.True(unitErr.IsErr && !unitErr.IsOk);
        Assert.Equal(PagingError.BorrowedEntry, unitErr.Error);
        Assert.Equal(PagingError.BorrowedEntry, unitErr.ErrorOrNull);
        Assert.Throws<InvalidOperationException>(() => unitOk.Error);
        Assert.True(unitErr == PagingResult.Err(PagingError.BorrowedEntry));
        Assert.True(unitOk != unitErr);
        Assert.True(unitOk.Equals((object)PagingResult.Ok));
        Assert.False(unitOk.Equals((object)1));
        Assert.NotEqual(unitOk.GetHashCode(), unitErr.GetHashCode());
        Assert.Equal("Ok", unitOk.ToString());
        Assert.Equal("Err(BorrowedEntry)", unitErr.ToString());
    }

    [Fact]
    public void EntriesDescribeThemselves()
    {
        const MappingFlags R = MappingFlags.Read;
        Assert.Equal("X64Pte(0x8000000000005061, PA:0x5000, Read)", X64Pte.NewPage(new PhysAddr(0x5000), R, false).ToString());
        Assert.Equal("X64Pte(0x80000000002000e1, PA:0x200000, Read, huge)", X64Pte.NewPage(new PhysAddr(0x20_0000), R, true).ToString());
        Assert.StartsWith("A64Pte(0x", A64Pte.NewPage(new PhysAddr(0x2000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x2000, Read)", A64Pte.NewPage(new PhysAddr(0x2000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x200000, Read, block)", A64Pte.NewPage(new PhysAddr(0x20_0000), R, true).ToString(), StringComparison.Ordinal);
        Assert.StartsWith("Rv64Pte(0x", Rv64Pte.NewPage(new PhysAddr(0x3000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x3000, Read, leaf)", Rv64Pte.NewPage(new PhysAddr(0x3000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x3000, None)", Rv64Pte.NewTable(new PhysAddr(0x3000)).ToString(), StringComparison.Ordinal);
        Assert.StartsWith("LA64Pte(0x", LA64Pte.NewPage(new PhysAddr(0x4000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x4000, Read)", LA64Pte.NewPage(new PhysAddr(0x4000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x200000, Read, huge)", LA64Pte.NewPage(new PhysAddr(0x20_0000), R, true).ToString(), StringComparison.Ordinal);
    }
}

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
        Assert.Throws<InvalidOperationException>(() => arena.Reset()); // two frames in use
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
}
