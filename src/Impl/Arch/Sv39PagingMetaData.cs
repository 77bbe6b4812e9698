using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// RISC-V Sv39 (RISC-V Privileged Architecture, Supervisor-Level ISA, "Sv39: Page-Based 39-bit Virtual-Memory
/// System"): 3 levels, 39-bit virtual and 56-bit physical addresses, entries in <see cref="RiscVPte"/> format.
/// </summary>
public readonly struct Sv39PagingMetaData : IPagingMetaData
{
    /// <summary>The satp.MODE value that selects Sv39 (Supervisor-Level ISA, "satp" register).</summary>
    public const ulong SatpMode = 8;

    /// <summary>Three levels (VPN[2], VPN[1], VPN[0]).</summary>
    public static int Levels
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 3;
    }

    /// <summary>56: a 44-bit PPN above a 12-bit page offset.</summary>
    public static int PaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 56;
    }

    /// <summary>39: virtual-address bits 38:0 are translated.</summary>
    public static int VaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 39;
    }

    /// <summary>Whether bits 63:39 of <paramref name="vaddr"/> equal bit 38, as Sv39 requires (else a page fault).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool VaddrIsValid(ulong vaddr) => Canonical.IsCanonical(vaddr, 39);

    /// <summary>
    /// Does nothing: a host build has no TLB. A kernel port issues <c>sfence.vma vaddr, zero</c> for one page
    /// or <c>sfence.vma zero, zero</c> for all (Supervisor-Level ISA, "Supervisor Memory-Management Fence Instruction").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushTlb(VirtAddr? vaddr)
    {
    }
}
