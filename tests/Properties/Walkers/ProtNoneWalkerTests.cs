using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// Golden vectors for PROT_NONE leaves, hand-encoded as docs/encodings.md lays them out: every walker must stop at the
/// leaf with its "entry not valid" fault (<see cref="WalkFault.InvalidEntry"/>) for every access and privilege; the same
/// entries with the valid bit set, or a huge one without its size bit, are something else to the MMU (asserted too).
/// </summary>
/// <remarks>
/// x86_64, AArch64 and LoongArch64 walk va 0x0000_0080_8060_4abc: root index 1, then 2, 3, 4; Sv39 walks
/// 0x8060_4abc: root index 2, then 3, 4. Tables at 0x1000, 0x2000, 0x3000, 0x4000.
/// </remarks>
public sealed class ProtNoneWalkerTests
{
    private const ulong Va48 = 0x0000_0080_8060_4abc;
    private const ulong Va39 = 0x0000_0000_8060_4abc;

    private static void InvalidAt(IHardwareWalker walker, IPhysicalMemory memory, ulong va, int level)
    {
        foreach (Privilege privilege in new[] { Privilege.Supervisor, Privilege.User })
            foreach (Access access in new[] { Access.Read, Access.Write, Access.Execute })
            {
                WalkResult result = walker.Translate(memory, 0x1000, va, access, privilege);
                Assert.True(result.Fault is { InvalidEntry: true } fault && fault.Level == level,
                    $"{walker.Name} {privilege} {access}: expected an invalid entry at level {level}, got {result}");
            }
    }

    private static void NotInvalidAt(IHardwareWalker walker, IPhysicalMemory memory, ulong va, int level)
    {
        WalkResult result = walker.Translate(memory, 0x1000, va, Access.Read, Privilege.Supervisor);
        Assert.False(result.Fault is { InvalidEntry: true } fault && fault.Level == level, $"{walker.Name}: got {result}");
    }

    /// <summary>Tables down to <paramref name="leafLevel"/> of a 4-level walk with <paramref name="table"/> entries.</summary>
    private static FrameMemory FourLevels(int leafLevel, ulong leaf, Func<ulong, ulong> table)
    {
        var memory = new FrameMemory();
        for (int level = 0; level < leafLevel; level++)
            memory.Entry(0x1000 * (ulong)(level + 1), level + 1, table(0x1000 * (ulong)(level + 2)));
        return memory.Entry(0x1000 * (ulong)(leafLevel + 1), leafLevel + 1, leaf);
    }

    [Theory]
    // P = 0, marker bit 9, U/S (SDM Vol. 3A §4.5: with P = 0 bits 63:1 are ignored)
    [InlineData(3, 0x000f_edcb_a987_6204UL)]
    // and PS for a 2M / 1G leaf
    [InlineData(2, 0x000f_edcb_a980_0284UL)]
    [InlineData(1, 0x000f_edcb_8000_0280UL)]
    public void X64(int level, ulong leaf)
    {
        var walker = new X64Walker();
        InvalidAt(walker, FourLevels(level, leaf, t => t | 0x7), Va48, level);
        NotInvalidAt(walker, FourLevels(level, leaf | 1, t => t | 0x7), Va48, level); // P set: the page is readable
    }

    [Theory]
    // bit 0 = 0, marker bit 55, AP[1]; bit 1 = 1 for a page, 0 for a block (D8.3: invalid descriptor, bits 63:1 ignored)
    [InlineData(3, 0x0080_edcb_a987_6042UL)]
    [InlineData(2, 0x0080_edcb_a980_0040UL)]
    [InlineData(1, 0x0080_edcb_8000_0000UL)]
    public void A64(int level, ulong leaf)
    {
        var walker = new A64Walker();
        InvalidAt(walker, FourLevels(level, leaf, t => t | 0x3), Va48, level);
        NotInvalidAt(walker, FourLevels(level, leaf | 1, t => t | 0x3), Va48, level); // valid with AF = 0: an Access flag fault
    }

    [Theory]
    // V = 0, marker RSW bit 8, U; PPN at bit 10 (frames 0x8765_4000, 0x8760_0000, 0xc000_0000)
    [InlineData(2, 0x0000_0000_21d9_5110UL)]
    [InlineData(1, 0x0000_0000_21d8_0110UL)]
    [InlineData(0, 0x0000_0000_3000_0110UL)]
    public void Sv39(int level, ulong leaf)
    {
        var walker = new Sv39Walker();
        // Root index 2 -> 0x2000, index 3 -> 0x3000, index 4: the leaf. Pointers: V and the PPN.
        var memory = new FrameMemory().Entry(0x1000, 2, level == 0 ? leaf : 0x801);
        if (level >= 1) memory.Entry(0x2000, 3, level == 1 ? leaf : 0xc01);
        if (level == 2) memory.Entry(0x3000, 4, leaf);
        InvalidAt(walker, memory, Va39, level);

        // With V set, R = W = X = 0 makes it a pointer to the next level: a different fault, never "invalid" here.
        var valid = new FrameMemory().Entry(0x1000, 2, level == 0 ? leaf | 1 : 0x801);
        if (level >= 1) valid.Entry(0x2000, 3, level == 1 ? leaf | 1 : 0xc01);
        if (level == 2) valid.Entry(0x3000, 4, leaf | 1);
        NotInvalidAt(walker, valid, Va39, level);
    }

    [Theory]
    // V = 0, marker bit 9, PLV = 3; HUGE (bit 6) kept on a 2M / 1G leaf
    [InlineData(3, 0x0000_edcb_a987_620cUL)]
    [InlineData(2, 0x0000_edcb_a980_024cUL)]
    [InlineData(1, 0x0000_edcb_8000_024cUL)]
    public void La64(int level, ulong leaf)
    {
        var walker = new La64Walker();
        InvalidAt(walker, FourLevels(level, leaf, t => t | 1UL << 60), Va48, level);
        NotInvalidAt(walker, FourLevels(level, leaf | 1, t => t | 1UL << 60), Va48, level); // V set: readable
        if (level < 3)
        {
            // Without HUGE a directory-level entry names a table base (LDDIR); bits 11:0 set make it no table.
            NotInvalidAt(walker, FourLevels(level, leaf & ~0x40UL, t => t | 1UL << 60), Va48, level);
        }
    }
}
