using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// <see cref="Sv39Walker"/>: va 0x0000_0000_8060_4abc has VPN[2] (bits 38:30) 2, VPN[1] (29:21) 3, VPN[0] (20:12)
/// 4; 1 GiB leaves at level 0, 2 MiB at level 1, 4 KiB at level 2.
/// </summary>
public sealed class Sv39WalkerTests : RiscVWalkerTests
{
    protected override IHardwareWalker Walker { get; } = new Sv39Walker();

    protected override ulong Va => 0x0000_0000_8060_4abc;

    protected override int[] Indexes => [2, 3, 4];

    [Theory]
    [InlineData(0x0000_0040_0000_0000UL)] // bit 38 set, bits 63:39 clear
    [InlineData(0x0000_0080_8060_4abcUL)] // bit 39 set: a valid Sv48 address, not an Sv39 one
    [InlineData(0xffff_ffbf_ffff_f000UL)] // bits 63:39 set, bit 38 clear
    [InlineData(0x8000_0000_8060_4abcUL)]
    public void Address_not_sign_extended_from_bit_38_faults(ulong va) =>
        Expect.FaultsAlways(Walker, WithLeaf(Leaf4K, 0x003f_b72e_a61d_94cf), Root, va, 0, "sign-extended from bit 38");

    [Fact]
    public void High_half()
    {
        // 0xffff_ffc0_8060_4abc: VPN[2] = bits 38:30 = 0b1_0000_0010 = 258, then 3 and 4.
        var memory = WithLeaf(Leaf4K, 0x003f_b72e_a61d_94cf).Entry(0x1000, 258, Pointers[0]); // V|R|W|X|A|D
        memory.Entry(0x1000, 2, 0);
        Expect.Permissions(Walker, memory, Root, 0xffff_ffc0_8060_4abc, "rwx", "---", Expected(0x1000), Leaf4K);
        Expect.FaultsAlways(Walker, memory, Root, Va, 0, "V=0");
    }
}
