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

    /// <summary>Runs <paramref name="op"/> on Impl and on the model; they must agree.</summary>
    public Outcome Apply(PageOp op, TableUnderTest? peer = null)
    {
        Outcome impl = Impl.Apply(op, peer?.Impl, null);
        Outcome model = ModelSide.Apply(Model, op, peer?.Model ?? Model);
        if (impl != model) throw new InvalidOperationException($"{Layout.Kind} {op}: Impl gives {impl}, the model {model}");
        return impl;
    }

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
    public TableImage Image() => Impl switch
    {
        ImplTable<X64PagingMetaData, X64Pte> t => TableImage.Of(t.Table),
        ImplTable<A64PagingMetaData, A64Pte> t => TableImage.Of(t.Table),
        ImplTable<Sv39MetaData, Rv64Pte> t => TableImage.Of(t.Table),
        ImplTable<Sv48MetaData, Rv64Pte> t => TableImage.Of(t.Table),
        ImplTable<LA64MetaData, LA64Pte> t => TableImage.Of(t.Table),
        _ => ImageOfVariant(),
    };

    /// <summary>
    /// A test-only entry format has no <see cref="TableImage"/> overload: its image is taken through a table of the
    /// real format that shares the arena (the bytes are the arena's, the registers depend on the root only).
    /// </summary>
    private TableImage ImageOfVariant()
    {
        throw new NotSupportedException($"no table image for {Impl.GetType().Name}");
    }
}
