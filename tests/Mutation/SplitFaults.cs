using System.Runtime.CompilerServices;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Mutation;

// Hand-made faults in the split of huge pages (src/Impl/Table/PageTable64.Split.cs), each the table a faulty split
// would link:
//   stride   – piece i placed i huge pages after the first instead of i pieces (the shift of the wrong level);
//   half     – the upper half of the pieces (256..511) lose every flag but Read;
//   hugeBit  – 4K pieces encoded as huge leaves (x86_64: PS, which is PAT in a 4K entry; AArch64: a block descriptor,
//              reserved at level 3). RISC-V leaves carry no size bit, and in a LoongArch 4K entry the HUGE bit is G (a
//              global page, which no walk result shows), so this fault is made for x86_64 and AArch64 only.
// They are injected by a metadata type that sees every entry write (IPagingMetaData.OnEntryWrite): when a split links
// its new table in place of the huge page, it rewrites that table's pieces (and those of the 4K tables under it) as the
// faulty split would have written them, before any walk can reach them.

/// <summary>One way a split can build its pieces wrong.</summary>
public interface ISplitFault
{
    static abstract string Description { get; }

    /// <summary>The entry the faulty split leaves for piece <paramref name="index"/> of a table of pieces of
    /// <paramref name="pieceSize"/> bytes, given the entry a correct split wrote.</summary>
    static abstract TPte Piece<TPte>(TPte correct, int index, ulong pieceSize) where TPte : unmanaged, IGenericPte<TPte>;
}

/// <summary>No fault: the pieces stay as written (the control of the injection itself).</summary>
public struct NoSplitFault : ISplitFault
{
    public static string Description => "split: no fault";

    public static TPte Piece<TPte>(TPte correct, int index, ulong pieceSize) where TPte : unmanaged, IGenericPte<TPte> => correct;
}

public struct WrongStride : ISplitFault
{
    public static string Description => "split: piece i at i huge pages past the first, not i pieces";

    public static TPte Piece<TPte>(TPte correct, int index, ulong pieceSize) where TPte : unmanaged, IGenericPte<TPte>
    {
        ulong first = correct.Paddr.Value - (ulong)index * pieceSize;
        TPte piece = correct;
        piece.SetPaddr(new PhysAddr(first + (ulong)index * pieceSize * 512));
        return piece;
    }
}

public struct HalfFlagsLost : ISplitFault
{
    public static string Description => "split: pieces 256..511 keep only Read of the huge page's flags";

    public static TPte Piece<TPte>(TPte correct, int index, ulong pieceSize) where TPte : unmanaged, IGenericPte<TPte> =>
        index < 256 ? correct : TPte.NewPage(correct.Paddr, MappingFlags.Read, pieceSize != AddressSpace.K4);
}

public struct HugeBitKept : ISplitFault
{
    public static string Description => "split: 4K pieces written as huge leaves";

    public static TPte Piece<TPte>(TPte correct, int index, ulong pieceSize) where TPte : unmanaged, IGenericPte<TPte> =>
        pieceSize == AddressSpace.K4 ? TPte.NewPage(correct.Paddr, correct.Flags, true) : correct;
}

/// <summary>The arenas split-fault tables live in on this thread, so the metadata can read and write a linked table.</summary>
public static class SplitFaultArenas
{
    [ThreadStatic] private static List<FrameArena>? t_arenas;

    /// <summary>Registers <paramref name="arena"/> (arenas disposed since are dropped).</summary>
    public static void Add(FrameArena arena)
    {
        t_arenas ??= [];
        t_arenas.RemoveAll(a => a.IsDisposed);
        if (!t_arenas.Contains(arena)) t_arenas.Add(arena);
    }

    public static FrameArena Holding(PhysAddr frame) =>
        t_arenas?.FirstOrDefault(a => !a.IsDisposed && a.Contains(frame))
        ?? throw new InvalidOperationException($"No registered arena holds 0x{frame.Value:x}.");
}

/// <summary>
/// Metadata that behaves as <typeparamref name="TInner"/> and, whenever a split links its table (a huge leaf, valid or
/// PROT_NONE, replaced by a table pointer: in place, or through an invalid entry and a page flush), rewrites the pieces as
/// <typeparamref name="TFault"/> says.
/// </summary>
public readonly struct SplitFaultMeta<TInner, TPte, TFault> : IPagingMetaData
    where TInner : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
    where TFault : struct, ISplitFault
{
    private const ulong K4 = AddressSpace.K4, M2 = AddressSpace.M2;

    [ThreadStatic] private static nint t_broken; // a huge leaf just made invalid there (break-before-make), or 0

    public static int Levels => TInner.Levels;

    public static int PaMaxBits => TInner.PaMaxBits;

    public static int VaMaxBits => TInner.VaMaxBits;

    public static bool VaddrIsValid(ulong vaddr) => TInner.VaddrIsValid(vaddr);

    public static bool BreakBeforeMake => TInner.BreakBeforeMake;

    public static void FlushTlb(VirtAddr? vaddr)
    {
        if (vaddr is null) t_broken = 0; // CopyFrom clears, flushes everything, then writes: not a split
        TInner.FlushTlb(vaddr);
    }

    public static void OnEntryWrite(nint entryHostAddress, ulong oldBits, ulong newBits)
    {
        TInner.OnEntryWrite(entryHostAddress, oldBits, newBits);
        TPte old = FromBits(oldBits), now = FromBits(newBits);
        bool wasHuge = (old.IsPresent || old.IsProtNone) && old.IsHuge; // a PROT_NONE huge page splits too, linked in place
        bool pointer = newBits != 0 && newBits == TPte.NewTable(now.Paddr).Bits;
        bool link = pointer && (wasHuge || (oldBits == 0 && t_broken == entryHostAddress));
        t_broken = wasHuge && newBits == 0 ? entryHostAddress : 0;
        if (link) Corrupt(now.Paddr, null);
    }

    /// <summary>Rewrites the pieces of the split table at <paramref name="table"/> (and of the 4K tables under it).</summary>
    private static void Corrupt(PhysAddr table, ulong? pieceSize)
    {
        var arena = SplitFaultArenas.Holding(table);
        var entries = new TPte[512];
        for (int i = 0; i < 512; i++) entries[i] = FromBits(arena.ReadUInt64(table + (ulong)i * 8));
        ulong size = pieceSize ?? PieceSize(entries);
        for (int i = 0; i < 512; i++)
        {
            if (size == M2 && !entries[i].IsHuge) Corrupt(entries[i].Paddr, K4); // a 2M piece split again
            else arena.WriteUInt64(table + (ulong)i * 8, TFault.Piece(entries[i], i, size).Bits);
        }
    }

    /// <summary>
    /// The size of a split table's pieces, from its entries: two neighbouring huge leaves lie a piece apart (2M pieces of
    /// a 1G page; RISC-V calls every leaf huge), and a table of 4K pieces elsewhere has no huge leaf at all.
    /// </summary>
    private static ulong PieceSize(TPte[] entries)
    {
        for (int i = 0; i + 1 < 512; i++)
        {
            if (entries[i].IsHuge && entries[i + 1].IsHuge) return entries[i + 1].Paddr.Value - entries[i].Paddr.Value;
        }
        return K4;
    }

    private static TPte FromBits(ulong bits) => Unsafe.As<ulong, TPte>(ref bits);
}
