namespace PageTableModel.Hardware;

/// <summary>The physical memory a walker reads page-table entries from.</summary>
public interface IPhysicalMemory
{
    /// <summary>Reads the little-endian 64-bit word at <paramref name="paddr"/>.</summary>
    /// <param name="paddr">A physical address, 8-byte aligned when the walker calls it.</param>
    /// <param name="value">The word read; 0 when the method returns <see langword="false"/>.</param>
    /// <returns>
    /// <see langword="false"/> if no memory answers at <paramref name="paddr"/>: the walk then stops with a fault,
    /// as a bus error (x86 machine check, Arm synchronous external abort on a walk, RISC-V access fault) would.
    /// </returns>
    bool TryRead64(ulong paddr, out ulong value);
}
