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
