using PageTableModel.Hardware;
using Xunit;
using HardwareWalkers = PageTableModel.Hardware.Walkers;

namespace PageTableMultiarch.Properties.Walkers;

// Inside this namespace the name Walkers means the namespace, hence the alias for the static class.

public sealed class WalkersTests
{
    [Theory]
    [InlineData("X64", typeof(X64Walker), 4)]
    [InlineData("A64", typeof(A64Walker), 4)]
    [InlineData("Sv39", typeof(Sv39Walker), 3)]
    [InlineData("Sv48", typeof(Sv48Walker), 4)]
    [InlineData("La64", typeof(La64Walker), 4)]
    public void For_finds_each_table_format(string name, Type type, int levels)
    {
        IHardwareWalker walker = HardwareWalkers.For(name);
        Assert.IsType(type, walker);
        Assert.Equal(name, walker.Name);
        Assert.Equal(levels, walker.Levels);
    }

    [Theory]
    [InlineData("x64")]
    [InlineData("Sv57")]
    [InlineData("")]
    public void For_rejects_unknown_names(string name) =>
        Assert.Throws<ArgumentException>(() => HardwareWalkers.For(name));

    [Fact]
    public void Default_AArch64_walker_uses_the_library_address_rule() =>
        Assert.False(((A64Walker)HardwareWalkers.For("A64")).HardwareAddressRanges);

    [Fact]
    public void Results_print_hex()
    {
        Assert.Equal("pa 0x12345abc, 2M page, Device", WalkResult.Translated(0x1234_5abc, 0x20_0000, MemoryType.Device).ToString());
        Assert.Equal("fault at level 2: not present (P=0)", WalkResult.Faulted(2, "not present (P=0)").ToString());
        Assert.True(WalkResult.Faulted(0, "x").IsFault);
        Assert.False(WalkResult.Translated(0, 0x1000, MemoryType.PlatformDefined).IsFault);
    }

    [Fact]
    public void Invalid_arguments_throw()
    {
        foreach (IHardwareWalker walker in HardwareWalkers.All)
        {
            Assert.Throws<ArgumentNullException>(() => walker.Translate(null!, 0x1000, 0, Access.Read, Privilege.User));
            Assert.Throws<ArgumentOutOfRangeException>(() => walker.Translate(new FrameMemory(), 0x1000, 0, (Access)3, Privilege.User));
            Assert.Throws<ArgumentOutOfRangeException>(() => walker.Translate(new FrameMemory(), 0x1000, 0, Access.Read, (Privilege)2));
        }
    }
}
