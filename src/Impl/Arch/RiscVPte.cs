using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// An RV64 page-table entry as Sv39 and Sv48 share it (RISC-V Privileged Architecture, Supervisor-Level ISA,
/// "Sv39" and "Sv48"): V, R, W, X, U, G, A, D in bits 7:0, RSW in 9:8, the PPN in 53:10 and bits 63:54 zero.
/// </summary>
/// <remarks>
/// <para><b>Non-leaf entries</b> (<see cref="NewTable"/>): V and the next table's PPN, nothing else. R = W = X = 0
/// is what makes an entry a pointer, and the spec reserves D, A and U in non-leaf entries (software must
/// clear them). Their <see cref="Flags"/> decode as <see cref="MappingFlags.None"/>.</para>
/// <para><b>Leaves</b> that grant access (<see cref="NewPage"/> with Read): V | R, plus W, X and U from the flags. A and D are preset on
/// every leaf: hardware without Svadu raises a page fault on an access with A = 0 or a store with D = 0
/// instead of setting them, so presetting them means no such fault is ever taken; a kernel that tracks
/// accessed or dirty pages must clear them itself. G is never set, RSW is left 0 in valid entries, and bits 63:54 stay 0 in valid entries:
/// neither Svpbmt (PBMT, bits 62:61) nor Svnapot (N, bit 63) is assumed.</para>
/// <para><b>Memory types</b>: <see cref="MappingFlags.Device"/> and <see cref="MappingFlags.Uncached"/> are not
/// encoded in a valid leaf. Without Svpbmt the platform's physical memory attributes (PMAs) decide cacheability and
/// ordering, so the effective flags (docs/semantics.md) drop both and <see cref="Flags"/> never reports them for a
/// valid leaf. A PROT_NONE leaf keeps them (below).</para>
/// <para>Every flag set that grants access contains <see cref="MappingFlags.Read"/>, so the reserved encodings
/// (W without R) never arise; execute-only (X without R), which the format can express, is refused as
/// <see cref="PagingError.InvalidFlags"/> like on the other architectures.</para>
/// <para><b>PROT_NONE leaves</b> (flags without Read, Write and Execute): V = 0, so every access raises a page fault and
/// the entry is never taken for a pointer (V = 1 with R = W = X = 0 would be one). "If V = 0, the other bits of the PTE
/// are don't-cares and may be used freely by software" (Supervisor-Level ISA, the PTE format of Sv32, which Sv39 and
/// Sv48 share). The library keeps the PPN in bits 53:10 and marks the entry with bit 8, the low bit of RSW (bits 9:8,
/// reserved for supervisor software in every PTE); User goes to U (bit 4), Device to bit 62 and Uncached to bit 61
/// (where Svpbmt's PBMT field would put IO and NC in a valid PTE), all as given. No other bit is set. As for valid
/// leaves, nothing tells a 4 KiB PROT_NONE leaf from a superpage: <see cref="IsHuge"/> is true for both.</para>
/// <para><b>Huge pages</b>: nothing in the entry tells a 4 KiB leaf from a superpage; the level does. So
/// <see cref="IsHuge"/> is true for every valid leaf, and the <c>isHuge</c> argument of <see cref="NewPage"/> and
/// <see cref="SetFlags"/> changes no bit. Ask <see cref="IsHuge"/> only above the last level, as the contract says.</para>
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public struct RiscVPte : IGenericPte<RiscVPte>
{
    /// <summary>V, bit 0: the entry is valid (Supervisor-Level ISA, Sv39 PTE format).</summary>
    private const ulong Valid = 1UL << 0;

    /// <summary>R, bit 1: readable; with W and X = 0 as well, the entry points to the next table (Sv39 PTE format).</summary>
    private const ulong Readable = 1UL << 1;

    /// <summary>W, bit 2: writable (Sv39 PTE format).</summary>
    private const ulong Writable = 1UL << 2;

    /// <summary>X, bit 3: executable (Sv39 PTE format).</summary>
    private const ulong Executable = 1UL << 3;

    /// <summary>U, bit 4: accessible in U-mode (Sv39 PTE format).</summary>
    private const ulong UserMode = 1UL << 4;

    /// <summary>A, bit 6: accessed (Sv39 PTE format, "A and D bits"); preset on leaves here.</summary>
    private const ulong Accessed = 1UL << 6;

    /// <summary>D, bit 7: dirty (Sv39 PTE format, "A and D bits"); preset on leaves here.</summary>
    private const ulong Dirty = 1UL << 7;

    /// <summary>
    /// Bit 8, RSW[0], of an entry with V = 0: marks a PROT_NONE leaf. RSW (bits 9:8) is reserved for supervisor software
    /// (Sv39 PTE format), and with V = 0 every other bit is free for software (Sv32 PTE format, "If V = 0 ...").
    /// </summary>
    private const ulong ProtNoneMarker = 1UL << 8;

    /// <summary>Bit 62 of a PROT_NONE leaf (V = 0, free for software; PBMT's IO bit in a valid PTE with Svpbmt): <see cref="MappingFlags.Device"/>.</summary>
    private const ulong ProtNoneDevice = 1UL << 62;

    /// <summary>Bit 61 of a PROT_NONE leaf (V = 0, free for software; PBMT's NC bit in a valid PTE with Svpbmt): <see cref="MappingFlags.Uncached"/>.</summary>
    private const ulong ProtNoneUncached = 1UL << 61;

    /// <summary>PPN, bits 53:10: physical-address bits 55:12 (Sv39 and Sv48 PTE formats).</summary>
    private const ulong PpnMask = 0x003f_ffff_ffff_fc00;

    /// <summary>How far the PPN field sits below the address it encodes: PPN at bit 10, address at bit 12.</summary>
    private const int PpnShift = 2;

    /// <summary>R, W and X: any of them makes a valid entry a leaf.</summary>
    private const ulong LeafMask = Readable | Writable | Executable;

    /// <summary>What every leaf carries: V | R with A and D preset.</summary>
    private const ulong LeafBits = Valid | Readable | Accessed | Dirty;

    private ulong _bits;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private RiscVPte(ulong bits) => _bits = bits;

    /// <summary>Wraps raw entry bits as read from a table (no check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RiscVPte FromBits(ulong bits) => new(bits);

    /// <summary>
    /// A leaf for <paramref name="paddr"/> (bits 55:12 kept) with <paramref name="flags"/>, which the caller has
    /// checked with <see cref="MappingFlagsExtensions.IsValidForMapping"/>. <paramref name="isHuge"/> changes no
    /// bit (see the type's remarks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RiscVPte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) =>
        new(ToPpnField(paddr.Value) | Encode(flags));

    /// <summary>A non-leaf entry: V and the next table's PPN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RiscVPte NewTable(PhysAddr paddr) => new(ToPpnField(paddr.Value) | Valid);

    /// <summary>The all-zero (invalid) entry.</summary>
    public static RiscVPte Empty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => default;
    }

    /// <summary>The PPN shifted back into a physical address (bits 55:12).</summary>
    public readonly PhysAddr Paddr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new((_bits & PpnMask) << PpnShift);
    }

    /// <summary>
    /// The decoded flags: R, W, X, U as Read, Write, Execute, User (never Device or Uncached) for a valid leaf; a
    /// PROT_NONE leaf's kept flags; <see cref="MappingFlags.None"/> for a pointer or any other entry with V clear.
    /// </summary>
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

    /// <summary>Whether V (bit 0) is set.</summary>
    public readonly bool IsPresent
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & Valid) != 0;
    }

    /// <summary>Whether V is clear and the PROT_NONE marker (RSW bit 8) set.</summary>
    public readonly bool IsProtNone
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & (Valid | ProtNoneMarker)) == ProtNoneMarker;
    }

    /// <summary>Whether the entry is a leaf: a valid one (V with R, W or X) or a PROT_NONE one. Above the last level that
    /// is a superpage.</summary>
    public readonly bool IsHuge
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & Valid) != 0 ? (_bits & LeafMask) != 0 : (_bits & ProtNoneMarker) != 0;
    }

    /// <summary>Whether <paramref name="entry"/>, above the last level, points to the next table: V set and R, W, X clear
    /// (Privileged ISA, Sv39 PTE format and the translation process, step 4). The same answer as <see cref="IsPresent"/>
    /// and not <see cref="IsHuge"/> for every value, in one test.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsTablePointer(RiscVPte entry) => (entry._bits & (Valid | LeafMask)) == Valid;

    /// <summary>Replaces the PPN, keeping every other bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetPaddr(PhysAddr paddr) => _bits = (_bits & ~PpnMask) | ToPpnField(paddr.Value);

    /// <summary>Re-encodes the leaf with <paramref name="flags"/>, keeping the PPN; other bits are rewritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetFlags(MappingFlags flags, bool isHuge) => _bits = (_bits & PpnMask) | Encode(flags);

    /// <summary>Sets all bits to zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Clear() => _bits = 0;

    /// <summary>The raw bits, the address and the decoded flags, for diagnostics.</summary>
    public override readonly string ToString() =>
        $"RiscVPte(0x{_bits:x16}, {Paddr}, {Flags}{(IsHuge ? ", leaf" : "")})";

    // Stryker disable once Bitwise : paddr is unsigned, so >> and >>> are the same shift
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ToPpnField(ulong paddr) => (paddr >> PpnShift) & PpnMask;

    // Stryker disable Assignment : Encode and Decode build a value bit by bit; each |= sets a bit the value does not hold yet, so the ^= mutant is equivalent (tests/Mutation/README.md)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Encode(MappingFlags flags)
    {
        if (flags.IsProtNone()) return EncodeProtNone(flags);
        ulong bits = LeafBits;
        if ((flags & MappingFlags.Write) != 0)
            bits |= Writable;
        if ((flags & MappingFlags.Execute) != 0)
            bits |= Executable;
        if ((flags & MappingFlags.User) != 0)
            bits |= UserMode;
        return bits;
    }

    /// <summary>A PROT_NONE leaf: V = 0, the marker, and the kept flags (see the type's remarks).</summary>
    // Stryker disable Assignment : the value starts as the marker alone (None when decoding) and each |= adds a bit it does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    private static ulong EncodeProtNone(MappingFlags flags)
    {
        ulong bits = ProtNoneMarker;
        if ((flags & MappingFlags.User) != 0)
            bits |= UserMode;
        if ((flags & MappingFlags.Device) != 0)
            bits |= ProtNoneDevice;
        if ((flags & MappingFlags.Uncached) != 0)
            bits |= ProtNoneUncached;
        return bits;
    }

    // Stryker disable Assignment : as in Encode, each |= adds a flag the value does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static MappingFlags Decode(ulong bits)
    {
        if ((bits & Valid) == 0)
            return (bits & ProtNoneMarker) != 0 ? DecodeProtNone(bits) : MappingFlags.None;
        if ((bits & LeafMask) == 0)
            return MappingFlags.None;
        MappingFlags flags = MappingFlags.None;
        if ((bits & Readable) != 0)
            flags |= MappingFlags.Read;
        if ((bits & Writable) != 0)
            flags |= MappingFlags.Write;
        if ((bits & Executable) != 0)
            flags |= MappingFlags.Execute;
        if ((bits & UserMode) != 0)
            flags |= MappingFlags.User;
        return flags;
    }

    /// <summary>The flags a PROT_NONE leaf keeps.</summary>
    // Stryker disable Assignment : the value starts as the marker alone (None when decoding) and each |= adds a flag it does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    private static MappingFlags DecodeProtNone(ulong bits)
    {
        MappingFlags flags = MappingFlags.None;
        if ((bits & UserMode) != 0)
            flags |= MappingFlags.User;
        if ((bits & ProtNoneDevice) != 0)
            flags |= MappingFlags.Device;
        if ((bits & ProtNoneUncached) != 0)
            flags |= MappingFlags.Uncached;
        return flags;
    }
    // Stryker restore Assignment
}
