using System.Reflection;
using System.Runtime.CompilerServices;
using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Safety;

/// <summary>
/// The library's promise, checked member by member: every public member is safe to call with any argument — it works,
/// returns a <see cref="PagingError"/>, or throws an exception its XML documentation lists. Every public method,
/// property and constructor of every public type is found by reflection and called many times with arguments drawn
/// from edge values (zero, all ones, unaligned, non-canonical, past the physical width, undefined enum values, null,
/// disposed objects, callbacks that throw, re-enter or dispose). A table is probed live, disposed, and with its arena
/// disposed under it; after every call on a live table its frames are accounted for (the arena holds exactly the tables'
/// frames) and a call that reports an error has left every translation as it was. A member nobody documented fails too.
/// Seeded: a failure names the member, the arguments and the seed, and the same seed replays it.
/// </summary>
public sealed class PublicApiProbeTests
{
    private const int Seed = 20261201;
    private const int CallsPerMember = 400;
    private static readonly Assembly Library = typeof(FrameArena).Assembly;
    private static readonly DocumentedExceptions Docs = DocumentedExceptions.Load(Library);

    [Fact]
    public void TheDocumentationReaderFindsWhatIsListedAndNothingElse()
    {
        MethodInfo free = typeof(FrameArena).GetMethod(nameof(FrameArena.FreeFrame))!;
        Assert.True(Docs.Allows(free, typeof(InvalidOperationException)));
        Assert.True(Docs.Allows(free, typeof(ObjectDisposedException)));
        Assert.False(Docs.Allows(free, typeof(NullReferenceException)));
        Assert.False(Docs.Allows(free, typeof(ArgumentException)));
        // ArgumentOutOfRangeException derives from ArgumentException: listed through its base.
        ConstructorInfo ctor = typeof(FrameArena).GetConstructors().Single();
        Assert.True(Docs.Allows(ctor, typeof(ArgumentOutOfRangeException)));
        Assert.True(Docs.Allows(ctor, typeof(OutOfMemoryException)));
        // Generic definitions and properties.
        MethodInfo query = typeof(PageTable64<X64PagingMetaData, X64Pte, ArenaHandler>).GetMethod("Query")!;
        Assert.True(Docs.Allows(query, typeof(ObjectDisposedException)));
        Assert.False(Docs.Allows(query, typeof(InvalidCastException)));
        Assert.True(Docs.Knows(typeof(FrameArena).GetProperty(nameof(FrameArena.InUse))!.GetMethod!));
    }

    [Fact] public void X64TableMembers() => ProbeTables<X64PagingMetaData, X64Pte>();
    [Fact] public void A64TableMembers() => ProbeTables<A64PagingMetaData, A64Pte>();
    [Fact] public void Sv39TableMembers() => ProbeTables<Sv39PagingMetaData, RiscVPte>();
    [Fact] public void Sv48TableMembers() => ProbeTables<Sv48PagingMetaData, RiscVPte>();
    [Fact] public void La64TableMembers() => ProbeTables<La64PagingMetaData, La64Pte>();

    [Fact]
    public void EveryOtherPublicMember()
    {
        var failures = new List<string>();
        foreach (Type type in Library.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            if (type.IsInterface || typeof(Delegate).IsAssignableFrom(type)) continue; // no code of their own to call
            Type? closed = Close(type);
            if (closed is null || closed.IsGenericType && closed.GetGenericTypeDefinition() == typeof(PageTable64<,,>)) continue; // ProbeTables
            foreach (MethodBase member in Members(closed))
            {
                var rng = new Random(HashCode.Combine(Seed, member.ToString()));
                for (int call = 0; call < CallsPerMember; call++)
                {
                    using var ctx = new ProbeContext(rng);
                    object? target = member.IsStatic || member is ConstructorInfo ? null : ctx.Instance(closed);
                    Probe(member, target, ctx, failures);
                }
            }
        }
        Assert.True(failures.Count == 0, Report(failures));
    }

