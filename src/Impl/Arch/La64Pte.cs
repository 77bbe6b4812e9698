using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// A LoongArch64 page-table entry in the format <c>lddir</c>/<c>ldpte</c> and the hardware walker read
/// (LoongArch Reference Manual Vol. 1 v1.10, §5.4, "Multi-level Page Table Structure Supported by page
/// walking"); the bits a leaf shares with CSR.TLBELO0/1 are laid out as in §7.5, "TLB Entry Low-order Bits".
/// </summary>
/// <remarks>
/// <para><b>Leaves</b> that grant access (<see cref="NewPage"/> with Read): V and P always. W and D for <see cref="MappingFlags.Write"/>: W is
/// the walker's "writable" bit, and D is the bit the TLB checks on a store (D = 0 raises a page modify
/// exception), so it is set whenever the page is writable and stores never fault. PLV = 3 for
/// <see cref="MappingFlags.User"/>, else 0; RPLV = 0, so a PLV-3 page stays accessible to the kernel. MAT =
/// SUC (0) for <see cref="MappingFlags.Device"/>, WUC (2) for <see cref="MappingFlags.Uncached"/> without
/// Device, CC (1) otherwise. NX unless <see cref="MappingFlags.Execute"/>; NR never, since every flag set
/// that grants access contains Read (the format could express Write or Execute without Read with NR = 1; this port
/// refuses those flags as <see cref="PagingError.InvalidFlags"/>). A 2M/1G leaf sets HUGE (bit 6). G (bit 6 of a 4 KiB leaf) and HGLOBAL (bit 12 of a huge
/// leaf) are never set: no mapping is global.</para>
/// <para><b>Directory entries</b> (<see cref="NewTable"/>): the next table's physical address and a software
/// marker in bit 60, nothing in bits 11:0. Walkers (§4.2.5 "Software Page Walking Instructions") form the
/// address of the next entry
/// by OR-ing the index into the directory entry's low bits (QEMU's <c>lddir</c> computes
/// <c>base | index &lt;&lt; 3</c>), so a V or P bit there would select the wrong entry; they keep only address bits
/// PALEN-1:12 of what they load (QEMU masks to PALEN bits; Linux stores kernel virtual addresses, with
/// bits 63 and 60 set, in its directory entries). Bit 60 is above PALEN and below NR, defined by no entry
/// format, and makes <see cref="IsPresent"/> true (and the entry non-zero) even for a table at physical
/// address 0. A directory entry's <see cref="Flags"/> are <see cref="MappingFlags.None"/> (V is clear).</para>
/// <para><b>PROT_NONE leaves</b> (flags without Read, Write and Execute): V = 0, so the TLB entry a refill loads from
/// it is invalid and every access raises a page invalid exception (PIL, PIS, PIF; §7.5 TLBELO). HUGE (bit 6) stays
/// set on a 2M/1G one: LDDIR takes a directory-level entry without HUGE for the base of a next table (§4.2.5.1, §5.4),
/// so a huge PROT_NONE leaf must keep it. The library keeps the frame in bits 47:12 and marks the entry with bit 9;
/// User goes to PLV (bits 3:2, = 3), Device to bit 10 and Uncached to bit 11, all as given. Bits 11:7 are not
/// interpreted by the TLB (TLBELO has no field there, §7.5; P and W at 8:7 are the walkers' software bits, §5.4),
/// so bits 11:9 are the software's. No other bit is set (P stays 0).</para>
/// <para><b>Effective flags</b> (docs/semantics.md): the flags given, with Uncached dropped when Device is set.
/// MAT = 3 (reserved, never written here) decodes as neither Device nor Uncached. A PROT_NONE leaf reports exactly its
/// flags.</para>
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public struct La64Pte : IGenericPte<La64Pte>
{
    /// <summary>V, bit 0: the translation is valid (§7.5 TLBELO; V = 0 raises a page invalid exception).</summary>
    private const ulong Valid = 1UL << 0;

    /// <summary>D, bit 1: dirty; a store to a page with D = 0 raises a page modify exception (§7.5 TLBELO, §5.4).</summary>
    private const ulong Dirty = 1UL << 1;

    /// <summary>PLV, bits 3:2, = 3: the page is accessible at privilege level 3, and with RPLV = 0 at every level (§7.5 TLBELO).</summary>
    private const ulong PrivilegeLevel3 = 0b11UL << 2;

    /// <summary>MAT, bits 5:4: memory access type (§5.3 "Memory Access Types", §7.5 TLBELO).</summary>
    private const ulong MatMask = 0b11UL << 4;

    /// <summary>MAT = 0: SUC, strongly-ordered uncached (§5.3).</summary>
    private const ulong MatStronglyOrderedUncached = 0UL << 4;

    /// <summary>MAT = 1: CC, coherent cached (§5.3).</summary>
    private const ulong MatCoherentCached = 1UL << 4;

    /// <summary>MAT = 2: WUC, weakly-ordered uncached (§5.3).</summary>
    private const ulong MatWeaklyOrderedUncached = 2UL << 4;

    /// <summary>
    /// Bit 6 of a directory-level entry: HUGE, the entry is a huge-page leaf (§5.4 page-walking entry
    /// formats). In a last-level entry this bit is G, which this port never sets.
    /// </summary>
    private const ulong Huge = 1UL << 6;

    /// <summary>P, bit 7: the physical page exists; read by the walkers, not stored in the TLB (§5.4).</summary>
    private const ulong PhysicalPresent = 1UL << 7;

    /// <summary>W, bit 8: the page is writable; read by the walkers, not stored in the TLB (§5.4).</summary>
    private const ulong Writable = 1UL << 8;

    /// <summary>
    /// Bit 9 of an entry with V = 0: marks a PROT_NONE leaf. TLBELO has no field in bits 11:7 (§7.5), so a refill
    /// does not interpret them; the page-walk entry format leaves them to software (§5.4, where P and W sit at 8:7).
    /// </summary>
    private const ulong ProtNoneMarker = 1UL << 9;

    /// <summary>Bit 10 of a PROT_NONE leaf (not interpreted by the TLB, §7.5): <see cref="MappingFlags.Device"/>.</summary>
    private const ulong ProtNoneDevice = 1UL << 10;

    /// <summary>Bit 11 of a PROT_NONE leaf (not interpreted by the TLB, §7.5): <see cref="MappingFlags.Uncached"/>.</summary>
    private const ulong ProtNoneUncached = 1UL << 11;

    /// <summary>NR, bit 61: loads not allowed (§7.5 TLBELO). Never set here; decoded as the absence of Read.</summary>
    private const ulong NoRead = 1UL << 61;

    /// <summary>NX, bit 62: instruction fetch not allowed (§7.5 TLBELO).</summary>
    private const ulong NoExecute = 1UL << 62;

    /// <summary>
    /// Bit 60: a software marker set in directory entries only (see the type's remarks). Bits 60:PALEN
    /// read as 0 in TLBELO (§7.5) and are no part of a directory entry's address.
    /// </summary>
    private const ulong DirectoryMarker = 1UL << 60;

    /// <summary>Physical-address bits 47:12 (PPN, bits PALEN-1:12 with PALEN = 48; §7.5 TLBELO).</summary>
    private const ulong AddressMask = 0x0000_ffff_ffff_f000;

    /// <summary>What every leaf carries: V and P.</summary>
    private const ulong LeafBits = Valid | PhysicalPresent;

    private ulong _bits;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private La64Pte(ulong bits) => _bits = bits;

    /// <summary>Wraps raw entry bits as read from a table (no check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static La64Pte FromBits(ulong bits) => new(bits);

    /// <summary>
    /// A leaf for <paramref name="paddr"/> (bits 47:12 kept) with <paramref name="flags"/>, which the caller has
    /// checked with <see cref="MappingFlagsExtensions.IsValidForMapping"/>; <paramref name="isHuge"/> sets HUGE.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static La64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) =>
        new((paddr.Value & AddressMask) | Encode(flags, isHuge));

    /// <summary>A directory entry: the next table's address and the bit-60 marker.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static La64Pte NewTable(PhysAddr paddr) => new((paddr.Value & AddressMask) | DirectoryMarker);

    /// <summary>The all-zero (absent) entry.</summary>
    public static La64Pte Empty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => default;
    }

    /// <summary>Physical-address bits 47:12 of the entry.</summary>
    public readonly PhysAddr Paddr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(_bits & AddressMask);
    }

    /// <summary>The decoded flags: a PROT_NONE leaf's kept flags; <see cref="MappingFlags.None"/> for any other entry with V
    /// clear (absent and directory entries).</summary>
    public readonly MappingFlags Flags
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Decode(_bits);
    }

    /// <summary>The raw 64-bit entry.</summary>
    public readonly ulong Bits
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _bits;
    }

    /// <summary>Whether all 64 bits are zero.</summary>
    public readonly bool IsUnused
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _bits == 0;
    }

    /// <summary>Whether the entry is a valid leaf (V) or a directory entry (the bit-60 marker).</summary>
    public readonly bool IsPresent
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & (Valid | DirectoryMarker)) != 0;
    }

    /// <summary>Whether V is clear and the PROT_NONE marker (bit 9) set. A directory entry never has bit 9: its bits 11:0
    /// are 0.</summary>
    public readonly bool IsProtNone
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & (Valid | ProtNoneMarker)) == ProtNoneMarker;
    }

    /// <summary>Whether HUGE is set in a valid leaf or a PROT_NONE one: a huge leaf (meaningful at directory levels only).</summary>
    public readonly bool IsHuge
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & Huge) != 0 && ((_bits & Valid) != 0 || IsProtNone);
    }

    /// <summary>Replaces address bits 47:12, keeping every other bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetPaddr(PhysAddr paddr) => _bits = (_bits & ~AddressMask) | (paddr.Value & AddressMask);

    /// <summary>Re-encodes the leaf with <paramref name="flags"/>, keeping the address; other bits are rewritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlags(MappingFlags flags, bool isHuge) => _bits = (_bits & AddressMask) | Encode(flags, isHuge);

    /// <summary>Sets all bits to zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Clear() => _bits = 0;

    /// <summary>The raw bits, the address and the decoded flags, for diagnostics.</summary>
    public override readonly string ToString() =>
        $"La64Pte(0x{_bits:x16}, {Paddr}, {Flags}{(IsHuge ? ", huge" : "")})";

    // Stryker disable Assignment : Encode and Decode build a value bit by bit; each |= sets a bit the value does not hold yet, so the ^= mutant is equivalent (tests/Mutation/README.md)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Encode(MappingFlags flags, bool isHuge)
    {
        if (flags.IsProtNone()) return EncodeProtNone(flags, isHuge);
        ulong bits = LeafBits;
        if ((flags & MappingFlags.Write) != 0)
            bits |= Writable | Dirty;
        if ((flags & MappingFlags.User) != 0)
            bits |= PrivilegeLevel3;
        if ((flags & MappingFlags.Device) != 0)
            bits |= MatStronglyOrderedUncached;
        else if ((flags & MappingFlags.Uncached) != 0)
            bits |= MatWeaklyOrderedUncached;
        else
            bits |= MatCoherentCached;
        if ((flags & MappingFlags.Execute) == 0)
            bits |= NoExecute;
        if (isHuge)
            bits |= Huge;
        return bits;
    }

    /// <summary>A PROT_NONE leaf: V = 0, the marker, HUGE for a huge one, and the kept flags (see the type's remarks).</summary>
    // Stryker disable Assignment : the value starts as the marker alone (None when decoding) and each |= adds a bit it does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    private static ulong EncodeProtNone(MappingFlags flags, bool isHuge)
    {
        ulong bits = ProtNoneMarker;
        if ((flags & MappingFlags.User) != 0)
            bits |= PrivilegeLevel3;
        if ((flags & MappingFlags.Device) != 0)
            bits |= ProtNoneDevice;
        if ((flags & MappingFlags.Uncached) != 0)
            bits |= ProtNoneUncached;
        if (isHuge)
            bits |= Huge;
        return bits;
    }

    // Stryker disable Assignment : as in Encode, each |= adds a flag the value does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static MappingFlags Decode(ulong bits)
    {
        if ((bits & Valid) == 0)
            return (bits & ProtNoneMarker) != 0 ? DecodeProtNone(bits) : MappingFlags.None;
        MappingFlags flags = MappingFlags.None;
        if ((bits & NoRead) == 0)
            flags |= MappingFlags.Read;
        if ((bits & Writable) != 0)
            flags |= MappingFlags.Write;
        if ((bits & NoExecute) == 0)
            flags |= MappingFlags.Execute;
        if ((bits & PrivilegeLevel3) == PrivilegeLevel3)
            flags |= MappingFlags.User;
        ulong mat = bits & MatMask;
        if (mat == MatStronglyOrderedUncached)
            flags |= MappingFlags.Device;
        else if (mat == MatWeaklyOrderedUncached)
            flags |= MappingFlags.Uncached;
        return flags;
    }

    /// <summary>The flags a PROT_NONE leaf keeps.</summary>
    // Stryker disable Assignment : the value starts as the marker alone (None when decoding) and each |= adds a flag it does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    private static MappingFlags DecodeProtNone(ulong bits)
    {
        MappingFlags flags = MappingFlags.None;
        if ((bits & PrivilegeLevel3) == PrivilegeLevel3)
            flags |= MappingFlags.User;
        if ((bits & ProtNoneDevice) != 0)
            flags |= MappingFlags.Device;
        if ((bits & ProtNoneUncached) != 0)
            flags |= MappingFlags.Uncached;
        return flags;
    }
    // Stryker restore Assignment
}
