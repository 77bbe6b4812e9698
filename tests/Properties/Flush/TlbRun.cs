using System.Runtime.CompilerServices;
using PageTableModel.Hardware;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Properties.Flush;

/// <summary>A broken TLB rule, with the operation and the event where it broke.</summary>
public sealed class TlbRuleException(string message) : Exception(message);

/// <summary>How a run departs from the library's normal use (the test-only variants the properties must catch).</summary>
public enum TlbVariant
{
    /// <summary>The library as it is, on a live table.</summary>
    None,

    /// <summary>The table is told it is not live while the simulated MMU walks it: it frees and replaces without invalidating.</summary>
    NotLive,
}

/// <summary>
/// Runs one generated sequence on an observed table with a simulated TLB (<see cref="SimulatedTlb"/>) beside it, and
/// checks at every event of every operation:
/// <list type="bullet">
/// <item><b>intermediate states</b>: after each single entry write, a hardware walk of every probed address gives the
/// translation it had before the operation, the one it has after, or a fault (a failed region map may also show the
/// pages it is about to take back; a split shows the old translation through smaller pages);</item>
/// <item><b>break-before-make</b> (architectures that require it): a valid entry never becomes a valid entry with
/// another output address, table/block kind or memory type, except through an invalid entry and an invalidation
/// that covers it;</item>
/// <item><b>page-size changes</b>: a cached leaf of another page size than memory now maps answers every access as
/// memory does (a split invalidates the huge page before any piece changes);</item>
/// <item><b>clear, flush, free</b>: a frame given back to the handler is referred to by no cached entry;</item>
/// <item><b>no stale translation</b>: after the operation and the flush it returned (performed as the caller would), no
/// cached entry, leaf or not, disagrees with memory.</item>
/// </list>
/// The TLB is filled by walks of random probe addresses before each operation and between its writes.
/// <typeparamref name="TMeta"/> must report its writes and flushes to <see cref="EventLog"/> (<see cref="Observed{TInner}"/>).
/// </summary>
public sealed class TlbRun<TMeta, TPte>
    where TMeta : struct, IPagingMetaData
    where TPte : unmanaged, IGenericPte<TPte>
{
    private const ulong K4 = 0x1000;
    private const int MaxProbes = 24;

    private readonly TableKind _kind;
    private readonly TlbVariant _variant;
    private readonly Random _random;

    // Per operation.
    private PageOp _op = null!;
    private List<ulong> _probes = [];
    private Dictionary<ulong, List<WalkResult>> _seen = [];
    private readonly Dictionary<ulong, (ulong OldBits, ulong VaBase, ulong Span, bool Invalidated)> _broken = [];
    private int _events;

    private FrameArena _arena = null!;
    private PageTable64<TMeta, TPte, ObservedHandler> _table = null!;
    private ArenaMemory _memory = null!;
    private IHardwareWalker _walker = null!;
    private SimulatedTlb _tlb = null!;

    public TlbRun(TableKind kind, int seed, TlbVariant variant = TlbVariant.None)
    {
        _kind = kind;
        _variant = variant;
        _random = new Random(seed);
    }

    /// <summary>Runs <paramref name="ops"/>; throws <see cref="TlbRuleException"/> at the first broken rule.</summary>
    public void Run(IReadOnlyList<PageOp> ops)
    {
        using var arena = new FrameArena(new PhysAddr(0x8000_0000), 1024);
        using var foreignArena = new FrameArena(new PhysAddr(0x4000_0000), 4);
        _arena = arena;
        _memory = new ArenaMemory(arena);
        _walker = PageTableModel.Hardware.Walkers.For(_kind.ToString());
        var table = Create(arena);
        var peer = Create(arena);
        var foreign = Create(foreignArena);
        _table = table;
        _tlb = Tlbs.For(_kind.ToString(), _memory, table.RootPaddr.Value);
        if (_variant == TlbVariant.NotLive) table.Live = false;
        try
        {
            foreach (var setup in Equivalence.PeerSetup(_kind)) Apply(peer, (MapOp)setup, peer, foreign);
            for (int step = 0; step < ops.Count; step++) Step(step, ops[step], peer, foreign);
        }
        finally
        {
            EventLog.Stop();
            table.Dispose();
            peer.Dispose();
            foreign.Dispose();
        }
    }

    private static PageTable64<TMeta, TPte, ObservedHandler> Create(FrameArena arena) =>
        PageTable64<TMeta, TPte, ObservedHandler>.TryCreate(new ObservedHandler(arena)).Value;

    private void Step(int step, PageOp op, PageTable64<TMeta, TPte, ObservedHandler> peer,
        PageTable64<TMeta, TPte, ObservedHandler> foreign)
    {
        _op = op;
        _probes = Probes(op);
        var before = _probes.ToDictionary(va => va, Walk);
        _seen = _probes.ToDictionary(va => va, _ => new List<WalkResult>());
        foreach (ulong va in _probes)
        {
            if (_random.Next(2) == 0) _tlb.Fill(va);
        }
        _broken.Clear();
        _events = 0;

        EventLog.Start(_arena, OnEvent);
        Action? flush = Apply(_table, op, peer, foreign);
        flush?.Invoke(); // the caller performs exactly the flush it was given
        EventLog.Stop();

        string where = $"step {step} {op}";
        foreach (ulong va in _probes)
        {
            WalkResult now = Walk(va);
            foreach (WalkResult seen in _seen[va])
            {
                if (seen.IsFault || SameButSize(seen, before[va]) || SameButSize(seen, now) || TransientOfFailedRegionMap(op, va)) continue;
                throw new TlbRuleException($"{where}: between two writes 0x{va:x} translated as {seen}, neither before ({before[va]}) nor after ({now})");
            }
        }
        var stale = _tlb.Disagreements();
        if (stale.Count > 0)
            throw new TlbRuleException($"{where}: after the operation and its flush the TLB still holds {stale.Count} stale entries, first: {stale[0]}");
    }

    /// <summary>
    /// The same translation, the page size aside: a split huge page first shows its pieces with the old frames and flags
    /// (the old translation through smaller pages), and only then does the operation change any of them.
    /// </summary>
    private static bool SameButSize(WalkResult a, WalkResult b) =>
        a == b || (a.Translation is { } x && b.Translation is { } y && x with { PageSize = y.PageSize } == y);

    /// <summary>A failed region map shows its pages while it maps them and takes them back before it returns.</summary>
    private bool TransientOfFailedRegionMap(PageOp op, ulong va) =>
        op is MapRegionOp mr && va - mr.Va < mr.Size && !_lastOk;

    private bool _lastOk;

    private void OnEvent(TableEvent e)
    {
        _events++;
        switch (e.Kind)
        {
            case EventKind.Write:
                CheckBreakBeforeMake(e);
                foreach (ulong va in _probes)
                {
                    WalkResult memory = Walk(va);
                    _seen[va].Add(memory);
                    CheckPageSizeChange(va, memory);
                }
                // The MMU may walk at any moment: cache a couple of translations between the writes.
                for (int i = 0; i < 2 && _probes.Count > 0; i++) _tlb.Fill(_probes[_random.Next(_probes.Count)]);
                break;
            case EventKind.FlushPage:
                _tlb.ApplyFlush(e.Address);
                foreach (var pa in _broken.Keys.ToList())
                {
                    var b = _broken[pa];
                    if (e.Address - b.VaBase < b.Span) _broken[pa] = b with { Invalidated = true };
                }
                break;
            case EventKind.FlushAll:
                _tlb.ApplyFlush(null);
                foreach (var pa in _broken.Keys.ToList()) _broken[pa] = _broken[pa] with { Invalidated = true };
                break;
            case EventKind.Free:
            {
                var refs = _tlb.ReferencesTo(e.Address).Where(r => r.Use != FrameUse.Output).ToList();
                if (refs.Count > 0)
                    throw new TlbRuleException($"{_op}: frame 0x{e.Address:x} given back while the TLB still refers to it ({refs.Count} entries, first: {refs[0]})");
                break;
            }
        }
    }

    private void CheckBreakBeforeMake(TableEvent e)
    {
        if (!TMeta.BreakBeforeMake) return;
        TPte oldEntry = FromBits(e.Old), newEntry = FromBits(e.New);
        if (oldEntry.IsPresent && newEntry.IsPresent && Differs(oldEntry, newEntry))
            throw new TlbRuleException($"{_op}: the valid entry at 0x{e.Address:x} became another valid entry ({oldEntry} -> {newEntry}) without break-before-make");
        if (oldEntry.IsPresent && !newEntry.IsPresent)
        {
            var (vaBase, span) = Locate(e.Address);
            _broken[e.Address] = (e.Old, vaBase, span, false);
        }
        else if (!oldEntry.IsPresent && newEntry.IsPresent && _broken.Remove(e.Address, out var broken)
                 && Differs(FromBits(broken.OldBits), newEntry) && !broken.Invalidated)
        {
            throw new TlbRuleException($"{_op}: the entry at 0x{e.Address:x} went {FromBits(broken.OldBits)} -> invalid -> {newEntry} with no invalidation in between");
        }
    }

    private static readonly (Access Access, Privilege Privilege)[] EveryAccess =
    [
        (Access.Read, Privilege.Supervisor), (Access.Write, Privilege.Supervisor), (Access.Execute, Privilege.Supervisor),
        (Access.Read, Privilege.User), (Access.Write, Privilege.User), (Access.Execute, Privilege.User),
    ];

    /// <summary>
    /// Page-size changes (a split): a cached leaf of another page size than memory now maps at <paramref name="va"/>
    /// must answer every access as memory does. Once a page's size changed, the TLB may hold the old and the new
    /// translation and use either (Intel SDM Vol. 3A §4.10.2.3), so a piece may change only after the old page's
    /// entries are invalidated (§4.10.4: never change a page's size and its frame or attributes without an invalidation
    /// in between; on AArch64 break-before-make does it). The library does this on every architecture.
    /// </summary>
    private void CheckPageSizeChange(ulong va, WalkResult memory)
    {
        var cached = _tlb.Translate(va, Access.Read, Privilege.Supervisor);
        if (cached.Hit is null || memory.Translation is not { } now || cached.Result.Translation is not { } old || old.PageSize == now.PageSize) return;
        foreach (var (access, privilege) in EveryAccess)
        {
            WalkResult fromTlb = _tlb.Translate(va, access, privilege).Result;
            WalkResult fromMemory = _walker.Translate(_memory, _table.RootPaddr.Value, va, access, privilege);
            if (!SameButSize(fromTlb, fromMemory) && !(fromTlb.IsFault && fromMemory.IsFault))
                throw new TlbRuleException($"{_op}: after a page-size change 0x{va:x} is cached as {fromTlb} and maps as {fromMemory} ({access}/{privilege}): the old page was not invalidated before a piece changed");
        }
    }

    /// <summary>Output address, table/block kind or memory type differ (permissions alone do not count).</summary>
    private static bool Differs(TPte a, TPte b) =>
        a.Paddr != b.Paddr || a.IsHuge != b.IsHuge ||
        (a.Flags & (MappingFlags.Device | MappingFlags.Uncached)) != (b.Flags & (MappingFlags.Device | MappingFlags.Uncached));

    private static TPte FromBits(ulong bits) => Unsafe.As<ulong, TPte>(ref bits);

    /// <summary>The virtual range the entry at physical address <paramref name="entryPa"/> covers, found by walking the table.</summary>
    private (ulong VaBase, ulong Span) Locate(ulong entryPa)
    {
        var found = Find(_table.RootPaddr.Value, 0, 0, entryPa)
            ?? throw new TlbRuleException($"{_op}: wrote the entry at 0x{entryPa:x}, which no table of the table reaches");
        int unused = 64 - TMeta.VaMaxBits; // the canonical form of the address: flushes name canonical addresses
        return ((ulong)((long)(found.Item1 << unused) >> unused), found.Item2);
    }

    private (ulong, ulong)? Find(ulong tablePa, int level, ulong baseVa, ulong entryPa)
    {
        int shift = 12 + 9 * (TMeta.Levels - 1 - level);
        if (entryPa - tablePa < K4) return (baseVa | ((entryPa - tablePa) / 8) << shift, 1UL << shift);
        if (level == TMeta.Levels - 1) return null;
        for (ulong i = 0; i < 512; i++)
        {
            TPte e = FromBits(_arena.ReadUInt64(new PhysAddr(tablePa + i * 8)));
            if (!e.IsPresent || e.IsHuge || !_arena.Contains(e.Paddr)) continue;
            if (Find(e.Paddr.Value, level + 1, baseVa | i << shift, entryPa) is { } hit) return hit;
        }
        return null;
    }

    private WalkResult Walk(ulong va) => _walker.Translate(_memory, _table.RootPaddr.Value, va, Access.Read, Privilege.Supervisor);

    /// <summary>The addresses to watch for one operation: the ones it names, and a sample of those mapped now.</summary>
    private List<ulong> Probes(PageOp op)
    {
        var probes = new List<ulong>();
        void Range(ulong va, ulong size)
        {
            probes.Add(va);
            if (size > K4)
            {
                probes.Add(va + size / 2);
                probes.Add(va + size - K4);
            }
        }
        switch (op)
        {
            case MapOp m: Range(m.Va, (ulong)m.Size); break;
            case UnmapOp u: probes.Add(u.Va); break;
            case QueryOp q: probes.Add(q.Va); break;
            case ProtectOp p: probes.Add(p.Va); break;
            case RemapOp r: probes.Add(r.Va); break;
            case MapRegionOp mr: Range(mr.Va, mr.Size); break;
            case UnmapRegionOp ur: Range(ur.Va, ur.Size); break;
            case ProtectRegionOp pr: Range(pr.Va, pr.Size); break;
            case CopyFromOp c: Range(c.Start, c.Size); break;
        }
        foreach (var setup in Equivalence.PeerSetup(_kind)) probes.Add(((MapOp)setup).Va);
        var mapped = new List<ulong>();
        _table.Walk(int.MaxValue, (level, _, va, e) =>
        {
            if (level == TMeta.Levels - 1 || e.IsHuge) mapped.Add(va.Value);
        }, null);
        int stride = Math.Max(1, mapped.Count / 8);
        for (int i = 0; i < mapped.Count; i += stride) probes.Add(mapped[i]);
        return probes.Distinct().Take(MaxProbes).ToList();
    }

    /// <summary>Runs one operation on <paramref name="table"/>; returns the flush the caller was given, if any.</summary>
    private Action? Apply(PageTable64<TMeta, TPte, ObservedHandler> table, PageOp op,
        PageTable64<TMeta, TPte, ObservedHandler> peer, PageTable64<TMeta, TPte, ObservedHandler> foreign)
    {
        _lastOk = false;
        switch (op)
        {
            case MapOp m:
            {
                var r = table.Map(new VirtAddr(m.Va), new PhysAddr(m.Pa), m.Size, m.Flags);
                _lastOk = r.IsOk;
                return r.IsOk ? r.Value.Flush : null;
            }
            case UnmapOp u:
            {
                var r = table.Unmap(new VirtAddr(u.Va));
                return r.IsOk ? r.Value.Flush.Flush : null;
            }
            case QueryOp q:
                _ = table.Query(new VirtAddr(q.Va));
                return null;
            case ProtectOp p:
            {
                var r = table.Protect(new VirtAddr(p.Va), p.Flags);
                return r.IsOk ? r.Value.Flush.Flush : null;
            }
            case RemapOp rm:
            {
                var r = table.Remap(new VirtAddr(rm.Va), new PhysAddr(rm.Pa), rm.Flags);
                return r.IsOk ? r.Value.Flush.Flush : null;
            }
            // With flushTlbByPage the table has flushed as it went, and the caller may ignore the token: it does.
            case MapRegionOp mr:
            {
                var r = mr.Contiguous && mr.Scramble == 0
                    ? table.MapRegion(new VirtAddr(mr.Va), new PhysAddr(mr.PaBase), mr.Size, mr.Flags, mr.AllowHuge, mr.FlushByPage)
                    : table.MapRegion(new VirtAddr(mr.Va), v => new PhysAddr(mr.PaddrOf(v.Value)), mr.Size, mr.Flags, mr.AllowHuge, mr.FlushByPage);
                _lastOk = r.IsOk;
                return r.IsOk && !mr.FlushByPage ? r.Value.Flush : null;
            }
            case UnmapRegionOp ur:
            {
                var r = table.UnmapRegion(new VirtAddr(ur.Va), ur.Size, ur.FlushByPage);
                return r.IsOk && !ur.FlushByPage ? r.Value.Flush : null;
            }
            case ProtectRegionOp pr:
            {
                var r = table.ProtectRegion(new VirtAddr(pr.Va), pr.Size, pr.Flags, pr.FlushByPage);
                return r.IsOk && !pr.FlushByPage ? r.Value.Flush : null;
            }
            case CopyFromOp c:
            {
                var source = c.Source switch { CopySource.Peer => peer, CopySource.Self => table, _ => foreign };
                _ = table.CopyFrom(source, new VirtAddr(c.Start), c.Size);
                return null; // CopyFrom invalidates by itself; it returns no flush
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown operation.");
        }
    }
}