    [Fact]
    public void FreeFramesWithAnyBatchFreesWhatItSaysAndThrowsOnlyWhatItDocuments()
    {
        MethodInfo member = typeof(FrameArena).GetMethod(nameof(FrameArena.FreeFrames))!;
        var rng = new Random(Seed);
        for (int round = 0; round < 500; round++)
        {
            using var arena = new FrameArena(new PhysAddr(0x8000_0000), 130);
            var taken = new List<PhysAddr>();
            for (int i = rng.Next(0, 130); i > 0 && arena.TryAllocFrame(out var f); i--) taken.Add(f);
            var batch = new PhysAddr[rng.Next(0, 40)];
            for (int i = 0; i < batch.Length; i++)
                batch[i] = rng.Next(4) switch
                {
                    0 when taken.Count > 0 => taken[rng.Next(taken.Count)],
                    1 => new PhysAddr(0x8000_0000 + (ulong)rng.Next(0, 140) * 0x1000),
                    2 => new PhysAddr(0x8000_0000 + (ulong)rng.Next(0, 140 * 0x1000)),
                    _ => new PhysAddr(ProbeContext.EdgeULong(rng)),
                };
            if (rng.Next(10) == 0) arena.Dispose();
            int inUseBefore = arena.IsDisposed ? 0 : arena.InUse;
            try
            {
                arena.FreeFrames(batch);
                Assert.Equal(inUseBefore - batch.Length, arena.InUse);
            }
            catch (Exception e) when (Docs.Allows(member, e.GetType()))
            {
                // Frames before the bad one were freed, the rest still in use: the counters and the bitmap agree.
                if (!arena.IsDisposed)
                    Assert.Equal(taken.Count(arena.IsInUse), arena.InUse);
            }
        }
    }

    [Fact]
    public void TheSpanMembersOfTheArenaReadOnlyInsideItAndThrowOnlyWhatTheyDocument()
    {
        MethodInfo frame = typeof(FrameArena).GetMethod(nameof(FrameArena.Frame))!;
        MethodInfo memory = typeof(FrameArena).GetProperty(nameof(FrameArena.Memory))!.GetMethod!;
        var rng = new Random(Seed);
        for (int round = 0; round < 2000; round++)
        {
            using var arena = new FrameArena(new PhysAddr(0x8000_0000), rng.Next(1, 40));
            if (rng.Next(8) == 0) arena.Dispose();
            var paddr = new PhysAddr(rng.Next(2) == 0 ? ProbeContext.EdgeULong(rng) : 0x8000_0000 + (ulong)rng.Next(0, 44 * 0x1000));
            try
            {
                ReadOnlySpan<byte> bytes = arena.Frame(paddr);
                Assert.True(arena.Contains(paddr));
                Assert.Equal(FrameArena.FrameSize, bytes.Length);
                Assert.Equal(0, bytes[^1]);
            }
            catch (Exception e) when (Docs.Allows(frame, e.GetType()))
            {
                Assert.True(arena.IsDisposed || !arena.Contains(paddr));
            }
            try
            {
                Assert.Equal(arena.FrameCount * FrameArena.FrameSize, arena.Memory.Length);
            }
            catch (Exception e) when (Docs.Allows(memory, e.GetType()))
            {
                Assert.True(arena.IsDisposed);
            }
        }
    }

    private static void ProbeTables<TMeta, TPte>()
        where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
    {
        var failures = new List<string>();
        Type closed = typeof(PageTable64<TMeta, TPte, ArenaHandler>);
        foreach (MethodBase member in Members(closed))
        {
            var rng = new Random(HashCode.Combine(Seed, typeof(TMeta).Name, member.ToString()));
            foreach (TableState state in Enum.GetValues<TableState>())
            {
                for (int call = 0; call < CallsPerMember; call++)
                {
                    using var ctx = new ProbeContext(rng);
                    var tables = new TableProbe<TMeta, TPte>(ctx, state);
                    ctx.Tables = tables;
                    object? target = member.IsStatic ? null : tables.Self;
                    var before = tables.Readable && !tables.Corrupted ? tables.Translations() : null;
                    var (result, thrown) = Probe(member, target, ctx, failures);
                    tables.CheckAfter(member, result, thrown, before, failures);
                }
            }
        }
        Assert.True(failures.Count == 0, Report(failures));
    }

