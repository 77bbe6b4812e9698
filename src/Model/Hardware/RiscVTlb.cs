namespace PageTableModel.Hardware;

/// <summary>
/// The address-translation caches of one RISC-V hart in Sv39 or Sv48 (RISC-V Privileged Architecture,
/// Supervisor-Level ISA, "Supervisor Memory-Management Fence Instruction" (SFENCE.VMA) and "Virtual Address
/// Translation Process").
/// </summary>
/// <remarks>
/// <para><b>Cached.</b> The specification lets an implementation cache any PTE a walk read, leaf or non-leaf: an
/// access may use any translation valid since the last SFENCE.VMA that subsumes its address. This model caches every
/// valid non-leaf PTE met on a walk and the leaf when some access translates through it. It does not cache PTEs
/// with V=0, which the specification also permits ("the caching of PTEs whose V bit is clear"): that would make
/// every map of a fresh page need a fence, which kernels handle on the page fault instead. A PTE is global when it
/// or a non-leaf PTE above it has G=1; other entries are tagged with the current ASID. A miss starts below the
/// deepest cached non-leaf PTE for the address.</para>
/// <para><b>Invalidations</b> (<see cref="SfenceVma"/>): rs1=x0, rs2=x0 removes everything; rs1=x0, rs2=asid every
/// non-global entry of that ASID, leaf or not; rs1=va removes only entries that hold <i>leaf</i> PTEs for that
/// address (of every ASID with rs2=x0; of one ASID, globals excepted, otherwise): cached non-leaf PTEs stay, which is
/// why the specification asks for rs1=x0 after a non-leaf PTE changes. An rs1 that is not a valid virtual address
/// makes the instruction a no-op.</para>
/// <para><b>The library's flush</b>: <c>FlushTlb(va)</c> is <c>sfence.vma va, zero</c>, <c>FlushTlb(null)</c>
/// <c>sfence.vma zero, zero</c>.</para>
/// </remarks>
public sealed class RiscVTlb : SimulatedTlb
{
    /// <summary>A TLB for <paramref name="walker"/>'s mode, over the tables in <paramref name="memory"/> at <paramref name="root"/>.</summary>
    /// <param name="walker">A <see cref="Sv39Walker"/> or a <see cref="Sv48Walker"/>.</param>
    /// <param name="memory">The physical memory the hardware walks.</param>
    /// <param name="root">The root table's physical address (satp.PPN × 4096): 4 KiB aligned, below 2^56.</param>
    /// <exception cref="ArgumentNullException"><paramref name="walker"/> or <paramref name="memory"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="walker"/> is not a Sv39 or Sv48 walker.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is unaligned or too high.</exception>
    public RiscVTlb(IHardwareWalker walker, IPhysicalMemory memory, ulong root)
        : base(CheckWalker(walker), memory, root)
    {
    }

    /// <summary>The current satp.ASID (16 bits for Sv39/Sv48): new entries are tagged with it. Changing it invalidates nothing.</summary>
    public ushort Asid { get; set; }

    /// <inheritdoc/>
    private protected override ushort CurrentAsid => Asid;

    /// <summary>SFENCE.VMA rs1, rs2.</summary>
    /// <param name="va">rs1: a virtual address, or <see langword="null"/> for x0 (every address, every level).</param>
    /// <param name="asid">
    /// rs2: an ASID (bits above 15 are ignored, as the specification asks of implementations), or
    /// <see langword="null"/> for x0 (every address space, global entries included).
    /// </param>
    /// <returns>How many entries were removed.</returns>
    public int SfenceVma(ulong? va, ulong? asid)
    {
        ushort? space = asid is { } value ? (ushort)value : null;
        bool SpaceMatches(TlbEntry e) => space is not { } s || (!e.Global && e.Asid == s);
        if (va is not { } address)
        {
            return Remove(SpaceMatches);
        }

        if (Rules.CheckAddress(address) is not null)
        {
            return 0;
        }

        return Remove(e => e.Kind == TlbEntryKind.Leaf && e.MatchedBy(address) && SpaceMatches(e));
    }

    /// <inheritdoc/>
    /// <remarks>SFENCE.VMA va, x0 for a page (leaf entries only); SFENCE.VMA x0, x0 for the whole TLB.</remarks>
    public override void ApplyFlush(ulong? va) => SfenceVma(va, null);

    /// <inheritdoc/>
    public override string FlushInstruction(ulong? va) =>
        va is { } address ? $"sfence.vma 0x{address:x}, zero" : "sfence.vma zero, zero";

    private static IHardwareWalker CheckWalker(IHardwareWalker walker)
    {
        ArgumentNullException.ThrowIfNull(walker);
        return walker is Sv39Walker or Sv48Walker
            ? walker
            : throw new ArgumentException($"{walker.Name} is not a RISC-V walker.", nameof(walker));
    }
}
