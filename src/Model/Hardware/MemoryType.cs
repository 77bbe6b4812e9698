namespace PageTableModel.Hardware;

/// <summary>The memory type the hardware assigns to a translated access.</summary>
public enum MemoryType
{
    /// <summary>Strongly ordered, uncached memory for device registers (x86 UC, Arm Device, LoongArch SUC).</summary>
    Device,

    /// <summary>Ordinary write-back cacheable memory (x86 WB, Arm Normal WB, LoongArch CC).</summary>
    NormalCacheable,

    /// <summary>Memory that is not cached but is not a device either (x86 UC-, Arm Normal Non-cacheable, LoongArch WUC).</summary>
    NormalUncached,

    /// <summary>The page table does not choose: the platform decides (RISC-V without Svpbmt, where PMAs decide).</summary>
    PlatformDefined,

    /// <summary>
    /// A type none of the library's flags asks for: x86 WT, WC or WP; Arm Normal memory that is Write-Through, or whose
    /// inner and outer policies differ. <see cref="Translation.MemoryName"/> says which.
    /// </summary>
    Other,
}
