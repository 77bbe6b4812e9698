using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// AArch64 VMSAv8-64 stage 1 translation with the 4 KiB granule and 48-bit input addresses (Arm ARM,
/// DDI 0487, chapter D8 "The AArch64 Virtual Memory System Architecture"; older revisions number it D4/D5):
/// lookup levels 0 to 3, 48-bit virtual and 48-bit physical addresses (no FEAT_LPA/LPA2).
/// </summary>
/// <remarks>
/// <para>The system registers a kernel must program to match <see cref="A64Pte"/>: MAIR_EL1 =
/// <see cref="MairEl1"/>; TCR_EL1 with T0SZ = T1SZ = 16, TG0/TG1 = 4 KiB, and TBI off (top-byte-ignore would
/// make the non-canonical addresses this type rejects translate).</para>
/// <para>Valid addresses are the sign extension of bit 47: the low half goes through TTBR0_EL1, the high half
/// through TTBR1_EL1. <b>(departure)</b> The seed also accepted every address with the top 16 bits
/// all ones; this port uses the sign-extension rule, as docs/semantics.md explains.</para>
/// </remarks>
public readonly struct A64PagingMetaData : IPagingMetaData
{
    /// <summary>
    /// The MAIR_EL1 value the AttrIndx field of <see cref="A64Pte"/> assumes (Arm ARM, the MAIR_EL1 register description):
    /// Attr0 = 0x04 Device-nGnRE (<see cref="MappingFlags.Device"/>), Attr1 = 0xFF Normal Inner/Outer
    /// Write-Back non-transient Read/Write-Allocate (the default), Attr2 = 0x44 Normal Inner/Outer
    /// Non-cacheable (<see cref="MappingFlags.Uncached"/>); Attr3..Attr7 unused (0).
    /// </summary>
    public const ulong MairEl1 = 0x0000_0000_0044_ff04;

    /// <summary>Four lookup levels (0 to 3) for a 48-bit input address with the 4 KiB granule.</summary>
    public static int Levels
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    /// <summary>48: output-address bits 47:12 in the descriptors (D8.3).</summary>
    public static int PaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 48;
    }

    /// <summary>48: input-address bits 47:0 are translated (TnSZ = 16).</summary>
    public static int VaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 48;
    }

    /// <summary>Whether bits 63:47 of <paramref name="vaddr"/> are all equal (sign extension at 48; see the remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool VaddrIsValid(ulong vaddr) => Canonical.IsCanonical(vaddr, 48);

    /// <summary>
    /// Does nothing: a host build has no TLB. A kernel port issues <c>tlbi vaae1is, (vaddr &gt;&gt; 12)</c> for one
    /// page or <c>tlbi vmalle1is</c> for all, followed by <c>dsb ish; isb</c> (Arm ARM, "TLB maintenance instructions").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushTlb(VirtAddr? vaddr)
    {
    }

    /// <summary>
    /// True: a live table changes a valid descriptor into one with another output address, block size, table/block or
    /// memory type only through an invalid descriptor and a TLB invalidation (Arm ARM, D8.16.1 "Using break-before-make
    /// when updating translation table entries"); otherwise the TLB may hold both, with undefined results.
    /// </summary>
    public static bool BreakBeforeMake
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => true;
    }
}
