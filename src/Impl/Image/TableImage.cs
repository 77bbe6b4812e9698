using System.Globalization;
using System.Text;

namespace PageTableMultiarch;

/// <summary>One register value that activates a table on its architecture, for example <c>satp</c> or <c>TTBR0_EL1</c>.</summary>
/// <param name="Name">The register's name as the architecture manual writes it.</param>
/// <param name="Value">The 64-bit value to write into it.</param>
public readonly record struct ImageRegister(string Name, ulong Value)
{
    /// <summary>Prints <c>NAME=0x…</c>, the form <see cref="TableImage.RegistersText"/> uses.</summary>
    /// <returns>For example <c>satp=0x8000000000082000</c>.</returns>
    public override string ToString() => $"{Name}=0x{Value.ToString("x", CultureInfo.InvariantCulture)}";
}

/// <summary>
/// What a real machine needs to run on a table built in a <see cref="FrameArena"/>: the arena's frames as one
/// block of bytes to place at the arena's guest-physical base, and the register values that make the MMU walk
/// the table. The bytes hold every table frame in use (other tables sharing the arena included) and zeros for
/// free frames; they end after the highest frame in use.
/// </summary>
/// <remarks>
/// <para>Registers per architecture (docs/hardware-checks.md has the full boot sequence):</para>
/// <list type="table">
/// <item><term>x86_64</term><description><c>CR3</c> = root (PWT = PCD = 0, no PCID; Intel SDM Vol. 3A §4.5, Table 4-12).</description></item>
/// <item><term>AArch64</term><description><c>TTBR0_EL1</c> = <c>TTBR1_EL1</c> = root (ASID 0), <c>MAIR_EL1</c> =
/// <see cref="A64PagingMetaData.MairEl1"/>, <c>TCR_EL1</c> = <see cref="A64TcrEl1"/> (Arm ARM DDI 0487, D17.2).</description></item>
/// <item><term>RISC-V</term><description><c>satp</c> = MODE &lt;&lt; 60 | root &gt;&gt; 12, MODE 8 for Sv39 and 9 for Sv48,
/// ASID 0 (Privileged Architecture, "Supervisor Address Translation and Protection (satp) Register").</description></item>
/// <item><term>LoongArch64</term><description><c>PGDL</c> = <c>PGDH</c> = root, <c>PWCL</c> = <see cref="La64PagingMetaData.Pwcl"/>,
/// <c>PWCH</c> = <see cref="La64PagingMetaData.Pwch"/>, <c>STLBPS</c> = 12 and <c>TLBREHI</c> = 12 (PS = 4 KiB)
/// (LoongArch Reference Manual Vol. 1 §7.5).</description></item>
/// </list>
/// </remarks>
public sealed class TableImage
{
    /// <summary>
    /// The TCR_EL1 value the AArch64 format assumes (Arm ARM DDI 0487, D17.2, TCR_EL1): T0SZ = T1SZ = 16 (48-bit
    /// addresses, walks start at level 0), TG0 = 0b00 and TG1 = 0b10 (4 KiB granule), IRGN0/ORGN0/IRGN1/ORGN1 = 0b01
    /// (write-back walks), SH0 = SH1 = 0b11 (inner shareable), IPS = 0b101 (48-bit physical addresses), 8-bit ASID,
    /// TBI0 = TBI1 = 0, HA = HD = 0, EPD0 = EPD1 = 0.
    /// </summary>
    public const ulong A64TcrEl1 =
        16UL | (0b01UL << 8) | (0b01UL << 10) | (0b11UL << 12) | (0b00UL << 14)
        | (16UL << 16) | (0b01UL << 24) | (0b01UL << 26) | (0b11UL << 28) | (0b10UL << 30)
        | (0b101UL << 32);

    private readonly byte[] _bytes;
    private readonly ImageRegister[] _registers;

    private TableImage(PhysAddr loadAddress, PhysAddr root, byte[] bytes, ImageRegister[] registers)
    {
        LoadAddress = loadAddress;
        RootPaddr = root;
        _bytes = bytes;
        _registers = registers;
    }

    /// <summary>The guest-physical address the first byte of <see cref="Bytes"/> belongs at: the arena's base.</summary>
    public PhysAddr LoadAddress { get; }

    /// <summary>The root table's guest-physical address.</summary>
    public PhysAddr RootPaddr { get; }

    /// <summary>The arena's frames from <see cref="LoadAddress"/> up to and including the highest frame in use; free frames are zero.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The registers that activate the table, in the order the architecture's table above lists them.</summary>
    public IReadOnlyList<ImageRegister> Registers => _registers;

