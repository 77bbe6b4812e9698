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
}
