using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// <see cref="Sv48Walker"/>: va 0x0000_0080_8060_4abc has VPN[3] (bits 47:39) 1, VPN[2] 2, VPN[1] 3, VPN[0] 4;
/// 512 GiB leaves at level 0, 1 GiB at level 1, 2 MiB at level 2, 4 KiB at level 3.
/// </summary>
public sealed class Sv48WalkerTests : RiscVWalkerTests
{
    protected override IHardwareWalker Walker { get; } = new Sv48Walker();

    protected override ulong Va => 0x0000_0080_8060_4abc;

    protected override int[] Indexes => [1, 2, 3, 4];

    [Theory]
    [InlineData(0x0000_8000_0000_0000UL)] // bit 47 set, bits 63:48 clear
    [InlineData(0xffff_7fff_ffff_f000UL)] // bits 63:48 set, bit 47 clear
    [InlineData(0x0001_0080_8060_4abcUL)]
    public void Address_not_sign_extended_from_bit_47_faults(ulong va) =>
        Expect.FaultsAlways(Walker, WithLeaf(Leaf4K, 0x003f_b72e_a61d_94cf), Root, va, 0, "sign-extended from bit 47");

    [Fact]
    public void High_half()
    {
        // 0xffff_ff80_8060_4abc: VPN[3] = 511, then 2, 3, 4.
        var memory = WithLeaf(Leaf4K, 0x003f_b72e_a61d_94df).Entry(0x1000, 511, Pointers[0]); // V|R|W|X|U|A|D
        memory.Entry(0x1000, 1, 0);
        Expect.Permissions(Walker, memory, Root, 0xffff_ff80_8060_4abc, "---", "rwx", Expected(0x1000), Leaf4K);
        Expect.FaultsAlways(Walker, memory, Root, Va, 0, "V=0");
    }

    [Fact]
    public void Root_leaf_is_a_512G_terapage() =>
        Expect.Permissions(
            Walker,
            WithLeaf(0, 0x003f_a000_0000_00cf), // V|R|W|X|A|D, PPN 0xfe_8000_0000 (PA 0x00fe_8000_0000_0000)
            Root, Va, "rwx", "---",
            new Translation(0x00fe_8000_8060_4abc, 0x80_0000_0000, MemoryType.PlatformDefined), // + bits 38:0 of Va
            0);

    [Fact]
    public void Misaligned_terapage_faults() =>
        MisalignedFaults(0, 0x003f_a000_1000_00cf); // V|R|W|X|A|D, PA 0x00fe_8000_4000_0000: bit 30 set
}