    /// <summary>The image of an x86_64 table.</summary>
    /// <typeparam name="TPte">The entry format (<see cref="X64Pte"/> etc., or a format of the caller's own for that architecture).</typeparam>
    /// <param name="table">A table whose frames come from a <see cref="FrameArena"/>.</param>
    /// <returns>The frames and <c>CR3</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="table"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The table or its arena has been disposed.</exception>
    public static TableImage Of<TPte>(PageTable64<X64PagingMetaData, TPte, ArenaHandler> table) where TPte : unmanaged, IGenericPte<TPte>
    {
        ArgumentNullException.ThrowIfNull(table);
        ulong root = table.RootPaddr.Value;
        return Capture(table.Handler.Arena, root, [new ImageRegister("CR3", root)]);
    }

    /// <summary>The image of an AArch64 table (the same root in both translation table base registers).</summary>
    /// <typeparam name="TPte">The entry format (<see cref="X64Pte"/> etc., or a format of the caller's own for that architecture).</typeparam>
    /// <param name="table">A table whose frames come from a <see cref="FrameArena"/>.</param>
    /// <returns>The frames and <c>TTBR0_EL1</c>, <c>TTBR1_EL1</c>, <c>MAIR_EL1</c>, <c>TCR_EL1</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="table"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The table or its arena has been disposed.</exception>
    public static TableImage Of<TPte>(PageTable64<A64PagingMetaData, TPte, ArenaHandler> table) where TPte : unmanaged, IGenericPte<TPte>
    {
        ArgumentNullException.ThrowIfNull(table);
        ulong root = table.RootPaddr.Value;
        return Capture(table.Handler.Arena, root,
        [
            new ImageRegister("TTBR0_EL1", root),
            new ImageRegister("TTBR1_EL1", root),
            new ImageRegister("MAIR_EL1", A64PagingMetaData.MairEl1),
            new ImageRegister("TCR_EL1", A64TcrEl1),
        ]);
    }

    /// <summary>The image of an Sv39 table.</summary>
    /// <typeparam name="TPte">The entry format (<see cref="X64Pte"/> etc., or a format of the caller's own for that architecture).</typeparam>
    /// <param name="table">A table whose frames come from a <see cref="FrameArena"/>.</param>
    /// <returns>The frames and <c>satp</c> with MODE = Sv39.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="table"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The table or its arena has been disposed.</exception>
    public static TableImage Of<TPte>(PageTable64<Sv39PagingMetaData, TPte, ArenaHandler> table) where TPte : unmanaged, IGenericPte<TPte>
    {
        ArgumentNullException.ThrowIfNull(table);
        ulong root = table.RootPaddr.Value;
        return Capture(table.Handler.Arena, root, [new ImageRegister("satp", Satp(Sv39PagingMetaData.SatpMode, root))]);
    }

    /// <summary>The image of an Sv48 table.</summary>
    /// <typeparam name="TPte">The entry format (<see cref="X64Pte"/> etc., or a format of the caller's own for that architecture).</typeparam>
    /// <param name="table">A table whose frames come from a <see cref="FrameArena"/>.</param>
    /// <returns>The frames and <c>satp</c> with MODE = Sv48.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="table"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The table or its arena has been disposed.</exception>
    public static TableImage Of<TPte>(PageTable64<Sv48PagingMetaData, TPte, ArenaHandler> table) where TPte : unmanaged, IGenericPte<TPte>
    {
        ArgumentNullException.ThrowIfNull(table);
        ulong root = table.RootPaddr.Value;
        return Capture(table.Handler.Arena, root, [new ImageRegister("satp", Satp(Sv48PagingMetaData.SatpMode, root))]);
    }

    /// <summary>The image of a LoongArch64 table (the same root for both halves).</summary>
    /// <typeparam name="TPte">The entry format (<see cref="X64Pte"/> etc., or a format of the caller's own for that architecture).</typeparam>
    /// <param name="table">A table whose frames come from a <see cref="FrameArena"/>.</param>
    /// <returns>The frames and <c>PGDL</c>, <c>PGDH</c>, <c>PWCL</c>, <c>PWCH</c>, <c>STLBPS</c>, <c>TLBREHI</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="table"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The table or its arena has been disposed.</exception>
    public static TableImage Of<TPte>(PageTable64<La64PagingMetaData, TPte, ArenaHandler> table) where TPte : unmanaged, IGenericPte<TPte>
    {
        ArgumentNullException.ThrowIfNull(table);
        ulong root = table.RootPaddr.Value;
        return Capture(table.Handler.Arena, root,
        [
            new ImageRegister("PGDL", root),
            new ImageRegister("PGDH", root),
            new ImageRegister("PWCL", La64PagingMetaData.Pwcl),
            new ImageRegister("PWCH", La64PagingMetaData.Pwch),
            new ImageRegister("STLBPS", PageShift4K),
            new ImageRegister("TLBREHI", PageShift4K),
        ]);
    }

