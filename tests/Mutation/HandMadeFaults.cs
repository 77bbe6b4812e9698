using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Mutation;

// Hand-made faults, five kinds per entry format, the numbers written from the manuals (docs/encodings.md):
//   moved     – a permission bit written to (and read from) another bit: invisible to model equivalence;
//   maskShort – the address mask one bit short: the top physical-address bit is dropped on write;
//   shift     – the address field shifted by one bit in write and read (for RISC-V: the PPN level shift);
//   inverted  – a permission bit inverted in write and read alike;
//   huge      – the huge-page (block) bit ignored;
//   PROT_NONE left valid – a PROT_NONE leaf written with the valid bit set (read back as written correctly: only the
//                hardware walker can see it);
//   PROT_NONE address dropped – a PROT_NONE leaf written without its frame address.

// ---- x86_64: R/W bit 1, PS bit 7, XD bit 63, address bits 51:12 (Intel SDM Vol. 3A §4.5) ----
public struct X64WriteMoved : IPteFault<X64Pte>
{
    public static string Description => "x86_64: R/W (bit 1) moved to bit 9";
    public static X64Pte FromBits(ulong bits) => X64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => BitOps.Move(correct, 1, 9);
    public static ulong Decode(ulong stored) => BitOps.Move(stored, 9, 1);
}

public struct X64MaskShort : IPteFault<X64Pte>
{
    public static string Description => "x86_64: address mask stops at bit 50 (bit 51 dropped)";
    public static X64Pte FromBits(ulong bits) => X64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct & ~(1UL << 51);
    public static ulong Decode(ulong stored) => stored;
}

public struct X64AddressShift : IPteFault<X64Pte>
{
    public static string Description => "x86_64: address field (51:12) shifted left by one";
    public static X64Pte FromBits(ulong bits) => X64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => BitOps.AddressShiftedLeft(correct, 0x000f_ffff_ffff_f000);
    public static ulong Decode(ulong stored) => BitOps.AddressShiftedRight(stored, 0x000f_ffff_ffff_f000);
}

public struct X64NxInverted : IPteFault<X64Pte>
{
    public static string Description => "x86_64: XD (bit 63) inverted";
    public static X64Pte FromBits(ulong bits) => X64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct ^ (1UL << 63);
    public static ulong Decode(ulong stored) => stored ^ (1UL << 63);
}

public struct X64HugeIgnored : IPteFault<X64Pte>
{
    public static string Description => "x86_64: PS (bit 7) not written";
    public static X64Pte FromBits(ulong bits) => X64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct & ~(1UL << 7);
    public static ulong Decode(ulong stored) => stored;
}

public struct X64ProtNoneLeftValid : IPteFault<X64Pte>
{
    public static string Description => "x86_64: a PROT_NONE leaf (marker bit 9) written with the valid bit (bit 0) set";
    public static X64Pte FromBits(ulong bits) => X64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => (correct & (1UL | 1UL << 9)) == 1UL << 9 ? correct | 1UL : correct;
    public static ulong Decode(ulong stored) => (stored & 1UL << 9) != 0 ? stored & ~1UL : stored;
}

public struct X64ProtNoneAddressDropped : IPteFault<X64Pte>
{
    public static string Description => "x86_64: a PROT_NONE leaf written without its address (bits 51:12)";
    public static X64Pte FromBits(ulong bits) => X64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => (correct & (1UL | 1UL << 9)) == 1UL << 9 ? correct & ~0x000f_ffff_ffff_f000UL : correct;
    public static ulong Decode(ulong stored) => stored;
}

// ---- AArch64: descriptor type bit 1, AP[2] bit 7, UXN bit 54, output address 47:12 (Arm ARM D8.3) ----
public struct A64ReadOnlyMoved : IPteFault<A64Pte>
{
    public static string Description => "AArch64: AP[2] read-only (bit 7) moved to bit 58";
    public static A64Pte FromBits(ulong bits) => A64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => BitOps.Move(correct, 7, 58);
    public static ulong Decode(ulong stored) => BitOps.Move(stored, 58, 7);
}

public struct A64MaskShort : IPteFault<A64Pte>
{
    public static string Description => "AArch64: output-address mask stops at bit 46 (bit 47 dropped)";
    public static A64Pte FromBits(ulong bits) => A64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct & ~(1UL << 47);
    public static ulong Decode(ulong stored) => stored;
}

public struct A64AddressShift : IPteFault<A64Pte>
{
    public static string Description => "AArch64: output address (47:12) shifted left by one";
    public static A64Pte FromBits(ulong bits) => A64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => BitOps.AddressShiftedLeft(correct, 0x0000_ffff_ffff_f000);
    public static ulong Decode(ulong stored) => BitOps.AddressShiftedRight(stored, 0x0000_ffff_ffff_f000);
}

