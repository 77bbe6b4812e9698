namespace PageTableModel;

/// <summary>
/// One leaf of the model: <see cref="Size"/> bytes at virtual <see cref="Va"/> map to physical
/// <see cref="Pa"/>; both are aligned to <see cref="Size"/>.
/// </summary>
/// <param name="Va">The first virtual byte.</param>
/// <param name="Pa">The first physical byte.</param>
/// <param name="Size">The page size: 4K, 2M or 1G.</param>
/// <param name="Flags">The effective flags (what the hardware format can express), not the flags as given.</param>
public readonly record struct ModelMapping(ulong Va, ulong Pa, ulong Size, ModelFlags Flags)
{
    /// <summary>Prints the mapping with addresses and size in hex.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        $"ModelMapping {{ Va = {ModelText.Hex(Va)}, Pa = {ModelText.Hex(Pa)}, Size = {ModelText.Hex(Size)}, Flags = {ModelText.Flags(Flags)} }}";
}
