using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PageTableMultiarch;

/// <summary>
/// A VMSAv8-64 stage 1 descriptor for the 4 KiB granule (Arm ARM, DDI 0487, D8.3 "Translation table
/// descriptor formats"; memory attributes D8.4): a table descriptor, a block (level 1 or 2) or a page
/// (level 3).
/// </summary>
/// <remarks>
/// <para><b>Table descriptors</b> (<see cref="NewTable"/>): bits 1:0 = 0b11 and the next table's address,
/// with APTable, XNTable and PXNTable all 0 (no restriction inherited by the subtree). Bits 1:0 = 0b11 also
/// mean "page" at level 3, so a table descriptor's <see cref="Flags"/> decode its all-zero attribute fields
/// like a page's: <c>Read | Write | Execute | Device</c>. The core never asks.</para>
/// <para><b>Leaves</b> that grant access (<see cref="NewPage"/> with Read): bit 0 valid; bit 1 = 1 for a level-3 page, 0 for a block.
/// AttrIndx (bits 4:2) indexes MAIR_EL1 as <see cref="A64PagingMetaData.MairEl1"/> defines: 0 Device-nGnRE
/// for <see cref="MappingFlags.Device"/>, 2 Normal Non-cacheable for <see cref="MappingFlags.Uncached"/>
/// (without Device), 1 Normal Write-Back otherwise. AP[1] (bit 6) grants EL0 access for
/// <see cref="MappingFlags.User"/>; AP[2] (bit 7) makes the page read-only unless
/// <see cref="MappingFlags.Write"/>. SH (bits 9:8) = 0b11, Inner Shareable, on <i>every</i> leaf: the Arm ARM
/// treats Device and Normal Non-cacheable memory as Outer Shareable whatever SH says, so one value serves all
/// three memory types. AF (bit 10) is set on every leaf, so no Access flag fault is ever taken. nG (bit 11)
/// is set on every leaf: no mapping is global, so entries are tagged with the current ASID, which is correct
/// whether or not a kernel uses ASIDs (the other formats in this port likewise never set their global bit).
/// PXN (bit 53) and UXN (bit 54): Execute with User clears UXN and sets PXN (EL1 must not run user code);
/// Execute without User clears PXN and sets UXN; no Execute sets both. Decoding reads Execute from UXN for
/// an EL0-accessible page and from PXN otherwise.</para>
/// <para><b>PROT_NONE leaves</b> (flags without Read, Write and Execute): bit 0 = 0, an invalid descriptor, so every
/// access takes a Translation fault at the leaf's level, and the MMU ignores bits 63:1 (D8.3, invalid descriptors: bits
/// 63:1 IGNORED, free for software). The library keeps the output address in bits 47:12 and bit 1 as in a valid
/// leaf (1 for a level-3 page, 0 for a block), and marks the entry with bit 55, the first of the bits 58:55 that valid
/// block and page descriptors reserve for software use (D8.3); User goes to AP[1] (bit 6), Device to bit 56, Uncached
/// to bit 57, all as given. No other bit is set. A valid leaf becoming PROT_NONE is the "break" of break-before-make,
/// so neither direction needs one.</para>
/// <para><b>Effective flags</b> (docs/semantics.md): the flags given, with Uncached dropped when Device is set.
/// AttrIndx values 3..7 (never written here) decode as neither Device nor Uncached. A PROT_NONE leaf reports exactly
/// its flags.</para>
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public struct A64Pte : IGenericPte<A64Pte>
{
    /// <summary>Bit 0: valid descriptor (D8.3).</summary>
    private const ulong Valid = 1UL << 0;

    /// <summary>Bit 1: table descriptor at levels 0..2, page descriptor at level 3; 0 means block (D8.3).</summary>
    private const ulong TableOrPage = 1UL << 1;

    /// <summary>AttrIndx[2:0], bits 4:2: index of the MAIR_EL1 attribute field (D8.4, memory region attributes).</summary>
    private const ulong AttrIndxMask = 0b111UL << 2;

    /// <summary>AttrIndx = 0: MAIR Attr0, Device-nGnRE (see <see cref="A64PagingMetaData.MairEl1"/>).</summary>
    private const ulong AttrDevice = 0UL << 2;

    /// <summary>AttrIndx = 1: MAIR Attr1, Normal Write-Back (see <see cref="A64PagingMetaData.MairEl1"/>).</summary>
    private const ulong AttrNormal = 1UL << 2;

    /// <summary>AttrIndx = 2: MAIR Attr2, Normal Non-cacheable (see <see cref="A64PagingMetaData.MairEl1"/>).</summary>
    private const ulong AttrNonCacheable = 2UL << 2;

    /// <summary>AP[1], bit 6: data access permitted at EL0 (D8.4, stage 1 data access permissions).</summary>
    private const ulong AccessEl0 = 1UL << 6;

    /// <summary>AP[2], bit 7: read-only at every exception level (D8.4, stage 1 data access permissions).</summary>
    private const ulong ReadOnly = 1UL << 7;

    /// <summary>SH[1:0], bits 9:8, = 0b11: Inner Shareable (D8.4, shareability attributes).</summary>
    private const ulong InnerShareable = 0b11UL << 8;

    /// <summary>AF, bit 10: Access flag; when 0 the first access faults (D8.4, the Access flag).</summary>
    private const ulong AccessFlag = 1UL << 10;

    /// <summary>nG, bit 11: not global, the TLB entry is tagged with the current ASID (D8.3; global and process-specific translations).</summary>
    private const ulong NotGlobal = 1UL << 11;

    /// <summary>PXN, bit 53: privileged (EL1) execute-never (D8.4, instruction execution permissions).</summary>
    private const ulong PrivilegedExecuteNever = 1UL << 53;

    /// <summary>UXN, bit 54: unprivileged (EL0) execute-never (D8.4, instruction execution permissions).</summary>
    private const ulong UnprivilegedExecuteNever = 1UL << 54;

    /// <summary>
    /// Bit 55 of an invalid descriptor: marks a PROT_NONE leaf. Bits 63:1 of an invalid descriptor are IGNORED (D8.3,
    /// invalid descriptors); bits 58:55 are also reserved for software use in valid block and page descriptors (D8.3).
    /// </summary>
    private const ulong ProtNoneMarker = 1UL << 55;

    /// <summary>Bit 56 of a PROT_NONE leaf (invalid descriptor, software use, D8.3): <see cref="MappingFlags.Device"/>.</summary>
    private const ulong ProtNoneDevice = 1UL << 56;

    /// <summary>Bit 57 of a PROT_NONE leaf (invalid descriptor, software use, D8.3): <see cref="MappingFlags.Uncached"/>.</summary>
    private const ulong ProtNoneUncached = 1UL << 57;

    /// <summary>
    /// Output-address bits 47:12 (D8.3). A level-1 block uses bits 47:30 and a level-2 block bits 47:21; the
    /// lower bits are zero because the address is aligned to the block size.
    /// </summary>
    private const ulong AddressMask = 0x0000_ffff_ffff_f000;

    /// <summary>A table descriptor's type bits, 0b11.</summary>
    private const ulong TableBits = Valid | TableOrPage;

    /// <summary>What every leaf carries: valid, Inner Shareable, AF, nG.</summary>
    private const ulong LeafBits = Valid | InnerShareable | AccessFlag | NotGlobal;

    private ulong _bits;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private A64Pte(ulong bits) => _bits = bits;

    /// <summary>Wraps raw descriptor bits as read from a table (no check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static A64Pte FromBits(ulong bits) => new(bits);

    /// <summary>
    /// A page (<paramref name="isHuge"/> false, level 3) or block (<paramref name="isHuge"/> true, level 1 or 2)
    /// descriptor for <paramref name="paddr"/> (bits 47:12 kept) with <paramref name="flags"/>, which the caller
    /// has checked with <see cref="MappingFlagsExtensions.IsValidForMapping"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static A64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) =>
        new((paddr.Value & AddressMask) | Encode(flags, isHuge));

    /// <summary>A table descriptor: bits 1:0 = 0b11 and the next table's address, no hierarchical restrictions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static A64Pte NewTable(PhysAddr paddr) => new((paddr.Value & AddressMask) | TableBits);

    /// <summary>The all-zero (invalid) descriptor.</summary>
    public static A64Pte Empty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => default;
    }

    /// <summary>Output-address bits 47:12 of the descriptor.</summary>
    public readonly PhysAddr Paddr
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(_bits & AddressMask);
    }

    /// <summary>The decoded flags: a PROT_NONE leaf's kept flags, <see cref="MappingFlags.None"/> for any other invalid
    /// descriptor. See the type's remarks.</summary>
    public readonly MappingFlags Flags
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Decode(_bits);
    }

    /// <summary>The raw 64-bit descriptor.</summary>
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

    /// <summary>Whether bit 0 (valid) is set.</summary>
    public readonly bool IsPresent
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & Valid) != 0;
    }

    /// <summary>Whether bit 0 is clear and the PROT_NONE marker (bit 55) set.</summary>
    public readonly bool IsProtNone
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & (Valid | ProtNoneMarker)) == ProtNoneMarker;
    }

    /// <summary>Whether the descriptor is a block: a valid one (bits 1:0 = 0b01) or a PROT_NONE one with bit 1 clear
    /// (meaningful at levels 1 and 2 only).</summary>
    public readonly bool IsHuge
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (_bits & (Valid | TableOrPage)) == Valid || (_bits & (Valid | TableOrPage | ProtNoneMarker)) == ProtNoneMarker;
    }

    /// <summary>Whether <paramref name="entry"/>, above the last level, is a table descriptor: bits 1:0 = 0b11 (D8.3, the
    /// level 0-2 descriptor formats). The same answer as <see cref="IsPresent"/> and not <see cref="IsHuge"/> for every
    /// value, in one test.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsTablePointer(A64Pte entry) => (entry._bits & (Valid | TableOrPage)) == (Valid | TableOrPage);

    /// <summary>Replaces output-address bits 47:12, keeping every other bit.</summary>
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
        $"A64Pte(0x{_bits:x16}, {Paddr}, {Flags}{(IsHuge ? ", block" : "")})";

    // Stryker disable Assignment : Encode and Decode build a value bit by bit; each |= sets a bit the value does not hold yet, so the ^= mutant is equivalent (tests/Mutation/README.md)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Encode(MappingFlags flags, bool isHuge)
    {
        if (flags.IsProtNone()) return EncodeProtNone(flags, isHuge);
        ulong bits = LeafBits;
        if (!isHuge)
            bits |= TableOrPage;
        if ((flags & MappingFlags.Device) != 0)
            bits |= AttrDevice;
        else if ((flags & MappingFlags.Uncached) != 0)
            bits |= AttrNonCacheable;
        else
            bits |= AttrNormal;
        if ((flags & MappingFlags.Write) == 0)
            bits |= ReadOnly;
        bool user = (flags & MappingFlags.User) != 0;
        if (user)
            bits |= AccessEl0;
        if ((flags & MappingFlags.Execute) == 0)
            bits |= PrivilegedExecuteNever | UnprivilegedExecuteNever;
        else
            bits |= user ? PrivilegedExecuteNever : UnprivilegedExecuteNever;
        return bits;
    }

    /// <summary>A PROT_NONE leaf: bit 0 clear, the marker, bit 1 for a page, and the kept flags (see the type's remarks).</summary>
    // Stryker disable Assignment : the value starts as the marker alone (None when decoding) and each |= adds a bit it does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    private static ulong EncodeProtNone(MappingFlags flags, bool isHuge)
    {
        ulong bits = ProtNoneMarker;
        if (!isHuge)
            bits |= TableOrPage;
        if ((flags & MappingFlags.User) != 0)
            bits |= AccessEl0;
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
        MappingFlags flags = MappingFlags.Read;
        if ((bits & ReadOnly) == 0)
            flags |= MappingFlags.Write;
        bool user = (bits & AccessEl0) != 0;
        if (user)
            flags |= MappingFlags.User;
        if ((bits & (user ? UnprivilegedExecuteNever : PrivilegedExecuteNever)) == 0)
            flags |= MappingFlags.Execute;
        ulong attr = bits & AttrIndxMask;
        if (attr == AttrDevice)
            flags |= MappingFlags.Device;
        else if (attr == AttrNonCacheable)
            flags |= MappingFlags.Uncached;
        return flags;
    }

    /// <summary>The flags a PROT_NONE leaf keeps.</summary>
    // Stryker disable Assignment : the value starts as the marker alone (None when decoding) and each |= adds a flag it does not hold yet, so ^= is equivalent (tests/Mutation/README.md)
    private static MappingFlags DecodeProtNone(ulong bits)
    {
        MappingFlags flags = MappingFlags.None;
        if ((bits & AccessEl0) != 0)
            flags |= MappingFlags.User;
        if ((bits & ProtNoneDevice) != 0)
            flags |= MappingFlags.Device;
        if ((bits & ProtNoneUncached) != 0)
            flags |= MappingFlags.Uncached;
        return flags;
    }
    // Stryker restore Assignment
}