public struct A64UxnInverted : IPteFault<A64Pte>
{
    public static string Description => "AArch64: UXN (bit 54) inverted";
    public static A64Pte FromBits(ulong bits) => A64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct ^ (1UL << 54);
    public static ulong Decode(ulong stored) => stored ^ (1UL << 54);
}

public struct A64BlockIgnored : IPteFault<A64Pte>
{
    public static string Description => "AArch64: blocks written as table descriptors (bit 1 always set)";
    public static A64Pte FromBits(ulong bits) => A64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct | (1UL << 1);
    public static ulong Decode(ulong stored) => stored;
}

public struct A64ProtNoneLeftValid : IPteFault<A64Pte>
{
    public static string Description => "AArch64: a PROT_NONE leaf (marker bit 55) written with the valid bit (bit 0) set";
    public static A64Pte FromBits(ulong bits) => A64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => (correct & (1UL | 1UL << 55)) == 1UL << 55 ? correct | 1UL : correct;
    public static ulong Decode(ulong stored) => (stored & 1UL << 55) != 0 ? stored & ~1UL : stored;
}

public struct A64ProtNoneAddressDropped : IPteFault<A64Pte>
{
    public static string Description => "AArch64: a PROT_NONE leaf written without its output address (bits 47:12)";
    public static A64Pte FromBits(ulong bits) => A64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => (correct & (1UL | 1UL << 55)) == 1UL << 55 ? correct & ~0x0000_ffff_ffff_f000UL : correct;
    public static ulong Decode(ulong stored) => stored;
}

// ---- RISC-V: W bit 2, U bit 4, PPN 53:10 (Privileged spec, Sv39/Sv48 PTE format) ----
public struct RvWriteMoved : IPteFault<RiscVPte>
{
    public static string Description => "RISC-V: W (bit 2) moved to RSW bit 8";
    public static RiscVPte FromBits(ulong bits) => RiscVPte.FromBits(bits);
    public static ulong Encode(ulong correct) => BitOps.Move(correct, 2, 8);
    public static ulong Decode(ulong stored) => BitOps.Move(stored, 8, 2);
}

public struct RvMaskShort : IPteFault<RiscVPte>
{
    public static string Description => "RISC-V: PPN mask stops at bit 52 (bit 53, PA bit 55, dropped)";
    public static RiscVPte FromBits(ulong bits) => RiscVPte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct & ~(1UL << 53);
    public static ulong Decode(ulong stored) => stored;
}

public struct RvPpnShift : IPteFault<RiscVPte>
{
    public static string Description => "RISC-V: PPN field (53:10) shifted by one (PPN placed at bit 11)";
    public static RiscVPte FromBits(ulong bits) => RiscVPte.FromBits(bits);
    public static ulong Encode(ulong correct) => BitOps.AddressShiftedLeft(correct, 0x003f_ffff_ffff_fc00);
    public static ulong Decode(ulong stored) => BitOps.AddressShiftedRight(stored, 0x003f_ffff_ffff_fc00);
}

public struct RvUserInverted : IPteFault<RiscVPte>
{
    public static string Description => "RISC-V: U (bit 4) inverted";
    public static RiscVPte FromBits(ulong bits) => RiscVPte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct ^ (1UL << 4);
    public static ulong Decode(ulong stored) => stored ^ (1UL << 4);
}

public struct RvHugeIgnored : IPteFault<RiscVPte>
{
    public static string Description => "RISC-V: a leaf above the last level not recognised as a superpage";
    public static RiscVPte FromBits(ulong bits) => RiscVPte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct;
    public static ulong Decode(ulong stored) => stored;
    public static bool IgnoreHuge => true;
}

public struct RvProtNoneLeftValid : IPteFault<RiscVPte>
{
    public static string Description => "RISC-V: a PROT_NONE leaf (marker RSW bit 8) written with the valid bit (bit 0) set";
    public static RiscVPte FromBits(ulong bits) => RiscVPte.FromBits(bits);
    public static ulong Encode(ulong correct) => (correct & (1UL | 1UL << 8)) == 1UL << 8 ? correct | 1UL : correct;
    public static ulong Decode(ulong stored) => (stored & 1UL << 8) != 0 ? stored & ~1UL : stored;
}

public struct RvProtNoneAddressDropped : IPteFault<RiscVPte>
{
    public static string Description => "RISC-V: a PROT_NONE leaf written without its PPN (bits 53:10)";
    public static RiscVPte FromBits(ulong bits) => RiscVPte.FromBits(bits);
    public static ulong Encode(ulong correct) => (correct & (1UL | 1UL << 8)) == 1UL << 8 ? correct & ~0x003f_ffff_ffff_fc00UL : correct;
    public static ulong Decode(ulong stored) => stored;
}

