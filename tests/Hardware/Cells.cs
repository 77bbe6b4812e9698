using System.Buffers.Binary;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Hardware;

/// <summary>
/// The 16-byte cell at physical <c>p</c> (docs/hardware-checks.md section 5): a fetch stub that returns
/// <c>V(p) = p &gt;&gt; 4</c>, then <c>V(p)</c> as a 32-bit word. Encodings from the ISA manuals, checked against
/// clang-19's disassembly (RISC-V Unprivileged ISA: LUI, ADDIW, JALR; Arm ARM C6.2: MOVZ, MOVK, RET; LoongArch
/// Reference Manual Vol. 1 §2.2: LU12I.W, ORI, JIRL; Intel SDM Vol. 2: MOV r32, imm32 (B8+rd), RET (C3), INT3 (CC)).
/// </summary>
public static class Cells
{
    public static ulong Value(ulong pa) => pa >> 4;

    public static byte[] Encode(TableKind kind, ulong pa)
    {
        if ((pa & 15) != 0) throw new ArgumentException($"cell address 0x{pa:x} is not 16-byte aligned", nameof(pa));
        ulong v64 = Value(pa);
        if (v64 >= 1UL << 31) throw new ArgumentException($"cell address 0x{pa:x} is too high for a 31-bit stub value", nameof(pa));
        uint v = (uint)v64;
        var cell = new byte[16];
        if (kind == TableKind.X64)
        {
            cell[0] = 0xB8;
            BinaryPrimitives.WriteUInt32LittleEndian(cell.AsSpan(1), v);
            cell[5] = 0xC3;
            cell[6] = cell[7] = 0xCC;
            BinaryPrimitives.WriteUInt32LittleEndian(cell.AsSpan(8), v);
            cell[12] = cell[13] = cell[14] = cell[15] = 0xCC;
            return cell;
        }

        uint[] words = kind switch
        {
            TableKind.Sv39 or TableKind.Sv48 => RiscV(v),
            TableKind.A64 => [0xD280_0000u | ((v & 0xffff) << 5), 0xF2A0_0000u | ((v >> 16) << 5), 0xD65F_03C0u, v],
            TableKind.La64 => [0x1400_0000u | ((v >> 12) << 5) | 4, 0x0380_0000u | ((v & 0xfff) << 10) | (4 << 5) | 4, 0x4C00_0020u, v],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteUInt32LittleEndian(cell.AsSpan(4 * i), words[i]);
        return cell;
    }

    private static uint[] RiscV(uint v)
    {
        uint hi = (v + 0x800) >> 12;
        int lo = (int)v - (int)(hi << 12);
        uint lui = (hi << 12) | (10u << 7) | 0x37;                          // lui a0, hi
        uint addiw = (((uint)lo & 0xfff) << 20) | (10u << 15) | (10u << 7) | 0x1B; // addiw a0, a0, lo
        return [lui, addiw, 0x0000_8067u, v];                                // jalr x0, 0(ra)
    }

    /// <summary>The cell's two 8-byte words, as a load reads them.</summary>
    public static (ulong Low, ulong High) Words(TableKind kind, ulong pa)
    {
        byte[] cell = Encode(kind, pa);
        return (BinaryPrimitives.ReadUInt64LittleEndian(cell), BinaryPrimitives.ReadUInt64LittleEndian(cell.AsSpan(8)));
    }
}
