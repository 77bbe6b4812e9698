using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// <see cref="TableImage"/>: the frames a loader places and the register values, worked out by hand from the manuals
/// (satp: RISC-V Privileged Architecture, satp register; TCR_EL1/MAIR_EL1: Arm ARM D17.2; PWCL/PWCH: LoongArch
/// Reference Manual Vol. 1 §7.5).
/// </summary>
public sealed class TableImageTests
{
    private const ulong Base = 0x8200_0000;
    private static readonly MappingFlags Rw = MappingFlags.Read | MappingFlags.Write;

    [Fact]
    public void Sv39ImageHoldsSatpWithModeEightAndTheRootPpn()
    {
        using var arena = new FrameArena(new PhysAddr(Base), 16);
        using var table = Sv39PageTable.TryCreate(arena).Value;
        var image = TableImage.Of(table);
        Assert.Equal([new ImageRegister("satp", 0x8000_0000_0008_2000)], image.Registers);
        Assert.Equal(new PhysAddr(Base), image.LoadAddress);
        Assert.Equal(new PhysAddr(Base), image.RootPaddr);
    }

    [Fact]
    public void Sv48ImageHoldsSatpWithModeNine()
    {
        using var arena = new FrameArena(new PhysAddr(Base), 16);
        arena.TryAllocFrame(out _); // the root is the second frame
        using var table = Sv48PageTable.TryCreate(arena).Value;
        var image = TableImage.Of(table);
        Assert.Equal([new ImageRegister("satp", 0x9000_0000_0008_2001)], image.Registers);
        Assert.Equal(new PhysAddr(Base + 0x1000), image.RootPaddr);
    }

    [Fact]
    public void X64ImageHoldsCr3()
    {
        using var arena = new FrameArena(new PhysAddr(0x20_0000), 16);
        using var table = X64PageTable.TryCreate(arena).Value;
        Assert.Equal([new ImageRegister("CR3", 0x20_0000)], TableImage.Of(table).Registers);
    }

    [Fact]
    public void A64ImageHoldsBothTtbrsMairAndTcr()
    {
        using var arena = new FrameArena(new PhysAddr(0x4200_0000), 16);
        using var table = A64PageTable.TryCreate(arena).Value;
        Assert.Equal(
            [
                new ImageRegister("TTBR0_EL1", 0x4200_0000),
                new ImageRegister("TTBR1_EL1", 0x4200_0000),
                new ImageRegister("MAIR_EL1", 0x44_ff04),
                new ImageRegister("TCR_EL1", 0x5_b510_3510),
            ],
            TableImage.Of(table).Registers);
    }

    [Fact]
    public void La64ImageHoldsBothDirectoryBasesAndTheWalkLayout()
    {
        using var arena = new FrameArena(new PhysAddr(0x200_0000), 16);
        using var table = La64PageTable.TryCreate(arena).Value;
        Assert.Equal(
            [
                new ImageRegister("PGDL", 0x200_0000),
                new ImageRegister("PGDH", 0x200_0000),
                new ImageRegister("PWCL", 0x13e4_d52c),
                new ImageRegister("PWCH", 0x267),
                new ImageRegister("STLBPS", 12),
                new ImageRegister("TLBREHI", 12),
            ],
            TableImage.Of(table).Registers);
    }

    [Fact]
    public void BytesAreTheFramesInUseUpToTheHighestWithFreeFramesZeroed()
    {
        using var arena = new FrameArena(new PhysAddr(Base), 16);
        Assert.True(arena.TryAllocFrame(out PhysAddr junk)); // frame 0: dirtied, then freed
        arena.WriteUInt64(junk + 0x18, 0xdead_beef);
        using var table = Sv39PageTable.TryCreate(arena).Value; // frame 1
        Assert.True(table.Map(new VirtAddr(0x4000_1000), new PhysAddr(0xC000_0000), PageSize.Size4K, Rw).IsOk); // frames 2, 3
        arena.FreeFrame(junk); // free, and still dirty

        var image = TableImage.Of(table);
        byte[] bytes = image.Bytes.ToArray();
        Assert.Equal(4 * 0x1000, bytes.Length);
        Assert.All(bytes[..0x1000], b => Assert.Equal(0, b));
        Assert.Equal(arena.Memory[0x1000..0x4000].ToArray(), bytes[0x1000..]);
        // The root's entry 1 points to the level-1 table in frame 2; its entry 0 to the leaf table in frame 3.
        Assert.Equal((0x8200_2000UL >> 12 << 10) | 1, BitConverter.ToUInt64(bytes, 0x1000 + 8));
        Assert.Equal((0x8200_3000UL >> 12 << 10) | 1, BitConverter.ToUInt64(bytes, 0x2000));
        Assert.NotEqual(0UL, BitConverter.ToUInt64(bytes, 0x3000 + 8));
    }

    [Fact]
    public void FreeFramesBetweenTablesAreZeroAndTheImageEndsAtTheHighestInUse()
    {
        using var arena = new FrameArena(new PhysAddr(Base), 8);
        using var table = X64PageTable.TryCreate(arena).Value; // frame 0
        Assert.True(arena.TryAllocFrame(out PhysAddr hole)); // frame 1
        Assert.True(arena.TryAllocFrame(out PhysAddr top)); // frame 2
        arena.WriteUInt64(hole, 0x1111);
        arena.WriteUInt64(top + 0xff8, 0x2222);
        arena.FreeFrame(hole);

        byte[] bytes = TableImage.Of(table).Bytes.ToArray();
        Assert.Equal(3 * 0x1000, bytes.Length);
        Assert.All(bytes[0x1000..0x2000], b => Assert.Equal(0, b));
        Assert.Equal(0x2222UL, BitConverter.ToUInt64(bytes, 0x2ff8));
    }

