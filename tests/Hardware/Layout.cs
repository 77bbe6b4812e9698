using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Hardware;

/// <summary>
/// One architecture's guest memory map and QEMU command, exactly as docs/hardware-checks.md section 4 gives them.
/// </summary>
/// <param name="Kind">The table format.</param>
/// <param name="ArchCode">The check list's arch field (1 X64, 2 A64, 3 Sv39, 4 Sv48, 5 La64).</param>
/// <param name="KernelFolder">The folder under kernels/ with the checker's sources.</param>
/// <param name="KBase">The kernel's link address.</param>
/// <param name="List">Where the check list is loaded.</param>
/// <param name="TablesBase">Where the table image (the arena) is loaded.</param>
/// <param name="WindowStart">First byte of the data window (1 GiB aligned).</param>
/// <param name="WindowEnd">End of the data window.</param>
/// <param name="UartPage">The UART's 4 KiB page, or null when it needs no mapping.</param>
/// <param name="NeedsSupportMappings">False where the kernel runs untranslated (LoongArch DMW).</param>
/// <param name="QemuBinary">The QEMU system emulator.</param>
/// <param name="QemuArguments">The arguments before the kernel path and the loader devices.</param>
public sealed record Layout(
    TableKind Kind, ulong ArchCode, string KernelFolder, ulong KBase, ulong List, ulong TablesBase,
    ulong WindowStart, ulong WindowEnd, ulong? UartPage, bool NeedsSupportMappings,
    string QemuBinary, string[] QemuArguments)
{
    public const ulong KernelSize = 0x8_0000;
    public const int TableFrames = 32 * 1024 * 1024 / 0x1000;

    public ulong UserPage => KBase + KernelSize;

    public ulong UserStack => KBase + KernelSize + 0x1000;

    public static Layout For(TableKind kind) => kind switch
    {
        TableKind.Sv39 or TableKind.Sv48 => new Layout(kind, kind == TableKind.Sv39 ? 3UL : 4UL, "riscv64",
            KBase: 0x8020_0000, List: 0x8100_0000, TablesBase: 0x8200_0000,
            WindowStart: 0xC000_0000, WindowEnd: 0x1_4000_0000, UartPage: 0x1000_0000, NeedsSupportMappings: true,
            "qemu-system-riscv64", ["-machine", "virt", "-m", "4G", "-display", "none", "-monitor", "none", "-bios", "default"]),
        TableKind.A64 => new Layout(kind, 2, "aarch64",
            KBase: 0x4020_0000, List: 0x4100_0000, TablesBase: 0x4200_0000,
            WindowStart: 0x8000_0000, WindowEnd: 0x1_0000_0000, UartPage: 0x0900_0000, NeedsSupportMappings: true,
            "qemu-system-aarch64", ["-machine", "virt", "-cpu", "cortex-a72", "-m", "4G", "-display", "none", "-monitor", "none"]),
        TableKind.X64 => new Layout(kind, 1, "x86_64",
            KBase: 0x20_0000, List: 0x100_0000, TablesBase: 0x200_0000,
            WindowStart: 0x4000_0000, WindowEnd: 0xC000_0000, UartPage: null, NeedsSupportMappings: true,
            "qemu-system-x86_64", ["-machine", "pc", "-cpu", "max", "-m", "4G", "-no-reboot", "-display", "none", "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]),
        TableKind.La64 => new Layout(kind, 5, "loongarch64",
            KBase: 0x20_0000, List: 0x100_0000, TablesBase: 0x200_0000,
            WindowStart: 0xC000_0000, WindowEnd: 0x1_4000_0000, UartPage: null, NeedsSupportMappings: false,
            "qemu-system-loongarch64", ["-machine", "virt", "-m", "4G", "-display", "none", "-monitor", "none"]),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The same machine with another QEMU CPU model (<c>-cpu</c>).</summary>
    public Layout WithCpu(string cpu)
    {
        string[] args = (string[])QemuArguments.Clone();
        int at = Array.IndexOf(args, "-cpu");
        if (at < 0) throw new InvalidOperationException($"{Kind} has no -cpu argument");
        args[at + 1] = cpu;
        return this with { QemuArguments = args };
    }

    /// <summary>Whether the 16-byte cell at <paramref name="pa"/> lies in the data window.</summary>
    public bool InWindow(ulong pa) => pa >= WindowStart && pa + 16 <= WindowEnd && pa + 16 > pa;

    /// <summary>
    /// The support mappings of docs/hardware-checks.md section 4 for a check list of <paramref name="listBytes"/>:
    /// (va = pa, flags), 4 KiB pages.
    /// </summary>
    public IEnumerable<(ulong Va, MappingFlags Flags)> SupportPages(ulong listBytes)
    {
        if (!NeedsSupportMappings) yield break;
        for (ulong off = 0; off < KernelSize; off += 0x1000)
            yield return (KBase + off, MappingFlags.Read | MappingFlags.Write | MappingFlags.Execute);
        yield return (UserPage, MappingFlags.Read | MappingFlags.Execute | MappingFlags.User);
        yield return (UserStack, MappingFlags.Read | MappingFlags.Write | MappingFlags.User);
        for (ulong off = 0; off < listBytes; off += 0x1000)
            yield return (List + off, MappingFlags.Read);
        if (UartPage is { } uart)
            yield return (uart, MappingFlags.Read | MappingFlags.Write | MappingFlags.Device);
    }
}