    /// <summary>The registers as text: a comment line with the load address, then one <c>NAME=0x…</c> line per register.</summary>
    public string RegistersText
    {
        get
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"# load at 0x{LoadAddress.Value:x}, root at 0x{RootPaddr.Value:x}\n");
            foreach (ImageRegister register in _registers) text.Append(register.ToString()).Append('\n');
            return text.ToString();
        }
    }

    /// <summary>
    /// Writes <c><paramref name="name"/>.bin</c> (the <see cref="Bytes"/>) and <c><paramref name="name"/>.regs</c>
    /// (<see cref="RegistersText"/>) into <paramref name="directory"/>, creating it if needed.
    /// </summary>
    /// <param name="directory">Where the files go.</param>
    /// <param name="name">The file names without extension; a plain name, no directory part.</param>
    /// <returns>The full path of the <c>.bin</c> file.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or holds a directory separator or an invalid character.</exception>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="IOException">The files cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The files cannot be written.</exception>
    public string WriteFiles(string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Contains('\\', StringComparison.Ordinal))
            throw new ArgumentException($"'{name}' is not a plain file name.", nameof(name));
        Directory.CreateDirectory(directory);
        string bin = Path.GetFullPath(Path.Combine(directory, name + ".bin"));
        File.WriteAllBytes(bin, _bytes);
        File.WriteAllText(Path.Combine(directory, name + ".regs"), RegistersText);
        return bin;
    }

    /// <summary>The QEMU device option that places <paramref name="binPath"/> (this image's bytes) at <see cref="LoadAddress"/>.</summary>
    /// <param name="binPath">The path <see cref="WriteFiles"/> returned; it must not contain a comma (QEMU's option separator).</param>
    /// <returns>For example <c>loader,file=/tmp/t.bin,addr=0x82000000,force-raw=on</c>, the argument of <c>-device</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="binPath"/> is empty or contains a comma.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="binPath"/> is null.</exception>
    public string QemuLoaderDevice(string binPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(binPath);
        if (binPath.Contains(',', StringComparison.Ordinal))
            throw new ArgumentException("QEMU option values cannot contain a comma.", nameof(binPath));
        return $"loader,file={binPath},addr=0x{LoadAddress.Value.ToString("x", CultureInfo.InvariantCulture)},force-raw=on";
    }

    private const ulong PageShift4K = 12;

    /// <summary>satp: MODE in bits 63:60, ASID (0) in 59:44, the root's PPN in 43:0.</summary>
    // Stryker disable once Bitwise : root is unsigned, so >> and >>> are the same shift
    private static ulong Satp(ulong mode, ulong root) => (mode << 60) | (root >> 12);

    private static TableImage Capture(FrameArena arena, ulong root, ImageRegister[] registers)
    {
        // The highest frame in use ends the image; the root is in use, so the loop stops at 1 or above.
        // IsInUse throws ObjectDisposedException for a disposed arena.
        int frames = arena.FrameCount;
        while (!arena.IsInUse(FrameAddress(arena, frames - 1))) frames--;
        long length = (long)frames * FrameArena.FrameSize;
        // Stryker disable once Equality,Statement,String : an image of 2 GiB or more cannot be built in a test (nor does >= differ at a multiple of 4 KiB)
        if (length > Array.MaxLength)
            throw new NotSupportedException($"The frames in use span 0x{length:x} bytes, more than one image can hold.");

        // Frame by frame, so arenas of any size work; free frames stay zero.
        byte[] bytes = new byte[length];
        // Stryker disable once Equality : one frame more is the frame after the last in use (or past the arena), which is
        // not in use and is not copied
        for (int i = 0; i < frames; i++)
        {
            PhysAddr frame = FrameAddress(arena, i);
            if (arena.IsInUse(frame)) arena.Frame(frame).CopyTo(bytes.AsSpan(i * FrameArena.FrameSize, FrameArena.FrameSize));
        }

        return new TableImage(arena.BasePaddr, new PhysAddr(root), bytes, registers);
    }

    private static PhysAddr FrameAddress(FrameArena arena, int index) => arena.BasePaddr + (ulong)index * FrameArena.FrameSize;
}
