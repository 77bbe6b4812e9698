namespace PageTableModel.Hardware;

/// <summary>The privilege of the software making the access.</summary>
/// <remarks>
/// x86_64: CPL 0 / CPL 3. AArch64: EL1 / EL0. RISC-V: S-mode / U-mode. LoongArch64: PLV0 / PLV3.
/// </remarks>
public enum Privilege
{
    /// <summary>The operating system kernel (CPL 0, EL1, S-mode, PLV0).</summary>
    Supervisor,

    /// <summary>An application (CPL 3, EL0, U-mode, PLV3).</summary>
    User,
}
