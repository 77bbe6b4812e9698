namespace PageTableModel.Hardware;

/// <summary>Why and where a walk stopped without a translation.</summary>
/// <param name="Level">
/// The level of the entry that caused the fault, 0 being the root table. A fault about the virtual address itself
/// (not canonical) is reported at level 0; a permission fault, which may combine the whole path, at the leaf's level.
/// </param>
/// <param name="Reason">A short human-readable explanation naming the architectural fault.</param>
/// <param name="InvalidEntry">
/// Whether the walk stopped because the entry at <paramref name="Level"/> is not valid for the MMU: x86 P=0, an Arm
/// invalid descriptor (bit 0 = 0), RISC-V V=0, LoongArch V=0 in the entry a refill loads. Other faults (reserved
/// bits, permissions, a missing table on LoongArch, a bus error) leave it false.
/// </param>
public readonly record struct WalkFault(int Level, string Reason, bool InvalidEntry = false)
{
    /// <summary>Prints the fault.</summary>
    /// <returns>For example <c>fault at level 2: not present (P=0)</c>.</returns>
    public override string ToString() => $"fault at level {Level}: {Reason}";
}
