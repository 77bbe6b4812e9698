namespace PageTableModel.Hardware;

/// <summary>
/// An independent reader of raw page-table memory that does what one architecture's MMU does for a single access.
/// </summary>
/// <remarks>
/// Walkers share no code or constants with the library they check: every bit position is taken from the
/// architecture manual cited in the implementing class. A walker only reads memory; it never sets accessed or
/// dirty bits, and reports a fault wherever the configured hardware would trap instead of updating them.
/// </remarks>
public interface IHardwareWalker
{
    /// <summary>The table format's short name: <c>X64</c>, <c>A64</c>, <c>Sv39</c>, <c>Sv48</c> or <c>La64</c>.</summary>
    string Name { get; }

    /// <summary>How many levels the walk has; level 0 is the root table.</summary>
    int Levels { get; }

    /// <summary>Translates <paramref name="va"/> for one access, as the MMU would.</summary>
    /// <param name="memory">The physical memory holding the tables.</param>
    /// <param name="root">
    /// The physical address of the root table (what CR3, TTBR0/TTBR1, satp.PPN × 4096 or PGDL/PGDH hold);
    /// 4 KiB aligned and inside the architecture's physical address width.
    /// </param>
    /// <param name="va">The virtual address of the accessed byte; need not be aligned.</param>
    /// <param name="access">Load, store or instruction fetch.</param>
    /// <param name="privilege">The privilege of the access.</param>
    /// <returns>The translation of <paramref name="va"/>, or the fault the hardware would raise.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="root"/> is not 4 KiB aligned or lies outside the physical address width (a caller bug, not a
    /// page fault), or <paramref name="access"/> / <paramref name="privilege"/> is not a defined value.
    /// </exception>
    WalkResult Translate(IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege);
}