// ---- LoongArch64: D bit 1, HUGE bit 6, NX bit 62, PA 47:12 (LoongArch RM Vol. 1 §5.4, §7.5) ----
public struct LaDirtyMoved : IPteFault<La64Pte>
{
    public static string Description => "LoongArch64: D (bit 1, the MMU's write enable) moved to bit 59";
    public static La64Pte FromBits(ulong bits) => La64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => BitOps.Move(correct, 1, 59);
    public static ulong Decode(ulong stored) => BitOps.Move(stored, 59, 1);
}

public struct LaMaskShort : IPteFault<La64Pte>
{
    public static string Description => "LoongArch64: address mask stops at bit 46 (bit 47 dropped)";
    public static La64Pte FromBits(ulong bits) => La64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct & ~(1UL << 47);
    public static ulong Decode(ulong stored) => stored;
}

public struct LaAddressShift : IPteFault<La64Pte>
{
    public static string Description => "LoongArch64: address field (47:12) shifted left by one";
    public static La64Pte FromBits(ulong bits) => La64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => BitOps.AddressShiftedLeft(correct, 0x0000_ffff_ffff_f000);
    public static ulong Decode(ulong stored) => BitOps.AddressShiftedRight(stored, 0x0000_ffff_ffff_f000);
}

public struct LaNxInverted : IPteFault<La64Pte>
{
    public static string Description => "LoongArch64: NX (bit 62) inverted";
    public static La64Pte FromBits(ulong bits) => La64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct ^ (1UL << 62);
    public static ulong Decode(ulong stored) => stored ^ (1UL << 62);
}

public struct LaHugeIgnored : IPteFault<La64Pte>
{
    public static string Description => "LoongArch64: HUGE (bit 6) not written";
    public static La64Pte FromBits(ulong bits) => La64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => correct & ~(1UL << 6);
    public static ulong Decode(ulong stored) => stored;
}

public struct LaProtNoneLeftValid : IPteFault<La64Pte>
{
    public static string Description => "LoongArch64: a PROT_NONE leaf (marker bit 9) written with the valid bit (bit 0) set";
    public static La64Pte FromBits(ulong bits) => La64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => (correct & (1UL | 1UL << 9)) == 1UL << 9 ? correct | 1UL : correct;
    public static ulong Decode(ulong stored) => (stored & 1UL << 9) != 0 ? stored & ~1UL : stored;
}

public struct LaProtNoneAddressDropped : IPteFault<La64Pte>
{
    public static string Description => "LoongArch64: a PROT_NONE leaf written without its address (bits 47:12)";
    public static La64Pte FromBits(ulong bits) => La64Pte.FromBits(bits);
    public static ulong Encode(ulong correct) => (correct & (1UL | 1UL << 9)) == 1UL << 9 ? correct & ~0x0000_ffff_ffff_f000UL : correct;
    public static ulong Decode(ulong stored) => stored;
}

/// <summary>One hand-made fault, bound to a table type.</summary>
public sealed record HandMadeFault(string Name, TableKind Table, string Description, Func<FrameArena, IImplTable> Create)
{
    public override string ToString() => Name;
}

public static class Faults
{
    private static HandMadeFault F<TMeta, TInner, TFault>(TableKind table)
        where TMeta : struct, IPagingMetaData
        where TInner : unmanaged, IGenericPte<TInner>
        where TFault : struct, IPteFault<TInner> =>
        new($"{table}.{typeof(TFault).Name}", table, TFault.Description, arena => ImplTable<TMeta, FaultyPte<TInner, TFault>>.Create(arena));

    /// <summary>A split fault (<c>SplitFaults.cs</c>) on the ready entry format of <paramref name="table"/>.</summary>
    public static HandMadeFault S<TMeta, TPte, TFault>(TableKind table)
        where TMeta : struct, IPagingMetaData
        where TPte : unmanaged, IGenericPte<TPte>
        where TFault : struct, ISplitFault =>
        new($"{table}.Split{typeof(TFault).Name}", table, TFault.Description, arena =>
        {
            SplitFaultArenas.Add(arena);
            return ImplTable<SplitFaultMeta<TMeta, TPte, TFault>, TPte>.Create(arena, table);
        });

