namespace PageTableModel.Hardware;

/// <summary>The simulated TLBs by the short names the library gives its table formats (as <see cref="Walkers.For"/>).</summary>
public static class Tlbs
{
    /// <summary>The short names, in the order of <see cref="Walkers.All"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["X64", "A64", "Sv39", "Sv48", "La64"];

    /// <summary>An empty TLB for the tables of one format.</summary>
    /// <param name="tableName"><c>X64</c>, <c>A64</c>, <c>Sv39</c>, <c>Sv48</c> or <c>La64</c> (exact case).</param>
    /// <param name="memory">The physical memory the hardware walks.</param>
    /// <param name="root">The root table's physical address.</param>
    /// <returns>
    /// A <see cref="X64Tlb"/>, <see cref="A64Tlb"/>, <see cref="RiscVTlb"/> or <see cref="La64Tlb"/>.
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="tableName"/> names no table format.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="memory"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is unaligned or too high for the format.</exception>
    public static SimulatedTlb For(string tableName, IPhysicalMemory memory, ulong root) => tableName switch
    {
        "X64" => new X64Tlb(memory, root),
        "A64" => new A64Tlb(memory, root),
        "Sv39" => new RiscVTlb(new Sv39Walker(), memory, root),
        "Sv48" => new RiscVTlb(new Sv48Walker(), memory, root),
        "La64" => new La64Tlb(memory, root),
        _ => throw new ArgumentException($"No TLB for table format '{tableName}'.", nameof(tableName)),
    };
}
