using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Safety;

/// <summary>
/// Page-table memory that shrinks: at every step of every generated sequence (5 tables x 3 page sizes x 9 focus
/// operations), the table frames Impl's table owns equal the fewest its mappings need, which the model computes from its
/// dictionary alone (<see cref="PageTableModel.ReferenceModel.RequiredTableFrames"/>). So no operation, successful or
/// failed, leaves an empty table behind.
/// </summary>
public sealed class MinimalFramesProperties
{
    public static TheoryData<TableKind, PageSize, OpKind> Cases() => EquivalenceProperties.Cases();

    private static readonly RunOptions Options = new()
    {
        AfterStep = ctx =>
        {
            int owned = ctx.Impl.OwnedTableFrames(), needed = ctx.Model.RequiredTableFrames();
            if (owned != needed)
                throw new EquivalenceException($"step {ctx.Step} {ctx.Op}: the table owns {owned} table frames, its mappings need {needed}");
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheTableHoldsNoMoreFramesThanItsMappingsNeed(TableKind table, PageSize size, OpKind focus)
    {
        var property = Prop.ForAll(Generators.Sequences(table, size, focus), seq => { Equivalence.Run(seq.Table, seq.Ops, Options); });
        Check.One($"{table} {size} {focus} frames", PropertySettings.Config.WithMaxTest(Math.Max(1, PropertySettings.MaxTest / 3)), property);
    }
}
