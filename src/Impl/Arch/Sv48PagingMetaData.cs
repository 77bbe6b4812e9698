using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// RISC-V Sv48 (RISC-V Privileged Architecture, Supervisor-Level ISA, "Sv48: Page-Based 48-bit Virtual-Memory
/// System"): 4 levels, 48-bit virtual and 56-bit physical addresses, entries in <see cref="RiscVPte"/> format.
/// </summary>
public readonly struct Sv48PagingMetaData : IPagingMetaData
{
    /// <summary>The satp.MODE value that selects Sv48 (Supervisor-Level ISA, "satp" register).</summary>
    public const ulong SatpMode = 9;

    /// <summary>Four levels (VPN[3] to VPN[0]).</summary>
    public static int Levels
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    /// <summary>56: a 44-bit PPN above a 12-bit page offset.</summary>
    public static int PaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 56;
    }

    /// <summary>48: virtual-address bits 47:0 are translated.</summary>
    public static int VaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 48;
    }

    /// <summary>Whether bits 63:48 of <paramref name="vaddr"/> equal bit 47, as Sv48 requires (else a page fault).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool VaddrIsValid(ulong vaddr) => Canonical.IsCanonical(vaddr, 48);

    /// <summary>
    /// Does nothing: a host build has no TLB. A kernel port issues <c>sfence.vma vaddr, zero</c> for one page
    /// or <c>sfence.vma zero, zero</c> for all (Supervisor-Level ISA, "Supervisor Memory-Management Fence Instruction").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushTlb(VirtAddr? vaddr)
    {
    }
}
