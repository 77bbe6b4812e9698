using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// The reference for region operations: the original crate's algorithm, written here as directly as it goes. For every
/// page one walk from the root (no cursor), creating the missing tables on the way (a frame from the arena, zeroed with
/// <c>memset</c> as the original's <c>write_bytes</c> does), then one entry written: <c>NewPage</c>'s bits with the frame
/// set (the flags encoded once per call, as an optimizing compiler hoists them out of the original's loop), or cleared,
/// or given new flags with <c>SetFlags</c>. Only the checks that algorithm makes: an entry in the way throws, which the
/// benchmarks never meet. It works on a table's own root in its own arena, so it builds exactly the table the
/// <c>Cursor</c> variant builds and the table's <c>Dispose</c> frees it. Physical addresses become host addresses as
/// in the original's linear map: the arena's base pointer plus the offset (the arena is one block), with no check.
/// </summary>
public static unsafe class PerPageWalk<TMeta, TPte>
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private const ulong Size2M = 0x20_0000, Size1G = 0x4000_0000;

    private static int LeafLevel => TMeta.Levels - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint Index(ulong va, int level) => (nuint)((va >> (12 + 9 * (TMeta.Levels - 1 - level))) & 511);

    /// <summary>Maps <c>[va, va + size)</c> to the contiguous frames from <paramref name="pa"/>, page by page; with
    /// <paramref name="allowHuge"/>, 1G and 2M pages where both addresses and the size left allow (the original's rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MapRegion(FrameArena arena, PhysAddr root, ulong va, ulong pa, ulong size, MappingFlags flags, bool allowHuge)
    {
        var memory = new Memory(arena);
        // The flags' bits are the same for every page: encoded once, as an optimizing compiler hoists them out of the
        // original's loop; each entry is that template with its frame.
        TPte page = TPte.NewPage(default, flags, false), block = TPte.NewPage(default, flags, true);
        for (ulong done = 0; done < size;)
        {
            ulong cur = va + done, frame = pa + done, rest = size - done;
            int level = LeafLevel;
            ulong step = 0x1000;
            if (allowHuge && rest >= Size1G && ((cur | frame) & (Size1G - 1)) == 0) (level, step) = (LeafLevel - 2, Size1G);
            else if (allowHuge && rest >= Size2M && ((cur | frame) & (Size2M - 1)) == 0) (level, step) = (LeafLevel - 1, Size2M);
            TPte* target = Walk(memory, arena, root, cur, level, create: true);
            if (!target->IsUnused) throw new InvalidOperationException($"0x{cur:x} is already mapped.");
            TPte entry = level == LeafLevel ? page : block;
            entry.SetPaddr(new PhysAddr(frame));
            *target = entry;
            done += step;
        }
    }

    /// <summary>Clears the 4K leaf of every page of <c>[va, va + size)</c> (the original keeps the emptied tables).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UnmapRegion(FrameArena arena, PhysAddr root, ulong va, ulong size)
    {
        var memory = new Memory(arena);
        for (ulong done = 0; done < size; done += 0x1000)
        {
            TPte* leaf = Walk(memory, arena, root, va + done, LeafLevel, create: false);
            if (!leaf->IsPresent) throw new InvalidOperationException($"0x{va + done:x} is not mapped.");
            *leaf = TPte.Empty;
        }
    }

    /// <summary>Gives the 4K leaf of every page of <c>[va, va + size)</c> the flags <paramref name="flags"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ProtectRegion(FrameArena arena, PhysAddr root, ulong va, ulong size, MappingFlags flags)
    {
        var memory = new Memory(arena);
        for (ulong done = 0; done < size; done += 0x1000)
        {
            TPte* leaf = Walk(memory, arena, root, va + done, LeafLevel, create: false);
            if (!leaf->IsPresent) throw new InvalidOperationException($"0x{va + done:x} is not mapped.");
            leaf->SetFlags(flags, false);
        }
    }

    /// <summary>The entry for <paramref name="va"/> at <paramref name="level"/>, walking from the root; missing tables are
    /// created when <paramref name="create"/> is set, and throw otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TPte* Walk(Memory memory, FrameArena arena, PhysAddr root, ulong va, int level, bool create)
    {
        TPte* table = (TPte*)memory.Host(root);
        for (int l = 0; l < level; l++)
        {
            TPte* e = table + Index(va, l);
            if (e->IsUnused)
            {
                if (!create || !arena.TryAllocFrame(out PhysAddr frame)) throw new InvalidOperationException($"No table for 0x{va:x}.");
                byte* host = memory.Host(frame);
                NativeMemory.Clear(host, FrameArena.FrameSize);
                *e = TPte.NewTable(frame);
                table = (TPte*)host;
            }
            else
            {
                if (e->IsHuge) throw new InvalidOperationException($"0x{va:x} is inside a huge page.");
                table = (TPte*)memory.Host(e->Paddr);
            }
        }
        return table + Index(va, level);
    }

    /// <summary>The arena as the original's linear map sees memory: host = base + (physical - first frame).</summary>
    private readonly struct Memory(FrameArena arena)
    {
        private readonly byte* _host = arena.FramePointer(arena.BasePaddr);
        private readonly ulong _first = arena.BasePaddr.Value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public byte* Host(PhysAddr paddr) => _host + (paddr.Value - _first);
    }
}