    /// <summary>Calls <paramref name="member"/> once with drawn arguments; records a failure for an undocumented
    /// exception. Returns the result, or what it threw.</summary>
    private static (object? Result, Exception? Thrown) Probe(MethodBase member, object? target, ProbeContext ctx, List<string> failures)
    {
        if (member is MethodInfo { IsGenericMethodDefinition: true } generic)
            member = ctx.CloseMethod(generic);
        ParameterInfo[] parameters = member.GetParameters();
        object?[] args = parameters.Select(p => ctx.Draw(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType)).ToArray();
        try
        {
            return (member is ConstructorInfo ctor ? Keep(ctx, ctor.Invoke(args)) : member.Invoke(target, args), null);
        }
        catch (TargetInvocationException wrapped) when (wrapped.InnerException is { } e)
        {
            // A ProbeException is the caller's own callback's: it must come back unchanged, and it did.
            if (e is not ProbeException && !Docs.Allows(member, e.GetType()))
                failures.Add($"{Describe(member)}({string.Join(", ", args.Select(Show))}) on {Show(target)} threw an undocumented {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            return (null, e);
        }
    }

    private static object? Keep(ProbeContext ctx, object? made)
    {
        if (made is IDisposable d) ctx.Own(d);
        return made;
    }

    /// <summary>The public methods, property accessors and constructors declared by <paramref name="type"/>, except those
    /// reflection cannot call with drawn arguments (span and pointer parameters; FreeFrames has its own test).</summary>
    private static IEnumerable<MethodBase> Members(Type type) =>
        type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .OfType<MethodBase>()
            .Where(m => !m.GetParameters().Any(p => p.ParameterType.IsByRefLike || p.ParameterType.IsPointer
                || p.ParameterType.IsByRef && p.ParameterType.GetElementType()!.IsByRefLike))
            .Where(m => m is not MethodInfo mi || !mi.ReturnType.IsByRefLike)
            .OrderBy(m => m.ToString(), StringComparer.Ordinal);

    /// <summary>A generic type closed over types it accepts (the X64 table's where a choice is needed).</summary>
    private static Type? Close(Type type)
    {
        if (!type.IsGenericTypeDefinition) return type;
        var args = type.GetGenericArguments().Select(a => a.Name switch
        {
            "TMeta" => typeof(X64PagingMetaData),
            "TPte" => typeof(X64Pte),
            "THandler" => typeof(ArenaHandler),
            "T" => typeof(ulong),
            _ => null,
        }).ToArray();
        return args.Any(a => a is null) ? null : type.MakeGenericType(args!);
    }

    private static string Describe(MethodBase m) => $"{m.DeclaringType}.{m.Name}";

    internal static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        ulong u => $"0x{u:x}",
        Delegate d => $"delegate {d.Method.Name}",
        _ => value.ToString() ?? value.GetType().Name,
    };

    /// <summary>The failures, one per member and kind (the first line of each), with how often each happened.</summary>
    private static string Report(List<string> failures)
    {
        var kinds = failures.GroupBy(f => f.Split(" threw ")[0].Split('(')[0] + (f.Contains(" threw ") ? f.Split(" threw ")[1].Split(':')[0] : f.Split(':')[0]));
        return $"{failures.Count} calls broke the promise (seed {Seed}):\n" +
            string.Join("\n\n", kinds.Select(k => $"[{k.Count()} times] {k.First()}"));
    }
}

/// <summary>An exception thrown by a callback the probe passed in: the library must let it through unchanged.</summary>
internal sealed class ProbeException() : Exception("thrown by the probe's callback");

/// <summary>The three lives of a probed table.</summary>
internal enum TableState
{
    Live,
    Disposed,
    ArenaDisposed,

    /// <summary>Live, with one entry of one of its tables overwritten with any bits through <see cref="FrameArena.WriteUInt64"/>
    /// (what a caller can do): nothing may crash, but what the table holds is no longer the library's doing.</summary>
    Corrupted,
}

