using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// An x86-64 paging-structure entry (PML4E, PDPTE, PDE or PTE) in 4-level paging, laid out as in
/// Intel SDM Vol. 3A §4.5, Tables 4-15 to 4-20.
/// </summary>
/// <remarks>
/// <para><b>Table entries</b> (<see cref="NewTable"/>) are P | R/W | U/S plus the next table's address.
/// The processor ANDs R/W and U/S over every level of the walk (SDM Vol. 3A §4.6.1), so intermediate
/// entries grant everything and each leaf restricts. Their <see cref="Flags"/> therefore decode as
/// <c>Read | Write | Execute | User</c>.</para>
/// <para><b>Leaves</b> that grant access (<see cref="NewPage"/> with Read): P always; R/W for <see cref="MappingFlags.Write"/>; U/S for
/// <see cref="MappingFlags.User"/>; XD unless <see cref="MappingFlags.Execute"/>; PS for a 2M/1G leaf.
/// A (accessed) and D (dirty) are preset on every leaf, so the processor never needs its locked
/// read-modify-write on first access or first store; a kernel that tracks accessed or dirty pages must
/// clear them itself. G (global) is never set.</para>
/// <para><b>Memory type</b>, with the power-on PAT (PAT0 WB, PAT1 WT, PAT2 UC-, PAT3 UC; SDM Vol. 3A,
/// "Page Attribute Table (PAT)", the table of power-on PAT values) and the PAT bit left 0:
/// <see cref="MappingFlags.Device"/> sets PCD | PWT (PAT index 3, UC); <see cref="MappingFlags.Uncached"/>
/// without Device sets PCD only (PAT index 2, UC-).
/// Decoding reads PCD with PWT as Device and PCD alone as Uncached; PWT alone (write-through) has no
/// <see cref="MappingFlags"/> counterpart and decodes as neither.</para>
/// <para><b>PROT_NONE leaves</b> (flags without Read, Write and Execute): P = 0, so every access faults with a
/// not-present page fault, and the processor ignores bits 63:1 of the entry (SDM Vol. 3A §4.5, Tables 4-15..4-20: an
/// entry whose P flag is 0 is "ignored" apart from P; Figure 4-11 "Formats of ... Paging-Structure Entries", the
/// "Not Present" row). The library keeps the frame in bits 51:12 and PS (bit 7) for a 2M/1G leaf as in a present
/// entry, and marks the entry with bit 9; User goes to U/S (bit 2), Device to bit 10, Uncached to bit 11, all as given.
/// No other bit is set.</para>
/// <para><b>Effective flags</b> (docs/semantics.md): <see cref="MappingFlags.Read"/> is always reported for a
/// present entry (x86 cannot deny reads), and Device drops Uncached. A PROT_NONE leaf reports exactly its flags.</para>
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public struct X64Pte : IGenericPte<X64Pte>
{
    /// <summary>P, bit 0: the entry maps a page or references a table (SDM Vol. 3A Tables 4-15..4-20).</summary>
    private const ulong Present = 1UL << 0;

    /// <summary>R/W, bit 1: writes allowed when set (SDM Vol. 3A Tables 4-15..4-20, §4.6).</summary>
    private const ulong Writable = 1UL << 1;

    /// <summary>U/S, bit 2: user-mode (CPL 3) accesses allowed when set (SDM Vol. 3A Tables 4-15..4-20, §4.6).</summary>
    private const ulong UserAccessible = 1UL << 2;

    /// <summary>PWT, bit 3: page-level write-through, bit 0 of the PAT index (SDM Vol. 3A §4.9.2).</summary>
    private const ulong WriteThrough = 1UL << 3;

    /// <summary>PCD, bit 4: page-level cache disable, bit 1 of the PAT index (SDM Vol. 3A §4.9.2).</summary>
    private const ulong CacheDisable = 1UL << 4;

    /// <summary>A, bit 5: accessed, set by the processor on use (SDM Vol. 3A §4.8); preset on leaves here.</summary>
    private const ulong Accessed = 1UL << 5;

    /// <summary>D, bit 6 of a leaf: dirty, set by the processor on a write (SDM Vol. 3A §4.8); preset on leaves here.</summary>
    private const ulong Dirty = 1UL << 6;

    /// <summary>
    /// PS, bit 7 of a PDPTE or PDE: the entry maps a 1G or 2M page (SDM Vol. 3A Tables 4-16, 4-18).
    /// In a PTE this position is the PAT bit, which this port leaves 0.
    /// </summary>
    private const ulong PageSizeBit = 1UL << 7;

    /// <summary>XD, bit 63: execute-disable when IA32_EFER.NXE = 1 (SDM Vol. 3A Tables 4-15..4-20, §4.6).</summary>
    private const ulong ExecuteDisable = 1UL << 63;

    /// <summary>
    /// Bit 9 of an entry with P = 0: marks a PROT_NONE leaf. The processor ignores bits 63:1 of an entry whose P flag is
    /// 0 (SDM Vol. 3A §4.5, Tables 4-15..4-20 and Figure 4-11, "Not Present"); bit 9 is also ignored in present entries.
    /// </summary>
    private const ulong ProtNoneMarker = 1UL << 9;

    /// <summary>Bit 10 of a PROT_NONE leaf (P = 0, ignored by the processor, SDM Vol. 3A §4.5): <see cref="MappingFlags.Device"/>.</summary>
    private const ulong ProtNoneDevice = 1UL << 10;

    /// <summary>Bit 11 of a PROT_NONE leaf (P = 0, ignored by the processor, SDM Vol. 3A §4.5): <see cref="MappingFlags.Uncached"/>.</summary>
    private const ulong ProtNoneUncached = 1UL << 11;

    /// <summary>Physical-address bits 51:12 (SDM Vol. 3A Tables 4-15..4-20, with MAXPHYADDR = 52).</summary>
    private const ulong AddressMask = 0x000f_ffff_ffff_f000;

    /// <summary>What every table entry carries: P | R/W | U/S (no restriction at this level).</summary>
    private const ulong TableBits = Present | Writable | UserAccessible;

    /// <summary>What every leaf carries: P, with A and D preset.</summary>
    private const ulong LeafBits = Present | Accessed | Dirty;

    private ulong _bits;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private X64Pte(ulong bits) => _bits = bits;

    /// <summary>Wraps raw entry bits as read from a table (no check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static X64Pte FromBits(ulong bits) => new(bits);

    /// <summary>
    /// A leaf mapping <paramref name="paddr"/> (bits 51:12 kept, the rest dropped) with <paramref name="flags"/>,
    /// which the caller has checked with <see cref="MappingFlagsExtensions.IsValidForMapping"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static X64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) =>
        new((paddr.Value & AddressMask) | Encode(flags, isHuge));

    /// <summary>A table entry: P | R/W | U/S and the next table's address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static X64Pte NewTable(PhysAddr paddr) => new((paddr.Value & AddressMask) | TableBits);

    /// <summary>The all-zero (not present) entry.</summary>
    public static X64Pte Empty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => default;
    }

    /// <summary>Physical-address bits 51:12 of the entry.</summary>
    public readonly PhysAddr Paddr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(_bits & AddressMask);
    }

    /// <summary>The decoded flags: a PROT_NONE leaf's kept flags, <see cref="MappingFlags.None"/> for any other entry with P
    /// clear. See the type's remarks.</summary>
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

    /// <summary>Whether P (bit 0) is set.</summary>
    public readonly bool IsPresent
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & Present) != 0;
    }

    /// <summary>Whether P is clear and the PROT_NONE marker (bit 9) set.</summary>
    public readonly bool IsProtNone
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & (Present | ProtNoneMarker)) == ProtNoneMarker;
    }

    /// <summary>Whether PS is set in a present entry or a PROT_NONE leaf: a 1G or 2M leaf (meaningful in a PDPTE or PDE only).</summary>
    public readonly bool IsHuge
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & PageSizeBit) != 0 && (_bits & (Present | ProtNoneMarker)) != 0;
    }

    /// <summary>Whether <paramref name="entry"/>, above the last level, references a table: P set and PS clear
    /// (SDM Vol. 3A Tables 4-15, 4-17, 4-19: a PML4E, a PDPTE or a PDE with PS = 0 references the next table). The same
    /// answer as <see cref="IsPresent"/> and not <see cref="IsHuge"/> for every value, in one test (see <see cref="EntryKind"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsTablePointer(X64Pte entry) => (entry._bits & (Present | PageSizeBit)) == Present;

    /// <summary>Replaces address bits 51:12, keeping every other bit.</summary>
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
        $"X64Pte(0x{_bits:x16}, {Paddr}, {Flags}{(IsHuge ? ", huge" : "")})";

    // Stryker disable Assignment : Encode and Decode build a value bit by bit; each |= sets a bit the value does not hold yet, so the ^= mutant is equivalent (tests/Mutation/README.md)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Encode(MappingFlags flags, bool isHuge)
    {
        if (flags.IsProtNone()) return EncodeProtNone(flags, isHuge);
        ulong bits = LeafBits;
        if ((flags & MappingFlags.Write) != 0)
            bits |= Writable;
        if ((flags & MappingFlags.Execute) == 0)
            bits |= ExecuteDisable;
        if ((flags & MappingFlags.User) != 0)
            bits |= UserAccessible;
        if ((flags & MappingFlags.Device) != 0)
            bits |= CacheDisable | WriteThrough;
        else if ((flags & MappingFlags.Uncached) != 0)
            bits |= CacheDisable;
        if (isHuge)
            bits |= PageSizeBit;
        return bits;
    }

    /// <summary>A PROT_NONE leaf: P = 0, the marker, and the kept flags (see the type's remarks).</summary>
    // Stryker disable Assignment : the value starts as the marker alone (None when decoding) and each |= adds a bit it does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    private static ulong EncodeProtNone(MappingFlags flags, bool isHuge)
    {
        ulong bits = ProtNoneMarker;
        if ((flags & MappingFlags.User) != 0)
            bits |= UserAccessible;
        if ((flags & MappingFlags.Device) != 0)
            bits |= ProtNoneDevice;
        if ((flags & MappingFlags.Uncached) != 0)
            bits |= ProtNoneUncached;
        if (isHuge)
            bits |= PageSizeBit;
        return bits;
    }

    // Stryker disable Assignment : as in Encode, each |= adds a flag the value does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static MappingFlags Decode(ulong bits)
    {
        if ((bits & Present) == 0)
            return (bits & ProtNoneMarker) != 0 ? DecodeProtNone(bits) : MappingFlags.None;
        MappingFlags flags = MappingFlags.Read;
        if ((bits & Writable) != 0)
            flags |= MappingFlags.Write;
        if ((bits & ExecuteDisable) == 0)
            flags |= MappingFlags.Execute;
        if ((bits & UserAccessible) != 0)
            flags |= MappingFlags.User;
        if ((bits & CacheDisable) != 0)
            flags |= (bits & WriteThrough) != 0 ? MappingFlags.Device : MappingFlags.Uncached;
        return flags;
    }

    /// <summary>The flags a PROT_NONE leaf keeps.</summary>
    // Stryker disable Assignment : the value starts as the marker alone (None when decoding) and each |= adds a flag it does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    private static MappingFlags DecodeProtNone(ulong bits)
    {
        MappingFlags flags = MappingFlags.None;
        if ((bits & UserAccessible) != 0)
            flags |= MappingFlags.User;
        if ((bits & ProtNoneDevice) != 0)
            flags |= MappingFlags.Device;
        if ((bits & ProtNoneUncached) != 0)
            flags |= MappingFlags.Uncached;
        return flags;
    }
    // Stryker restore Assignment
}
