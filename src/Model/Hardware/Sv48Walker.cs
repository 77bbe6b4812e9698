namespace PageTableModel.Hardware;

/// <summary>
/// The RISC-V MMU in Sv48 mode (Privileged Architecture, "Supervisor-Level ISA", Sv48 and "Virtual Address
/// Translation Process"): 4 levels, 512 GiB leaves at level 0, 1 GiB at level 1, 2 MiB at level 2, 4 KiB at
/// level 3.
/// </summary>
/// <remarks>
/// <para>Same assumptions and checks as <see cref="Sv39Walker"/>, with satp.MODE = Sv48 and bits 63:48 of the
/// address required to equal bit 47. A leaf in the root table is a legal 512 GiB "terapage" in hardware and is
/// translated as such, although the library never writes one.</para>
/// </remarks>
public sealed class Sv48Walker : IHardwareWalker
{
    private readonly RiscVWalk rules = new("Sv48", 4);

    /// <inheritdoc/>
    public string Name => "Sv48";

    /// <inheritdoc/>
    public int Levels => 4;

    /// <inheritdoc/>
    public WalkResult Translate(IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege) =>
        WalkEngine.Translate(rules, memory, root, va, access, privilege);

    /// <summary>The step rules of the walk, for the simulated TLB.</summary>
    internal IWalkRules Rules => rules;
}
