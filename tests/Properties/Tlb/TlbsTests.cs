using PageTableModel.Hardware;
using PageTableMultiarch.Properties.Walkers;
using Xunit;

namespace PageTableMultiarch.Properties.Tlb;

public sealed class TlbsTests
{
    [Theory]
    [InlineData("X64", typeof(X64Tlb))]
    [InlineData("A64", typeof(A64Tlb))]
    [InlineData("Sv39", typeof(RiscVTlb))]
    [InlineData("Sv48", typeof(RiscVTlb))]
    [InlineData("La64", typeof(La64Tlb))]
    public void For_builds_each_format_with_its_walker(string name, Type type)
    {
        SimulatedTlb tlb = Tlbs.For(name, new FrameMemory(), 0x1000);
        Assert.IsType(type, tlb);
        Assert.Equal(name, tlb.Name);
        Assert.Equal(name, tlb.Walker.Name);
        Assert.Equal(0x1000UL, tlb.Root);
        Assert.Empty(tlb.Entries);
        Assert.Contains(name, Tlbs.Names);
    }

    [Theory]
    [InlineData("x64")]
    [InlineData("Sv57")]
    [InlineData("")]
    public void For_rejects_unknown_names(string name) =>
        Assert.Throws<ArgumentException>(() => Tlbs.For(name, new FrameMemory(), 0x1000));

    [Fact]
    public void Bad_arguments_throw_the_documented_exceptions()
    {
        foreach (string name in Tlbs.Names)
        {
            Assert.Throws<ArgumentNullException>(() => Tlbs.For(name, null!, 0x1000));
            Assert.Throws<ArgumentOutOfRangeException>(() => Tlbs.For(name, new FrameMemory(), 0x1001));
            Assert.Throws<ArgumentOutOfRangeException>(() => Tlbs.For(name, new FrameMemory(), 1UL << 56));
            SimulatedTlb tlb = Tlbs.For(name, new FrameMemory(), 0x1000);
            Assert.Throws<ArgumentOutOfRangeException>(() => tlb.Translate(0, (Access)3, Privilege.User));
            Assert.Throws<ArgumentOutOfRangeException>(() => tlb.PossibleResults(0, Access.Read, (Privilege)2));
        }

        Assert.Throws<ArgumentException>(() => new RiscVTlb(new X64Walker(), new FrameMemory(), 0x1000));
        Assert.Throws<ArgumentNullException>(() => new RiscVTlb(null!, new FrameMemory(), 0x1000));
    }

    [Fact]
    public void A_non_canonical_address_caches_nothing_and_faults_at_level_0()
    {
        foreach (string name in Tlbs.Names)
        {
            SimulatedTlb tlb = Tlbs.For(name, new FrameMemory().Entry(0x1000, 0, 0), 0x1000);
            Assert.Empty(tlb.Fill(0x0000_8000_0000_0000));
            WalkResult result = Assert.Single(tlb.PossibleResults(0x0000_8000_0000_0000, Access.Read, Privilege.Supervisor));
            Assert.Equal(0, result.Fault?.Level);
            Assert.Equal(result, tlb.Translate(0x0000_8000_0000_0000, Access.Read, Privilege.Supervisor).Result);
        }
    }

    [Fact]
    public void Entries_print_their_kind_addresses_and_tag()
    {
        var memory = new FrameMemory().Entry(0x1000, 1, 0x2007).Entry(0x2000, 2, 0x3007).Entry(0x3000, 3, 0x4007)
            .Entry(0x4000, 4, 0x5_0003);
        var tlb = new X64Tlb(memory, 0x1000);
        IReadOnlyList<TlbEntry> added = tlb.Fill(0x0000_0080_8060_4000);
        Assert.Equal("table L2 va 0x8080600000+0x200000 -> table 0x4000 (0x4007 at 0x3018, asid 0)", added[2].ToString());
        Assert.Equal("leaf L3 va 0x8080604000+0x1000 -> pa 0x50000 (0x50003 at 0x4020, asid 0)", added[3].ToString());
        Assert.Equal(
            "pa 0x50123, 4K page, NormalCacheable (hit)",
            tlb.Translate(0x0000_0080_8060_4123, Access.Read, Privilege.Supervisor).ToString());
        memory.Entry(0x4000, 4, 0);
        Assert.StartsWith(
            "leaf L3 va 0x8080604000+0x1000 -> pa 0x50000 (0x50003 at 0x4020, asid 0); memory now: ",
            tlb.Disagreements().Single().ToString(), StringComparison.Ordinal);
        Assert.Equal("NextTable: " + added[2], tlb.ReferencesTo(0x4000)[0].ToString());
    }
}
