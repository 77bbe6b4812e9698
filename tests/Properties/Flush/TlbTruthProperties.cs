using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Flush;

/// <summary>
/// TLB truth for every table, page size and operation as the focus of the generated mix: intermediate states,
/// break-before-make, clear-flush-free and no stale translation after the caller's flush, at every event
/// (<see cref="TlbRun{TInner, TPte}"/>). 5 tables x 3 page sizes x 9 operations.
/// </summary>
public sealed class TlbTruthProperties
{
    public static TheoryData<TableKind, PageSize, OpKind> Cases() => EquivalenceProperties.Cases();

    /// <summary>Fewer sequences than the equivalence properties: every write of every operation is walked and cached.</summary>
    internal static Config Config => PropertySettings.Config.WithMaxTest(Math.Max(1, PropertySettings.MaxTest / 3));

    [Theory]
    [MemberData(nameof(Cases))]
    public void NoOperationLeavesTheTlbWrong(TableKind table, PageSize size, OpKind focus)
    {
        var seeds = Gen.Choose(0, int.MaxValue).ToArbitrary();
        var property = Prop.ForAll(Generators.Sequences(table, size, focus), seeds, (seq, seed) => Run(table, seq.Ops, seed));
        Check.One($"{table} {size} {focus} TLB", Config, property);
    }

    /// <summary>
    /// A 2M page, then a protection of its first 4K page (a split, then one piece changes); a 1G page, then an unmap
    /// across two of its 2M pieces (a 2M table and two 4K tables, per-page flushes).
    /// </summary>
    internal static readonly PageOp[] SplitThenChange =
    [
        new MapOp(0x20_0000, 0x4000_0000, PageSize.Size2M, MappingFlags.Read | MappingFlags.Write),
        new ProtectRegionOp(0x20_0000, 0x1000, MappingFlags.Read, FlushByPage: false),
        new MapOp(0x4000_0000, 0, PageSize.Size1G, MappingFlags.Read | MappingFlags.Write),
        new UnmapRegionOp(0x4020_0000 - 0x1000, 0x2000, FlushByPage: true),
    ];

    /// <summary>The split steps above keep every TLB rule on every table, with several fill patterns.</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void SplitsKeepEveryTlbRule(TableKind table)
    {
        for (int seed = 0; seed < 8; seed++) Run(table, SplitThenChange, seed);
    }

    public static TheoryData<TableKind> Kinds() => new(Tables.All);

    /// <summary>Runs one sequence of <paramref name="table"/> with the TLB checks.</summary>
    internal static void Run(TableKind table, PageOp[] ops, int seed, TlbVariant variant = TlbVariant.None)
    {
        switch (table)
        {
            case TableKind.X64: new TlbRun<Observed<X64PagingMetaData>, X64Pte>(table, seed, variant).Run(ops); break;
            case TableKind.A64: new TlbRun<Observed<A64PagingMetaData>, A64Pte>(table, seed, variant).Run(ops); break;
            case TableKind.Sv39: new TlbRun<Observed<Sv39PagingMetaData>, RiscVPte>(table, seed, variant).Run(ops); break;
            case TableKind.Sv48: new TlbRun<Observed<Sv48PagingMetaData>, RiscVPte>(table, seed, variant).Run(ops); break;
            default: new TlbRun<Observed<La64PagingMetaData>, La64Pte>(table, seed, variant).Run(ops); break;
        }
    }
}
