namespace PageTableModel.Hardware;

/// <summary>The walkers by the short names the library gives its table formats.</summary>
public static class Walkers
{
    private static readonly IHardwareWalker[] AllWalkers =
    [
        new X64Walker(),
        new A64Walker(),
        new Sv39Walker(),
        new Sv48Walker(),
        new La64Walker(),
    ];

    /// <summary>Every walker, one per table format; the AArch64 one uses the library's address rule.</summary>
    public static IReadOnlyList<IHardwareWalker> All => AllWalkers;

    /// <summary>The walker for a table format.</summary>
    /// <param name="tableName"><c>X64</c>, <c>A64</c>, <c>Sv39</c>, <c>Sv48</c> or <c>La64</c> (exact case).</param>
    /// <returns>A stateless walker, shared between callers.</returns>
    /// <exception cref="ArgumentException"><paramref name="tableName"/> names no table format.</exception>
    public static IHardwareWalker For(string tableName)
    {
        foreach (IHardwareWalker walker in AllWalkers)
        {
            if (walker.Name == tableName)
            {
                return walker;
            }
        }

        throw new ArgumentException($"No walker for table format '{tableName}'.", nameof(tableName));
    }
}