/// <summary>What the arguments of one call are drawn from: edge values, and objects made for the call (disposed when it
/// is done).</summary>
internal sealed class ProbeContext(Random rng) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public Random Rng { get; } = rng;

    /// <summary>The tables of this call, for parameters of a table type and callbacks that reach the table.</summary>
    public ITableProbe? Tables { get; set; }

    public void Own(IDisposable d) => _owned.Add(d);

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }

    public FrameArena NewArena(int frames = 64)
    {
        var arena = new FrameArena(new PhysAddr(0x8000_0000), frames);
        Own(arena);
        return arena;
    }

    private static readonly ulong[] Edges =
    [
        0, 1, 0xFFF, 0x1000, 0x2000, 0x1F_F000, 0x20_0000, 0x20_1000, 0x40_0000, 0x3FFF_F000, 0x4000_0000, 0x8000_0000,
        0x8000_1000, 0x8003_F000, 0x8004_0000, 0x1_0000_0000, 0x3F_FFFF_F000, 0x40_0000_0000, 0x7F_FFFF_F000, 0x80_0000_0000,
        0x7FFF_FFFF_F000, 0x8000_0000_0000, 0xF_FFFF_FFFF_F000, 0x10_0000_0000_0000, 0x100_0000_0000_0000,
        0xFFFF_FFC0_0000_0000, 0xFFFF_8000_0000_0000, 0xFFFF_FFFF_FFE0_0000, 0xFFFF_FFFF_FFFF_F000, 0x8000_0000_0000_0000,
        ulong.MaxValue, ulong.MaxValue - 0xFFF,
    ];

    /// <summary>An edge value, a small 4 KiB multiple (most operations' interesting sizes), or anything at all.</summary>
    public static ulong EdgeULong(Random rng) => rng.Next(4) switch
    {
        0 or 1 => Edges[rng.Next(Edges.Length)],
        2 => (ulong)rng.Next(0, 1 << 12) * 0x1000 + (rng.Next(8) == 0 ? (ulong)rng.Next(1, 0x1000) : 0),
        _ => (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 63),
    };

    private static readonly int[] IntEdges = [int.MinValue, -1, 0, 1, 2, 3, 4, 5, 63, 64, 255, 256, 511, 512, 4096, int.MaxValue];

    public object? Draw(Type type)
    {
        if (type == typeof(ulong)) return EdgeULong(Rng);
        if (type == typeof(long)) return (long)EdgeULong(Rng);
        if (type == typeof(int)) return IntEdges[Rng.Next(IntEdges.Length)];
        if (type == typeof(bool)) return Rng.Next(2) == 0;
        if (type == typeof(VirtAddr)) return new VirtAddr(EdgeULong(Rng));
        if (type == typeof(PhysAddr)) return new PhysAddr(EdgeULong(Rng));
        if (type == typeof(VirtAddr?)) return Rng.Next(3) == 0 ? null : new VirtAddr(EdgeULong(Rng));
        if (type == typeof(MappingFlags)) return (MappingFlags)(Rng.Next(3) == 0 ? Rng.Next(256) : Rng.Next(64));
        if (type == typeof(PageSize))
            return Rng.Next(4) switch { 0 => PageSize.Size4K, 1 => PageSize.Size2M, 2 => PageSize.Size1G, _ => (PageSize)EdgeULong(Rng) };
        if (type.IsEnum) return Enum.ToObject(type, Rng.Next(3) == 0 ? Rng.Next(256) : Rng.Next(16));
        if (type == typeof(string))
            return Rng.Next(7) switch
            {
                0 => null,
                1 => "",
                2 => "probe",
                3 => "/nonexistent-directory/probe",
                4 => "bad\0name",
                5 => new string('x', 300),
                _ => Path.Combine(Path.GetTempPath(), "pt-probe-" + Environment.ProcessId),
            };
        if (type == typeof(object)) return Rng.Next(3) switch { 0 => null, 1 => "x", _ => 42 };
        if (type == typeof(FrameArena))
            return Rng.Next(4) switch
            {
                0 => null,
                1 => DisposedArena(),
                _ => Tables?.Arena ?? NewArena(),
            };
        if (type == typeof(ArenaHandler))
            return Rng.Next(4) switch
            {
                0 => default(ArenaHandler),
                1 => new ArenaHandler(DisposedArena()),
                _ => new ArenaHandler(Tables?.Arena ?? NewArena()),
            };
        if (type == typeof(Func<VirtAddr, PhysAddr>)) return Tables?.Callback() ?? ProbeCallbacks.Offset;
        if (type == typeof(ImageRegister)) return Rng.Next(2) == 0 ? default : new ImageRegister((string?)Draw(typeof(string))!, EdgeULong(Rng));
        if (Tables?.Draw(type) is { } fromTables) return fromTables;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(WalkCallback<>))
            return Rng.Next(2) == 0 ? null : Delegate.CreateDelegate(type, typeof(ProbeCallbacks).GetMethod(nameof(ProbeCallbacks.Visit))!.MakeGenericMethod(type.GetGenericArguments()));
        if (IsPte(type)) return PteFromBits(type, EdgeULong(Rng));
        if (type.IsValueType) return Instance(type);
        return null;
    }

    private FrameArena DisposedArena()
    {
        var arena = new FrameArena(new PhysAddr(0x8000_0000), 8);
        arena.Dispose();
        return arena;
    }

    private static bool IsPte(Type type) => type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IGenericPte<>));

    private static object PteFromBits(Type type, ulong bits) => type.GetMethod("FromBits")!.Invoke(null, [bits])!;

    /// <summary>An instance to call an instance member on: a value with drawn contents, or a fresh object.</summary>
    public object? Instance(Type type)
    {
        if (type == typeof(VirtAddr)) return new VirtAddr(EdgeULong(Rng));
        if (type == typeof(PhysAddr)) return new PhysAddr(EdgeULong(Rng));
        if (IsPte(type)) return PteFromBits(type, EdgeULong(Rng));
        if (type == typeof(FrameArena))
        {
            var arena = Rng.Next(4) == 0 ? DisposedArena() : NewArena(Rng.Next(1, 200));
            for (int i = Rng.Next(0, 50); i > 0 && !arena.IsDisposed && arena.TryAllocFrame(out var f); i--)
                if (Rng.Next(8) == 0) arena.WriteUInt64(f, EdgeULong(Rng));
            return arena;
        }
        if (type == typeof(ArenaHandler)) return Draw(typeof(ArenaHandler));
        if (type == typeof(TableImage))
        {
            var arena = NewArena();
            var table = X64PageTable.TryCreate(arena).Value;
            table.Map(new VirtAddr(0x1000), new PhysAddr(0x5000), PageSize.Size4K, MappingFlags.Read);
            return TableImage.Of(table);
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(PagingResult<>))
        {
            Type t = type.GetGenericArguments()[0];
            return Rng.Next(2) == 0
                ? type.GetMethod("Err")!.Invoke(null, [(PagingError)Rng.Next(16)])
                : type.GetMethod("Ok")!.Invoke(null, [Draw(t)]);
        }
        if (type == typeof(PagingResult))
            return Rng.Next(2) == 0 ? PagingResult.Ok : PagingResult.Err((PagingError)Rng.Next(16));
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(TlbFlush<>))
            return Activator.CreateInstance(type, new VirtAddr(EdgeULong(Rng)));
        if (type.IsValueType) return Activator.CreateInstance(type);
        return null;
    }

    /// <summary>A generic method closed over the probe's own sources and visitors (or the table's entry type).</summary>
    public MethodInfo CloseMethod(MethodInfo generic)
    {
        var args = generic.GetGenericArguments().Select(a =>
        {
            Type[] constraints = a.GetGenericParameterConstraints();
            if (constraints.Contains(typeof(IPaddrSource))) return typeof(ProbeSource);
            if (constraints.Any(c => c.IsGenericType && c.GetGenericTypeDefinition() == typeof(IWalkVisitor<>)))
                return typeof(ProbeVisitor<>).MakeGenericType(Tables?.PteType ?? typeof(X64Pte));
            return Tables?.PteType ?? typeof(X64Pte);
        }).ToArray();
        try
        {
            return generic.MakeGenericMethod(args);
        }
        catch (ArgumentException) when (generic.DeclaringType == typeof(TableImage))
        {
            // TableImage.Of<TPte> per architecture: close each over that architecture's entry type.
            Type table = generic.GetParameters()[0].ParameterType;
            Type meta = table.GetGenericArguments()[0];
            Type pte = meta == typeof(X64PagingMetaData) ? typeof(X64Pte) : meta == typeof(A64PagingMetaData) ? typeof(A64Pte)
                : meta == typeof(La64PagingMetaData) ? typeof(La64Pte) : typeof(RiscVPte);
            return generic.MakeGenericMethod(pte);
        }
    }
}

