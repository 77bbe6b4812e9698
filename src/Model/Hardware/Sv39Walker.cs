namespace PageTableModel.Hardware;

/// <summary>
/// The RISC-V MMU in Sv39 mode (Privileged Architecture, "Supervisor-Level ISA", Sv39 and "Virtual Address
/// Translation Process"): 3 levels, 1 GiB leaves at level 0, 2 MiB at level 1, 4 KiB at level 2.
/// </summary>
/// <remarks>
/// <para>Assumed configuration: satp.MODE = Sv39 with satp.PPN = <c>root</c> / 4096; sstatus.SUM=0 (S-mode may not
/// touch U=1 pages) and MXR=0 (X does not grant reads); U-mode may only use U=1 pages; no Svadu (A=0, or D=0 on a
/// store, is a page fault), no Svpbmt and no Svnapot (bits 63:54 must be 0); PMP and PMAs allow every access.
/// The memory type is <see cref="MemoryType.PlatformDefined"/>: without Svpbmt the PMAs decide it.</para>
/// <para>Checks: bits 63:39 of the address equal bit 38; V=0; W=1 with R=0 (reserved); bits 63:54 set;
/// D, A or U set in a non-leaf PTE (the spec reserves them; the walker treats them as a page fault); a non-leaf
/// PTE at the last level; the leaf's R/W/X/U permissions; a misaligned superpage; A=0; D=0 on a store.</para>
/// </remarks>
public sealed class Sv39Walker : IHardwareWalker
{
    private readonly RiscVWalk rules = new("Sv39", 3);

    /// <inheritdoc/>
    public string Name => "Sv39";

    /// <inheritdoc/>
    public int Levels => 3;

    /// <inheritdoc/>
    public WalkResult Translate(IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege) =>
        WalkEngine.Translate(rules, memory, root, va, access, privilege);

    /// <summary>The step rules of the walk, for the simulated TLB.</summary>
    internal IWalkRules Rules => rules;
}