    [Fact]
    public void AnImageOfAFullArenaCoversEveryFrame()
    {
        using var arena = new FrameArena(new PhysAddr(Base), 2);
        using var table = Sv48PageTable.TryCreate(arena).Value;
        Assert.True(arena.TryAllocFrame(out PhysAddr last));
        arena.WriteUInt64(last, 7);
        byte[] bytes = TableImage.Of(table).Bytes.ToArray();
        Assert.Equal(2 * 0x1000, bytes.Length);
        Assert.Equal(7UL, BitConverter.ToUInt64(bytes, 0x1000));
    }

    [Fact]
    public void WriteFilesWritesTheBytesAndTheRegisterText()
    {
        using var arena = new FrameArena(new PhysAddr(Base), 4);
        using var table = Sv39PageTable.TryCreate(arena).Value;
        var image = TableImage.Of(table);
        string dir = Path.Combine(Path.GetTempPath(), "ptimage-" + Guid.NewGuid().ToString("n"), "sub");
        try
        {
            string bin = image.WriteFiles(dir, "tables");
            Assert.Equal(Path.Combine(dir, "tables.bin"), bin);
            Assert.Equal(image.Bytes.ToArray(), File.ReadAllBytes(bin));
            Assert.Equal("# load at 0x82000000, root at 0x82000000\nsatp=0x8000000000082000\n", File.ReadAllText(Path.Combine(dir, "tables.regs")));
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "tables.regs")), image.RegistersText);
            Assert.Equal($"loader,file={bin},addr=0x82000000,force-raw=on", image.QemuLoaderDevice(bin));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }

    [Fact]
    public void RegistersTextListsEveryRegisterInOrder()
    {
        using var arena = new FrameArena(new PhysAddr(0x4200_0000), 4);
        arena.TryAllocFrame(out _);
        using var table = A64PageTable.TryCreate(arena).Value;
        Assert.Equal(
            "# load at 0x42000000, root at 0x42001000\nTTBR0_EL1=0x42001000\nTTBR1_EL1=0x42001000\nMAIR_EL1=0x44ff04\nTCR_EL1=0x5b5103510\n",
            TableImage.Of(table).RegistersText);
        Assert.Equal("CR3=0x1a", new ImageRegister("CR3", 0x1a).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("/b")]
    [InlineData("a\\b")]
    [InlineData("\\b")]
    [InlineData("a\0")]
    public void WriteFilesRefusesNamesThatAreNotPlainFileNames(string name)
    {
        using var arena = new FrameArena(new PhysAddr(Base), 4);
        using var table = Sv39PageTable.TryCreate(arena).Value;
        string dir = Path.Combine(Path.GetTempPath(), "ptimage-" + Guid.NewGuid().ToString("n"));
        Assert.Throws<ArgumentException>(() => TableImage.Of(table).WriteFiles(dir, name));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void BadArgumentsThrowDocumentedExceptions()
    {
        using var arena = new FrameArena(new PhysAddr(Base), 4);
        using var table = Sv39PageTable.TryCreate(arena).Value;
        var image = TableImage.Of(table);
        Assert.Equal("directory", Assert.Throws<ArgumentNullException>(() => image.WriteFiles(null!, "x")).ParamName);
        Assert.StartsWith("'a/b' is not a plain file name.", Assert.Throws<ArgumentException>(() => image.WriteFiles("d", "a/b")).Message, StringComparison.Ordinal);
        Assert.StartsWith("QEMU option values cannot contain a comma.", Assert.Throws<ArgumentException>(() => image.QemuLoaderDevice("/tmp/a,b.bin")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => image.WriteFiles("d", null!));
        Assert.Throws<ArgumentNullException>(() => image.QemuLoaderDevice(null!));
        Assert.Throws<ArgumentException>(() => image.QemuLoaderDevice(""));
        Assert.Throws<ArgumentException>(() => image.QemuLoaderDevice("/tmp/a,b.bin"));
        Assert.Throws<ArgumentNullException>(() => TableImage.Of((X64PageTable<ArenaHandler>)null!));
        Assert.Throws<ArgumentNullException>(() => TableImage.Of((A64PageTable<ArenaHandler>)null!));
        Assert.Throws<ArgumentNullException>(() => TableImage.Of((Sv39PageTable<ArenaHandler>)null!));
        Assert.Throws<ArgumentNullException>(() => TableImage.Of((Sv48PageTable<ArenaHandler>)null!));
        Assert.Throws<ArgumentNullException>(() => TableImage.Of((La64PageTable<ArenaHandler>)null!));
    }

    [Fact]
    public void DisposedTablesAndArenasThrow()
    {
        var arena = new FrameArena(new PhysAddr(Base), 4);
        var table = Sv39PageTable.TryCreate(arena).Value;
        var other = Sv39PageTable.TryCreate(arena).Value;
        table.Dispose();
        Assert.Throws<ObjectDisposedException>(() => TableImage.Of(table));
        arena.Dispose();
        Assert.Throws<ObjectDisposedException>(() => TableImage.Of(other));
    }
}