/// <summary>Callbacks the probe hands to the library.</summary>
internal static class ProbeCallbacks
{
    public static readonly Func<VirtAddr, PhysAddr> Offset = v => new PhysAddr(v.Value & 0xF_FFFF_F000);

    public static void Visit<TPte>(int level, int index, VirtAddr vaddr, TPte entry) { }
}

/// <summary>A struct source that answers, throws, or gives any address at all.</summary>
internal struct ProbeSource : IPaddrSource
{
    public int Mode;
    public Action? Inside;

    public readonly PhysAddr GetPaddr(VirtAddr vaddr)
    {
        Inside?.Invoke();
        return Mode switch
        {
            0 => new PhysAddr(vaddr.Value & 0xF_FFFF_F000),
            1 => throw new ProbeException(),
            _ => new PhysAddr(vaddr.Value * 3),
        };
    }
}

/// <summary>A struct visitor that looks, throws, or reaches back into the table.</summary>
internal struct ProbeVisitor<TPte> : IWalkVisitor<TPte> where TPte : unmanaged, IGenericPte<TPte>
{
    public Action? Inside;
    public int Visits;

    public void Pre(int level, int index, VirtAddr vaddr, in TPte entry)
    {
        if (++Visits == 3) Inside?.Invoke();
    }

    public readonly void Post(int level, int index, VirtAddr vaddr, in TPte entry) { }
}

