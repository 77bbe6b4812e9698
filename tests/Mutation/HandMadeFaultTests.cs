using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Mutation;

/// <summary>
/// Every hand-made fault is caught by the property suite (model equivalence plus the hardware walker after every
/// step), with a fixed seed so the result does not depend on luck. Also records which check caught it.
/// </summary>
public sealed class HandMadeFaultTests
{
    public static TheoryData<string> Names() => new(Faults.All.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void IsCaughtByTheSuite(string name)
    {
        var fault = Faults.ByName(name);
        var options = new RunOptions
        {
            ImplFactory = (_, arena) => fault.Create(arena),
            AfterStep = HardwareCheck.For(fault.Table),
        };
        var property = Prop.ForAll(Generators.Sequences(fault.Table, PageSize.Size2M, null), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
        var config = Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(30).WithReplay(20261125, 555555555);

        var error = Record.Exception(() => Check.One(name, config, property));

        Assert.True(error is not null, $"{fault.Description}: not caught in 300 sequences.");
        Assert.Contains("Falsifiable", error.Message, StringComparison.Ordinal);
        // A split fault shows only once a region operation splits a huge page (the shrunk sequence's last step).
        if (name.Contains(".Split", StringComparison.Ordinal))
            Assert.Matches(@"step \d+ \(new (UnmapRegionOp|ProtectRegionOp)\(", error.Message);
    }

    /// <summary>The split faults' injection itself changes nothing: with the pieces left as written, the same run passes.</summary>
    [Fact]
    public void TheSplitFaultInjectionWithoutAFaultPasses()
    {
        HandMadeFault[] controls =
        [
            Faults.S<X64PagingMetaData, X64Pte, NoSplitFault>(TableKind.X64),
            Faults.S<A64PagingMetaData, A64Pte, NoSplitFault>(TableKind.A64),
            Faults.S<Sv39PagingMetaData, RiscVPte, NoSplitFault>(TableKind.Sv39),
            Faults.S<Sv48PagingMetaData, RiscVPte, NoSplitFault>(TableKind.Sv48),
            Faults.S<La64PagingMetaData, La64Pte, NoSplitFault>(TableKind.La64),
        ];
        foreach (var control in controls)
        {
            var options = new RunOptions { ImplFactory = (_, arena) => control.Create(arena), AfterStep = HardwareCheck.For(control.Table) };
            var property = Prop.ForAll(Generators.Sequences(control.Table, PageSize.Size2M, null), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
            Check.One($"{control} control", Config.QuickThrowOnFailure.WithMaxTest(300).WithEndSize(30).WithReplay(20261125, 555555555), property);
        }
    }

    [Fact]
    public void EveryEntryFormatHasAtLeastFiveFaults()
    {
        foreach (var table in Tables.All)
            Assert.True(Faults.All.Count(f => f.Table == table) >= 5, $"{table} has fewer than 5 hand-made faults.");
    }

    [Fact]
    public void WithoutAFaultTheSameRunPasses()
    {
        foreach (var table in Tables.All)
        {
            var options = new RunOptions { AfterStep = HardwareCheck.For(table) };
            var property = Prop.ForAll(Generators.Sequences(table, PageSize.Size2M, null), seq => { Equivalence.Run(seq.Table, seq.Ops, options); });
            Check.One($"{table} control", Config.QuickThrowOnFailure.WithMaxTest(100).WithEndSize(30).WithReplay(20261125, 555555555), property);
        }
    }
}
