using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// Shrunk counterexamples, pasted as printed by a failing property or by the campaign. Each replays exactly:
/// the same steps on Impl and Model with every check of the properties.
/// </summary>
public sealed class Regressions
{
    // A 4K page inside an existing 2M mapping: both sides must answer MappedToHugePage.
    [Fact]
    public void Regression_X64_4KInside2M() => Replay.Run(TableKind.X64,
        new MapOp(0x20_0000, 0x40_0000, PageSize.Size2M, MappingFlags.Read | MappingFlags.Write),
        new MapOp(0x20_1000, 0x1000, PageSize.Size4K, MappingFlags.Read),
        new QueryOp(0x20_1234));

    // A region that ends at 2^64 exactly, on the high half.
    [Fact]
    public void Regression_Sv39_RegionToTopOfAddressSpace() => Replay.Run(TableKind.Sv39,
        new MapRegionOp(0xffff_ffff_ffff_e000, 0x3000, 0x2000, MappingFlags.Read, AllowHuge: false, FlushByPage: true, Scramble: 0, Contiguous: true),
        new UnmapRegionOp(0xffff_ffff_ffff_e000, 0x2000, FlushByPage: false));

    // Sv39 1G pages are root entries: a region of them crosses root slots, and the second slot is borrowed.
    [Fact]
    public void Regression_Sv39_2ops_ba5ad398() => Replay.Run(TableKind.Sv39,
        new CopyFromOp(0x8000_0000, 0x1000, CopySource.Peer),
        new MapRegionOp(0x4000_0000, 0x8000_0000, 0x8000_1000, MappingFlags.Read, AllowHuge: true, FlushByPage: false, Scramble: 0, Contiguous: false));
}