/// <summary>The table side of a probe, without its type arguments.</summary>
internal interface ITableProbe
{
    FrameArena Arena { get; }
    Type PteType { get; }
    object? Draw(Type type);
    Func<VirtAddr, PhysAddr>? Callback();
}

/// <summary>
/// A table in a small arena with a few mappings of every size (or disposed, or with its arena disposed), a peer in the
/// same arena for <c>CopyFrom</c>, and the checks made after each call.
/// </summary>
internal sealed class TableProbe<TMeta, TPte> : ITableProbe
    where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
{
    private readonly ProbeContext _ctx;
    private readonly List<PageTable64<TMeta, TPte, ArenaHandler>> _tables = [];

    public TableProbe(ProbeContext ctx, TableState state)
    {
        _ctx = ctx;
        Arena = ctx.NewArena(ctx.Rng.Next(3) == 0 ? 6 : 96); // sometimes too small for what a call asks
        Self = New();
        var rw = MappingFlags.Read | MappingFlags.Write;
        ulong top = TMeta.Levels == 3 ? 0x20_0000_0000UL : 0x4000_0000_0000UL;
        Self.Map(new VirtAddr(0x1000), new PhysAddr(0x8_0000), PageSize.Size4K, rw);
        Self.Map(new VirtAddr(0x20_0000), new PhysAddr(0x40_0000), PageSize.Size2M, MappingFlags.Read);
        Self.Map(new VirtAddr(0x4000_0000), new PhysAddr(0x4000_0000), PageSize.Size1G, rw | MappingFlags.User);
        Self.Map(new VirtAddr(top - 0x1000), new PhysAddr(0x9_0000), PageSize.Size4K, MappingFlags.None);
        Peer = New();
        Peer.Map(new VirtAddr(top), new PhysAddr(0xA_0000), PageSize.Size4K, rw);
        if (state == TableState.Disposed) Self.Dispose();
        if (state == TableState.ArenaDisposed) Arena.Dispose();
        if (state == TableState.Corrupted)
        {
            var frames = new List<PhysAddr> { Self.RootPaddr };
            Self.Walk(int.MaxValue, (level, _, _, e) => { if (level < TMeta.Levels - 1 && !e.IsHuge) frames.Add(e.Paddr); }, null);
            PhysAddr frame = frames[ctx.Rng.Next(frames.Count)];
            Arena.WriteUInt64(frame + (ulong)ctx.Rng.Next(512) * 8, ProbeContext.EdgeULong(ctx.Rng));
            Corrupted = true;
        }
    }

    /// <summary>The table was overwritten behind the library's back: only the absence of crashes and undocumented
    /// exceptions is checked.</summary>
    public bool Corrupted { get; }

    private PageTable64<TMeta, TPte, ArenaHandler> New()
    {
        var table = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(Arena)).Value;
        _tables.Add(table);
        return table;
    }

    public FrameArena Arena { get; }
    public PageTable64<TMeta, TPte, ArenaHandler> Self { get; }
    public PageTable64<TMeta, TPte, ArenaHandler> Peer { get; }
    public Type PteType => typeof(TPte);
    public bool Readable => !Self.IsDisposed && !Arena.IsDisposed;

    /// <summary>Actions a callback may take from inside an operation: nothing, read, write, dispose.</summary>
    private Action? Inside() => _ctx.Rng.Next(6) switch
    {
        0 => () => Self.Query(new VirtAddr(0x1000)),
        1 => () => Self.Map(new VirtAddr(0x5000), new PhysAddr(0x5000), PageSize.Size4K, MappingFlags.Read),
        2 => () => Self.Dispose(),
        3 => () => Arena.Dispose(),
        _ => null,
    };

    public Func<VirtAddr, PhysAddr>? Callback()
    {
        int mode = _ctx.Rng.Next(5);
        Action? inside = Inside();
        return mode switch
        {
            0 => null,
            1 => v => throw new ProbeException(),
            2 => Reaching,
            3 => v => new PhysAddr(v.Value * 3),
            _ => ProbeCallbacks.Offset,
        };

        PhysAddr Reaching(VirtAddr v)
        {
            inside?.Invoke();
            return new PhysAddr(v.Value & 0xF_FFFF_F000);
        }
    }

    public object? Draw(Type type)
    {
        if (type == typeof(PageTable64<TMeta, TPte, ArenaHandler>))
            return _ctx.Rng.Next(5) switch
            {
                0 => null,
                1 => Self,
                2 => Other(),
                _ => Peer,
            };
        if (type == typeof(ProbeSource)) return new ProbeSource { Mode = _ctx.Rng.Next(3), Inside = Inside() };
        if (type == typeof(ProbeVisitor<TPte>)) return new ProbeVisitor<TPte> { Inside = _ctx.Rng.Next(2) == 0 ? Inside() : () => throw new ProbeException() };
        if (type == typeof(WalkCallback<TPte>))
        {
            Action? inside = Inside();
            return _ctx.Rng.Next(3) switch
            {
                0 => null,
                1 => (WalkCallback<TPte>)((_, _, _, _) => inside?.Invoke()),
                _ => (WalkCallback<TPte>)((_, _, _, _) => { }),
            };
        }
        if (type == typeof(TPte)) return typeof(TPte).GetMethod("FromBits")!.Invoke(null, [ProbeContext.EdgeULong(_ctx.Rng)]);
        return null;
    }

    /// <summary>A table of another arena (CopyFrom must refuse it) or a disposed one.</summary>
    private PageTable64<TMeta, TPte, ArenaHandler> Other()
    {
        var table = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(_ctx.NewArena(8))).Value;
        if (_ctx.Rng.Next(2) == 0) table.Dispose();
        return table;
    }

    /// <summary>Every translation, as maximal runs (contiguous virtual and physical, same flags), so that a huge page and
    /// its split pieces compare equal.</summary>
    public List<Leaf> Translations()
    {
        var runs = new List<Leaf>();
        foreach (var leaf in ImplTable<TMeta, TPte>.LeavesOf(Self))
        {
            if (runs.Count > 0 && runs[^1] is var last && last.Va + last.Size == leaf.Va && last.Pa + last.Size == leaf.Pa && last.Flags == leaf.Flags)
                runs[^1] = last with { Size = last.Size + leaf.Size };
            else runs.Add(leaf);
        }
        return runs;
    }

    /// <summary>After a call: the arena holds exactly the frames of the live tables, and an error (or the caller's
    /// callback throwing) left the translations as they were.</summary>
    public void CheckAfter(MethodBase member, object? result, Exception? thrown, List<Leaf>? before, List<string> failures)
    {
        if (Arena.IsDisposed || Corrupted) return;
        if (result is PagingResult<PageTable64<TMeta, TPte, ArenaHandler>> created && created.TryGetValue(out var made))
        {
            if (made.Handler == new ArenaHandler(Arena)) _tables.Add(made); // TryCreate: one more table in this arena
        }
        int owned = 0;
        foreach (var table in _tables.Where(t => !t.IsDisposed)) owned += ImplTable<TMeta, TPte>.OwnedTableFramesOf(table);
        if (Arena.InUse != owned)
            failures.Add($"{member}: afterwards the arena has {Arena.InUse} frames in use and the live tables own {owned}");
        if (before is null || Self.IsDisposed) return;
        if (thrown is not ProbeException)
        {
            PropertyInfo? isOk = result?.GetType().GetProperty("IsOk");
            if (isOk is null || (bool)isOk.GetValue(result)!) return;
        }
        var after = Translations();
        if (!after.SequenceEqual(before))
            failures.Add($"{member} returned {result} but changed the translations: before [{string.Join(", ", before)}], after [{string.Join(", ", after)}]");
    }
}
