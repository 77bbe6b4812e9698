using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// LoongArch64 paging as walked by <c>lddir</c>/<c>ldpte</c> or the hardware page walker (LoongArch Reference
/// Manual Vol. 1 v1.10, §5.4 "Memory Management of Page Table Mapping", "Multi-level Page Table Structure
/// Supported by page walking"): 4 levels of 4 KiB tables, 48-bit virtual and 48-bit physical addresses.
/// </summary>
/// <remarks>
/// <para>The walk geometry is whatever CSR.PWCL and CSR.PWCH say; this type assumes <see cref="Pwcl"/> and
/// <see cref="Pwch"/> (Vol. 1 §7.5, "Page Walk Controller for Lower/Higher Half Address Space"):</para>
/// <list type="table">
/// <listheader><term>field</term><description>value</description></listheader>
/// <item><term>PWCL.PTbase (4:0)</term><description>12: the last-level table indexes VA bits 20:12</description></item>
/// <item><term>PWCL.PTwidth (9:5)</term><description>9</description></item>
/// <item><term>PWCL.Dir1_base (14:10)</term><description>21: Dir1 indexes VA bits 29:21</description></item>
/// <item><term>PWCL.Dir1_width (19:15)</term><description>9</description></item>
/// <item><term>PWCL.Dir2_base (24:20)</term><description>30: Dir2 indexes VA bits 38:30</description></item>
/// <item><term>PWCL.Dir2_width (29:25)</term><description>9</description></item>
/// <item><term>PWCL.PTEWidth (31:30)</term><description>0: 64-bit entries</description></item>
/// <item><term>PWCH.Dir3_base (5:0)</term><description>39: Dir3, the root, indexes VA bits 47:39</description></item>
/// <item><term>PWCH.Dir3_width (11:6)</term><description>9</description></item>
/// <item><term>PWCH.Dir4_base (17:12), Dir4_width (23:18)</term><description>0: no fifth level</description></item>
/// </list>
/// <para>The root's physical address goes in CSR.PGDL for the low half and CSR.PGDH for the high half; the
/// half is chosen by VA bit 47. Valid addresses are the sign extension of bit 47.</para>
/// </remarks>
public readonly struct La64PagingMetaData : IPagingMetaData
{
    /// <summary>
    /// CSR.PWCL for this layout: PTbase 12 | PTwidth 9 &lt;&lt; 5 | Dir1_base 21 &lt;&lt; 10 | Dir1_width 9 &lt;&lt; 15 |
    /// Dir2_base 30 &lt;&lt; 20 | Dir2_width 9 &lt;&lt; 25 | PTEWidth 0 &lt;&lt; 30.
    /// </summary>
    public const uint Pwcl = 12u | (9u << 5) | (21u << 10) | (9u << 15) | (30u << 20) | (9u << 25) | (0u << 30);

    /// <summary>CSR.PWCH for this layout: Dir3_base 39 | Dir3_width 9 &lt;&lt; 6, Dir4 absent.</summary>
    public const uint Pwch = 39u | (9u << 6) | (0u << 12) | (0u << 18);

    /// <summary>Four levels: Dir3 (root), Dir2, Dir1, PT.</summary>
    public static int Levels
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }

    /// <summary>48: PALEN of the Loongson 3A5000/3A6000; entries hold address bits 47:12.</summary>
    public static int PaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 48;
    }

    /// <summary>48: VALEN; Dir3 indexes VA bits 47:39.</summary>
    public static int VaMaxBits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 48;
    }

    /// <summary>Whether bits 63:47 of <paramref name="vaddr"/> are all equal (sign extension at 48).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool VaddrIsValid(ulong vaddr) => Canonical.IsCanonical(vaddr, 48);

    /// <summary>
    /// Does nothing: a host build has no TLB. A kernel port issues <c>dbar 0</c> and then
    /// <c>invtlb 0x5, $zero, vaddr</c> for one page (non-global entries of ASID 0 at that address) or
    /// <c>invtlb 0x0, $zero, $zero</c> for all (Vol. 1 §4.2.4, "TLB Maintenance Instructions", INVTLB).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushTlb(VirtAddr? vaddr)
    {
    }
}
