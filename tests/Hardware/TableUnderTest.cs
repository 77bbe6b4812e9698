using PageTableModel;
using PageTableModel.Hardware;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Hardware;

/// <summary>
/// One table of a boot: Impl's table in the shared arena and the model beside it. Every operation runs on both and
/// must give the same outcome; the support mappings the kernel needs are mapped first, on both sides.
/// </summary>
public sealed class TableUnderTest
{
    /// <summary>How much of the check list the support mappings cover (the list must fit).</summary>
    public const ulong ListSpan = 0x40_0000;

    private readonly HashSet<ulong> _supportPages = [];

    public TableUnderTest(Layout layout, FrameArena arena, Func<TableKind, FrameArena, IImplTable>? factory = null)
    {
        Layout = layout;
        Arena = arena;
        Impl = (factory ?? Tables.CreateImpl)(layout.Kind, arena);
        Model = new ReferenceModel(Tables.ModelArch(layout.Kind));
        Memory = new ArenaMemory(arena);
        foreach (var (va, flags) in layout.SupportPages(ListSpan))
        {
            Apply(new MapOp(va, va, PageSize.Size4K, flags));
            _supportPages.Add(va);
        }
    }

    public Layout Layout { get; }

    public FrameArena Arena { get; }

    public IImplTable Impl { get; }

    public ReferenceModel Model { get; }

    public IPhysicalMemory Memory { get; }

    /// <summary>Whether <paramref name="va"/> lies in a support page.</summary>
    public bool IsSupport(ulong va) => _supportPages.Contains(va & ~0xfffUL);

    /// <summary>Whether an operation on [<paramref name="va"/>, +<paramref name="size"/>) could touch a support page.</summary>
    public bool TouchesSupport(ulong va, ulong size) =>
        _supportPages.Any(p => p < unchecked(va + size) && va < p + 0x1000) || unchecked(va + size) < va;

    /// <summary>Runs <paramref name="op"/> on Impl and on the model; they must agree. On La64 the operation's 4 KiB frames
    /// first get their virtual address's colour (<see cref="SameColour"/>).</summary>
    public Outcome Apply(PageOp op, TableUnderTest? peer = null)
    {
        if (Layout.Kind == TableKind.La64) op = SameColour(op, Model);
        Outcome impl = Impl.Apply(op, peer?.Impl, null);
        Outcome model = ModelSide.Apply(Model, op, peer?.Model ?? Model);
        if (impl != model) throw new InvalidOperationException($"{Layout.Kind} {op}: Impl gives {impl}, the model {model}");
        return impl;
    }

    /// <summary>
    /// The La64 frame rule (docs/hardware-checks.md section 9): QEMU 7.2 translates in 16 KiB pages, so a 4 KiB page
    /// reaches <c>(frame &amp; ~0x3fff) | (va &amp; 0x3fff)</c>, which is the frame the manual names only when the
    /// frame's bits 13:12 (its colour) equal the virtual address's. Every 4 KiB frame an operation gives is chosen
    /// that way: a 4 KiB <see cref="MapOp"/> and a <see cref="RemapOp"/> of a 4 KiB page take the colour of their
    /// virtual address, and a <see cref="MapRegionOp"/> takes its start's colour for its base, with a scramble of
    /// address bits 13:12 moved to bits 15:14 (so pages stay scrambled, in 16 KiB steps). Bits 11:0 are kept, so an
    /// unaligned address stays unaligned; an operation on a huge page is unchanged (its virtual and physical addresses
    /// are both aligned or the operation fails).
    /// </summary>
    public static PageOp SameColour(PageOp op, ReferenceModel model) => op switch
    {
        MapOp m when m.Size == PageSize.Size4K => m with { Pa = Colour(m.Pa, m.Va) },
        RemapOp r when model.Translate(r.Va) is { Size: 0x1000 } => r with { Pa = Colour(r.Pa, r.Va) },
        MapRegionOp mr => mr with
        {
            PaBase = Colour(mr.PaBase, mr.Va),
            Scramble = (mr.Scramble & ~ColourBits) | ((mr.Scramble & ColourBits) << 2),
        },
        _ => op,
    };

    /// <summary>Address bits 13:12: a 4 KiB frame's place in its 16 KiB block.</summary>
    public const ulong ColourBits = 0x3000;

    private static ulong Colour(ulong pa, ulong va) => (pa & ~ColourBits) | (va & ColourBits);

    /// <summary>Runs <paramref name="op"/> and requires success.</summary>
    public void Do(PageOp op, TableUnderTest? peer = null)
    {
        Outcome outcome = Apply(op, peer);
        if (!outcome.IsOk) throw new InvalidOperationException($"{Layout.Kind} {op}: expected success, got {outcome}");
    }

    /// <summary>The registers of docs/hardware-checks.md section 2 (reg0..reg5) from <see cref="TableImage"/>.</summary>
    public ulong[] Registers()
    {
        var regs = new ulong[6];
        var image = Image();
        for (int i = 0; i < image.Registers.Count; i++) regs[i] = image.Registers[i].Value;
        return regs;
    }

    /// <summary>The table image of this table (the whole shared arena, this table's registers).</summary>
    public TableImage Image()
    {
        Type type = Impl.GetType();
        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(ImplTable<,>))
            throw new NotSupportedException($"no table image for {type.Name}");
        return (TableImage)typeof(TableUnderTest).GetMethod(nameof(ImageOf), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(type.GetGenericArguments()).Invoke(null, [Impl])!;
    }

    /// <summary>The <see cref="TableImage"/> overload for the table's architecture, whatever its entry format.</summary>
    private static TableImage ImageOf<TMeta, TPte>(ImplTable<TMeta, TPte> t)
        where TMeta : struct, IPagingMetaData
        where TPte : unmanaged, IGenericPte<TPte>
    {
        object table = t.Table;
        return table switch
        {
            PageTable64<X64PagingMetaData, TPte, ArenaHandler> x => TableImage.Of(x),
            PageTable64<A64PagingMetaData, TPte, ArenaHandler> a => TableImage.Of(a),
            PageTable64<Sv39PagingMetaData, TPte, ArenaHandler> s39 => TableImage.Of(s39),
            PageTable64<Sv48PagingMetaData, TPte, ArenaHandler> s48 => TableImage.Of(s48),
            PageTable64<La64PagingMetaData, TPte, ArenaHandler> la => TableImage.Of(la),
            _ => throw new NotSupportedException($"no table image for {typeof(TMeta).Name}"),
        };
    }
}
