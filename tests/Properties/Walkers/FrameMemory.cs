using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>
/// Physical memory for golden-vector tests: only the 4 KiB frames a test wrote to exist (reading anywhere else is
/// a bus error); inside them, words never written read as zero.
/// </summary>
internal sealed class FrameMemory : IPhysicalMemory
{
    private readonly Dictionary<ulong, ulong> words = [];
    private readonly HashSet<ulong> frames = [];

    /// <summary>Writes entry <paramref name="index"/> (0..511) of the table at <paramref name="table"/>.</summary>
    public FrameMemory Entry(ulong table, int index, ulong value)
    {
        Assert.True((table & 0xfff) == 0 && index is >= 0 and < 512, $"bad test table 0x{table:x}[{index}]");
        frames.Add(table);
        words[table + (ulong)index * 8] = value;
        return this;
    }

    public bool TryRead64(ulong paddr, out ulong value)
    {
        Assert.True((paddr & 7) == 0, $"walker read an unaligned word at 0x{paddr:x}");
        if (!frames.Contains(paddr & ~0xfffUL))
        {
            value = 0;
            return false;
        }

        words.TryGetValue(paddr, out value);
        return true;
    }
}