    public static readonly HandMadeFault[] All =
    [
        F<X64PagingMetaData, X64Pte, X64WriteMoved>(TableKind.X64),
        F<X64PagingMetaData, X64Pte, X64MaskShort>(TableKind.X64),
        F<X64PagingMetaData, X64Pte, X64AddressShift>(TableKind.X64),
        F<X64PagingMetaData, X64Pte, X64NxInverted>(TableKind.X64),
        F<X64PagingMetaData, X64Pte, X64HugeIgnored>(TableKind.X64),
        F<X64PagingMetaData, X64Pte, X64ProtNoneLeftValid>(TableKind.X64),
        F<X64PagingMetaData, X64Pte, X64ProtNoneAddressDropped>(TableKind.X64),
        F<A64PagingMetaData, A64Pte, A64ReadOnlyMoved>(TableKind.A64),
        F<A64PagingMetaData, A64Pte, A64MaskShort>(TableKind.A64),
        F<A64PagingMetaData, A64Pte, A64AddressShift>(TableKind.A64),
        F<A64PagingMetaData, A64Pte, A64UxnInverted>(TableKind.A64),
        F<A64PagingMetaData, A64Pte, A64BlockIgnored>(TableKind.A64),
        F<A64PagingMetaData, A64Pte, A64ProtNoneLeftValid>(TableKind.A64),
        F<A64PagingMetaData, A64Pte, A64ProtNoneAddressDropped>(TableKind.A64),
        F<Sv39PagingMetaData, RiscVPte, RvWriteMoved>(TableKind.Sv39),
        F<Sv39PagingMetaData, RiscVPte, RvMaskShort>(TableKind.Sv39),
        F<Sv39PagingMetaData, RiscVPte, RvPpnShift>(TableKind.Sv39),
        F<Sv39PagingMetaData, RiscVPte, RvUserInverted>(TableKind.Sv39),
        F<Sv39PagingMetaData, RiscVPte, RvHugeIgnored>(TableKind.Sv39),
        F<Sv39PagingMetaData, RiscVPte, RvProtNoneLeftValid>(TableKind.Sv39),
        F<Sv39PagingMetaData, RiscVPte, RvProtNoneAddressDropped>(TableKind.Sv39),
        F<Sv48PagingMetaData, RiscVPte, RvWriteMoved>(TableKind.Sv48),
        F<Sv48PagingMetaData, RiscVPte, RvMaskShort>(TableKind.Sv48),
        F<Sv48PagingMetaData, RiscVPte, RvPpnShift>(TableKind.Sv48),
        F<Sv48PagingMetaData, RiscVPte, RvUserInverted>(TableKind.Sv48),
        F<Sv48PagingMetaData, RiscVPte, RvHugeIgnored>(TableKind.Sv48),
        F<Sv48PagingMetaData, RiscVPte, RvProtNoneLeftValid>(TableKind.Sv48),
        F<Sv48PagingMetaData, RiscVPte, RvProtNoneAddressDropped>(TableKind.Sv48),
        F<La64PagingMetaData, La64Pte, LaDirtyMoved>(TableKind.La64),
        F<La64PagingMetaData, La64Pte, LaMaskShort>(TableKind.La64),
        F<La64PagingMetaData, La64Pte, LaAddressShift>(TableKind.La64),
        F<La64PagingMetaData, La64Pte, LaNxInverted>(TableKind.La64),
        F<La64PagingMetaData, La64Pte, LaHugeIgnored>(TableKind.La64),
        F<La64PagingMetaData, La64Pte, LaProtNoneLeftValid>(TableKind.La64),
        F<La64PagingMetaData, La64Pte, LaProtNoneAddressDropped>(TableKind.La64),
        S<X64PagingMetaData, X64Pte, WrongStride>(TableKind.X64),
        S<X64PagingMetaData, X64Pte, HalfFlagsLost>(TableKind.X64),
        S<X64PagingMetaData, X64Pte, HugeBitKept>(TableKind.X64),
        S<A64PagingMetaData, A64Pte, WrongStride>(TableKind.A64),
        S<A64PagingMetaData, A64Pte, HalfFlagsLost>(TableKind.A64),
        S<A64PagingMetaData, A64Pte, HugeBitKept>(TableKind.A64),
        S<Sv39PagingMetaData, RiscVPte, WrongStride>(TableKind.Sv39),
        S<Sv39PagingMetaData, RiscVPte, HalfFlagsLost>(TableKind.Sv39),
        S<Sv48PagingMetaData, RiscVPte, WrongStride>(TableKind.Sv48),
        S<Sv48PagingMetaData, RiscVPte, HalfFlagsLost>(TableKind.Sv48),
        S<La64PagingMetaData, La64Pte, WrongStride>(TableKind.La64),
        S<La64PagingMetaData, La64Pte, HalfFlagsLost>(TableKind.La64),
    ];

    public static HandMadeFault ByName(string name) => All.Single(f => f.Name == name);
}
