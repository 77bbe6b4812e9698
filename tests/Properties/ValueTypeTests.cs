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
        Assert.False((MappingFlags.Write | MappingFlags.Execute).IsValidForMapping());
        Assert.False((MappingFlags.Read | (MappingFlags)0x40).IsValidForMapping());
        // PROT_NONE: no access right, with any of User, Device, Uncached.
        Assert.True(MappingFlags.None.IsValidForMapping());
        Assert.True(MappingFlags.User.IsValidForMapping());
        Assert.True((MappingFlags.User | MappingFlags.Device | MappingFlags.Uncached).IsValidForMapping());
        Assert.False(((MappingFlags)0x40).IsValidForMapping());
        Assert.False(((MappingFlags)0x80 | MappingFlags.User).IsValidForMapping());
        // Write or Execute without Read.
        Assert.False(MappingFlags.Write.IsValidForMapping());
        Assert.False(MappingFlags.Execute.IsValidForMapping());
        Assert.False((MappingFlags.Execute | MappingFlags.User).IsValidForMapping());
        Assert.True((MappingFlags.Read | MappingFlags.Execute).IsValidForMapping());

        Assert.True(MappingFlags.None.IsProtNone());
        Assert.True((MappingFlags.User | MappingFlags.Device | MappingFlags.Uncached).IsProtNone());
        Assert.False(MappingFlags.Read.IsProtNone());
        Assert.False(MappingFlags.Write.IsProtNone());
        Assert.False(MappingFlags.Execute.IsProtNone());
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
    public void TwoByteResultsBuiltInARegisterHoldTheirValueAndError()
    {
        // PagingResult of a one-byte value is assembled as one 16-bit word (value, then error): every error and every
        // value must come back out of it as it went in.
        foreach (PagingError error in Enum.GetValues<PagingError>())
        {
            PagingResult<TlbFlushAll<X64PagingMetaData>> flush = error;
            Assert.True(flush.IsErr);
            Assert.Equal(error, flush.Error);
            PagingResult<byte> bits = error;
            Assert.Equal(error, bits.Error);
            Assert.Equal($"Err({error})", bits.ToString());
        }
        PagingResult<TlbFlushAll<Sv39PagingMetaData>> ok = default(TlbFlushAll<Sv39PagingMetaData>);
        Assert.True(ok.IsOk);
        Assert.Null(ok.ErrorOrNull);
        for (int v = 0; v < 256; v++)
        {
            PagingResult<byte> value = (byte)v;
            Assert.True(value.IsOk);
            Assert.Equal((byte)v, value.Value);
            Assert.Equal(PagingResult<byte>.Ok((byte)v), value);
            Assert.NotEqual(PagingResult<byte>.Err(PagingError.NoMemory), value);
        }
        PagingResult<bool> yes = true;
        Assert.True(yes.Value);
        Assert.Equal(PagingError.NotMapped, ((PagingResult<bool>)PagingError.NotMapped).Error);
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
        Assert.StartsWith("RiscVPte(0x", RiscVPte.NewPage(new PhysAddr(0x3000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x3000, Read, leaf)", RiscVPte.NewPage(new PhysAddr(0x3000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x3000, None)", RiscVPte.NewTable(new PhysAddr(0x3000)).ToString(), StringComparison.Ordinal);
        Assert.StartsWith("La64Pte(0x", La64Pte.NewPage(new PhysAddr(0x4000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x4000, Read)", La64Pte.NewPage(new PhysAddr(0x4000), R, false).ToString(), StringComparison.Ordinal);
        Assert.EndsWith("PA:0x200000, Read, huge)", La64Pte.NewPage(new PhysAddr(0x20_0000), R, true).ToString(), StringComparison.Ordinal);
    }
}
