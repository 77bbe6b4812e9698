using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// The core law: for every table type, every page size and every operation as the focus of the generated mix,
/// Impl and Model agree on every result and on the whole mapping state after every step, frame accounting holds
/// at every step, and Dispose returns every frame. 5 tables x 3 page sizes x 9 operations = 135 properties.
/// </summary>
public sealed class EquivalenceProperties
{
    public static TheoryData<TableKind, PageSize, OpKind> Cases()
    {
        var data = new TheoryData<TableKind, PageSize, OpKind>();
        foreach (var kind in Tables.All)
            foreach (var size in Tables.PageSizes)
                foreach (var op in Enum.GetValues<OpKind>())
                    data.Add(kind, size, op);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ImplMatchesModel(TableKind table, PageSize size, OpKind focus)
    {
        var property = Prop.ForAll(Generators.Sequences(table, size, focus), seq => { Equivalence.Run(seq.Table, seq.Ops); });
        Check.One($"{table} {size} {focus}", PropertySettings.Config, property);
    }
}

/// <summary>
/// With arenas of a few frames, NoMemory is the only allowed divergence from the model, and it leaves the
/// mapping state unchanged (map regions roll back); frames are still all returned at the end.
/// </summary>
public sealed class NoMemoryProperties
{
    public static TheoryData<TableKind> Kinds() => new(Tables.All);

    [Theory]
    [MemberData(nameof(Kinds))]
    public void NoMemoryChangesNothing(TableKind table)
    {
        var sequences = Generators.Sequences(table, PageSize.Size4K, OpKind.MapRegion);
        var frames = Gen.Choose(3, 9).ToArbitrary();
        var property = Prop.ForAll(sequences, frames, (seq, n) =>
        {
            // 3 frames: root + peer root + one table; the peer's setup needs more, so give it room on top.
            Equivalence.Run(seq.Table, seq.Ops, new RunOptions { ArenaFrames = 12 + n, TolerateNoMemory = true });
        });
        Check.One($"{table} NoMemory", PropertySettings.Config, property);
    }

    /// <summary>
    /// The same for splits: 2M and 1G pages cut by region unmaps and protections in arenas that run out, so a split often
    /// finds no frame for its tables, or only some of them. After every step, NoMemory included, the table also holds
    /// exactly the table frames its mappings need.
    /// </summary>
    [Theory]
    [MemberData(nameof(SplitCases))]
    public void ASplitWithoutFramesChangesNothing(TableKind table, PageSize size, OpKind focus)
    {
        var sequences = Generators.Sequences(table, size, focus);
        var frames = Gen.Choose(0, 6).ToArbitrary();
        var property = Prop.ForAll(sequences, frames, (seq, n) =>
        {
            Equivalence.Run(seq.Table, seq.Ops, new RunOptions { ArenaFrames = 12 + n, TolerateNoMemory = true, AfterStep = MinimalFrames });
        });
        Check.One($"{table} {size} {focus} split NoMemory", PropertySettings.Config, property);
    }

    public static TheoryData<TableKind, PageSize, OpKind> SplitCases()
    {
        var data = new TheoryData<TableKind, PageSize, OpKind>();
        foreach (var kind in Tables.All)
            foreach (var size in new[] { PageSize.Size2M, PageSize.Size1G })
                foreach (var op in new[] { OpKind.UnmapRegion, OpKind.ProtectRegion })
                    data.Add(kind, size, op);
        return data;
    }

    private static void MinimalFrames(StepContext ctx)
    {
        int owned = ctx.Impl.OwnedTableFrames(), needed = ctx.Model.RequiredTableFrames();
        if (owned != needed)
            throw new EquivalenceException($"step {ctx.Step} {ctx.Op}: the table owns {owned} table frames, its mappings need {needed}");
    }
}
