using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// x86-64 4-level paging (Intel SDM Vol. 3A §4.5): PML4, PDPT, PD and PT, 48-bit canonical virtual
/// addresses and physical addresses of up to 52 bits (the architectural MAXPHYADDR limit).
/// </summary>
/// <remarks>
/// 5-level paging (LA57) is not modelled. The entries of <see cref="X64Pte"/> assume IA32_EFER.NXE = 1
/// (otherwise bit 63 is reserved and every non-executable mapping faults) and the power-on value of the
/// IA32_PAT MSR (see <see cref="X64Pte"/>).
/// </remarks>
public readonly struct X64PagingMetaData : IPagingMetaData
{
    /// <summary>Four levels: PML4 (root), PDPT, PD, PT.</summary>
    public static int Levels
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    /// <summary>52: entries hold physical-address bits 51:12 (SDM Vol. 3A §4.5; MAXPHYADDR is at most 52).</summary>
    public static int PaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 52;
    }

    /// <summary>48: linear-address bits 47:0 are translated (SDM Vol. 3A §4.5).</summary>
    public static int VaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 48;
    }

    /// <summary>
    /// Whether <paramref name="vaddr"/> is canonical: bits 63:47 all equal (SDM Vol. 1 §3.3.7.1).
    /// A non-canonical access raises #GP before paging is consulted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool VaddrIsValid(ulong vaddr) => Canonical.IsCanonical(vaddr, 48);

    /// <summary>
    /// Does nothing: a host build has no TLB. A kernel port issues <c>invlpg [vaddr]</c> for one page and
    /// reloads CR3 (or uses <c>invpcid</c>) to flush everything (SDM Vol. 3A §4.10.4.1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushTlb(VirtAddr? vaddr)
    {
    }
}
