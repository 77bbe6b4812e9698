using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// Raw-memory truth: after every step of every generated sequence, an independent walker reading Impl's arena
/// agrees with the model (translation, page size, memory type, and which accesses fault), for every table type
/// and page size.
/// </summary>
public sealed class WalkerProperties
{
    public static TheoryData<TableKind, PageSize> Cases()
    {
        var data = new TheoryData<TableKind, PageSize>();
        foreach (var kind in Tables.All)
            foreach (var size in Tables.PageSizes)
                data.Add(kind, size);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HardwareWalkAgreesWithModel(TableKind table, PageSize size)
    {
        var options = new RunOptions { AfterStep = HardwareCheck.For(table) };
        var property = Prop.ForAll(Generators.Sequences(table, size, null), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
        Check.One($"{table} {size} walker", PropertySettings.Config, property);
    }

    /// <summary>
    /// Splits walked in full: a 2M page and a 1G page cut in several ways (a 4K page protected to Device, a guard page,
    /// a range across two 2M pieces, a 2M-aligned 2M range), and after every step every mapping of the model, not a
    /// sample, at its first, middle and last byte for every access.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryPieceOfASplitWalksAsTheModelSays(TableKind table)
    {
        const MappingFlags R = MappingFlags.Read;
        PageOp[] ops =
        [
            new MapOp(0x20_0000, 0x4000_0000, PageSize.Size2M, R | MappingFlags.Write | MappingFlags.Execute | MappingFlags.User),
            new ProtectRegionOp(0x20_3000, 0x1000, R | MappingFlags.Device, FlushByPage: false),
            new UnmapRegionOp(0x20_5000, 0x1000, FlushByPage: true),
            new MapOp(0x4000_0000, 0x8000_0000, PageSize.Size1G, R | MappingFlags.Uncached),
            new ProtectRegionOp(0x4020_1000, 0x20_0000, R | MappingFlags.Write, FlushByPage: false),
            new UnmapRegionOp(0x4060_0000, 0x20_0000, FlushByPage: false),
        ];
        Equivalence.Run(table, ops, new RunOptions { AfterStep = HardwareCheck.For(table, maxMappings: 4096) });
    }

    public static TheoryData<TableKind> Kinds() => new(Tables.All);
}
