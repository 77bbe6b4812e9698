using System.Runtime.CompilerServices;

namespace PageTableMultiarch.Properties;

/// <summary>Reads a table's memory the way an MMU walks it, for tests that change entries behind the table's back.</summary>
internal static class TableMemory
{
    /// <summary>
    /// The physical address of the entry for <paramref name="va"/> at <paramref name="level"/> of a table with
    /// <paramref name="levels"/> levels of 512 entries, following the table pointers above it from <paramref name="root"/>.
    /// </summary>
    public static PhysAddr EntryAddress<TPte>(FrameArena arena, PhysAddr root, ulong va, int levels, int level)
        where TPte : unmanaged, IGenericPte<TPte>
    {
        PhysAddr table = root;
        for (int l = 0; ; l++)
        {
            PhysAddr slot = table + ((va >> (12 + 9 * (levels - 1 - l))) & 511) * 8;
            if (l == level) return slot;
            table = Unsafe.BitCast<ulong, TPte>(arena.ReadUInt64(slot)).Paddr;
        }
    }
}
