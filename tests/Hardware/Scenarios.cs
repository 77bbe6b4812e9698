using FsCheck;
using PageTableModel.Hardware;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Hardware;

/// <summary>
/// The tables one boot checks: fixed scenarios (every valid flag combination x every page size, unmapped and
/// non-canonical addresses, region operations, Protect, Remap, CopyFrom) and sequences from the FsCheck generators of
/// tests/Harness, with their physical addresses moved into the data window.
/// </summary>
public static class Scenarios
{
    private const ulong K4 = 0x1000, M2 = 0x20_0000, G1 = 0x4000_0000;
    private static readonly MappingFlags R = MappingFlags.Read, W = MappingFlags.Write, X = MappingFlags.Execute, U = MappingFlags.User;

    /// <summary>Every valid flag set (docs/semantics.md): Read plus any of Write, Execute, User, Device, Uncached; then the
    /// PROT_NONE sets, none of Read, Write, Execute with any of User, Device, Uncached (every access must fault).</summary>
    public static IEnumerable<MappingFlags> ValidFlags() =>
        Enumerable.Range(0, 32).Select(i => MappingFlags.Read
            | ((i & 1) != 0 ? MappingFlags.Write : 0) | ((i & 2) != 0 ? MappingFlags.Execute : 0) | ((i & 4) != 0 ? MappingFlags.User : 0)
            | ((i & 8) != 0 ? MappingFlags.Device : 0) | ((i & 16) != 0 ? MappingFlags.Uncached : 0))
        .Concat(Enumerable.Range(0, 8).Select(i => MappingFlags.None
            | ((i & 1) != 0 ? MappingFlags.User : 0) | ((i & 2) != 0 ? MappingFlags.Device : 0) | ((i & 4) != 0 ? MappingFlags.Uncached : 0)));

    /// <summary>Builds every table in <paramref name="arena"/> and the checks on them; <paramref name="generatedPerSize"/>
    /// generated sequences per page size; <paramref name="factory"/> makes Impl's tables (a faulty entry format plugs in
    /// there) for the machine <paramref name="layout"/> describes.</summary>
    public static (CheckPlan Plan, TableUnderTest Last) Build(Layout layout, FrameArena arena, int generatedPerSize, Func<TableKind, FrameArena, IImplTable>? factory = null)
    {
        var plan = new CheckPlan(layout, crossCheckWalker: factory is null);
        var s = AddressSpace.For(layout.Kind);
        ulong w = layout.WindowStart;
        TableUnderTest New() => new(layout, arena, factory);

        // x86_64 reads table entries through a table of its own (docs/hardware-checks.md section 4): the table window
        // identity-mapped with 2 MiB pages, read-only, supervisor.
        if (layout.Kind == TableKind.X64) plan.EntryReaderRoot = EntryReader(layout, arena);

        // 1. Every flag combination x every page size; then unmapped and non-canonical addresses in the same table.
        var flagsTable = New();
        int i = 0;
        foreach (MappingFlags f in ValidFlags())
        {
            flagsTable.Do(new MapOp(0x10_0000_0000 + (ulong)i * 0x10000, w + 0x100_0000 + (ulong)i * 0x10000, PageSize.Size4K, f));
            flagsTable.Do(new MapOp(0x20_0000_0000 + (ulong)i * 2 * M2, w + 0x1000_0000 + (ulong)i * M2, PageSize.Size2M, f));
            flagsTable.Do(new MapOp(0x30_0000_0000 + (ulong)i * G1, w + (ulong)(i % 2) * G1, PageSize.Size1G, f));
            i++;
        }
        flagsTable.Do(new MapOp(s.HighTop + 0x1000, w + 0x200_0000, PageSize.Size4K, R | W));
        flagsTable.Do(new MapOp(s.HighBottom + 0x20_0000, w + 0x1400_0000, PageSize.Size2M, R | X | U));
        flagsTable.Do(new MapOp(s.HighTop + G1, w + G1, PageSize.Size1G, R | W | U));
        plan.BeginPhase("flags x sizes", flagsTable);
        foreach (var m in plan.TestMappings()) plan.AddMappingChecks(m);
        plan.Scenario("unmapped");
        foreach (ulong va in new[] { 0UL, 0x10_0000_0000 - K4, 0x20_0000_0000 - M2, s.Mid, s.LowTop, s.HighBottom, s.HighTop - G1, ulong.MaxValue - 15 })
            if (flagsTable.Model.Translate(va) is null) plan.AddEverywhere(va);
        plan.Scenario("non-canonical");
        // AArch64's MMU translates 0x0000_8000_0000_0000 through TTBR0 (docs/hardware-checks.md section 4): mixed top bits instead.
        // LoongArch on QEMU 7.2 likewise looks at bits 63:48 only, and VSEG 8, 9 and 0xA are the kernel's DMW windows.
        ulong[] nonCanonical = layout.Kind switch
        {
            TableKind.A64 => [0x0001_0000_0000_0000, 0x8000_0000_0000_0000, 0xfffe_ffff_ffff_fff0],
            TableKind.La64 => [0x0001_0000_0000_0000, 0x4000_0000_0000_0000, 0xb000_0000_0000_1000, 0xfffe_ffff_ffff_fff0],
            _ => [s.NonCanonical, s.NonCanonical + 0x10_0000_0000, unchecked(s.HighBottom - 16), 0x8000_0000_0000_0000],
        };
        foreach (ulong va in nonCanonical) plan.AddEverywhere(va);

        // 2. Region operations: a region crossing 2M boundaries with huge pages allowed, then part unmapped, part protected.
        var regions = New();
        ulong rv = 0x11_001F_D000, rp = w + 0x2000_0000 + 0x1F_D000;
        regions.Do(new MapRegionOp(rv, rp, 0x40_6000, R | W, AllowHuge: true, FlushByPage: false, Scramble: 0, Contiguous: true));
        regions.Do(new MapRegionOp(0x11_4000_0000, w + 0x2100_0000, 0x8000, R | X | U, AllowHuge: false, FlushByPage: true, Scramble: 0x3000, Contiguous: false));
        regions.Do(new UnmapRegionOp(0x11_0020_0000, M2, FlushByPage: true));
        regions.Do(new ProtectRegionOp(0x11_0060_0000, 0x3000, R | U, FlushByPage: false));
        regions.Do(new ProtectRegionOp(0x11_4000_2000, 0x4000, R | W, FlushByPage: true));
        plan.BeginPhase("region operations", regions);
        foreach (var m in plan.TestMappings()) plan.AddMappingChecks(m);
        plan.AddEverywhere(0x11_0020_0000 + 0x100);

        // 3. Protect and Remap of every page size.
        var changed = New();
        changed.Do(new MapOp(0x12_0000_0000, w + 0x2200_0000, PageSize.Size4K, R | W));
        changed.Do(new ProtectOp(0x12_0000_0000, R | X | U));
        changed.Do(new MapOp(0x12_0020_0000, w + 0x2220_0000, PageSize.Size2M, R | X));
        changed.Do(new ProtectOp(0x12_0020_0000, R | W));
        changed.Do(new MapOp(0x13_0000_0000, w, PageSize.Size1G, R | U));
        changed.Do(new ProtectOp(0x13_0000_0000, R | W | X));
        changed.Do(new MapOp(0x14_0000_0000, w + 0x2300_0000, PageSize.Size4K, R));
        changed.Do(new RemapOp(0x14_0000_0000, w + 0x2301_0000, R | W | U));
        changed.Do(new MapOp(0x14_0040_0000, w + 0x2340_0000, PageSize.Size2M, R | W | U));
        changed.Do(new RemapOp(0x14_0040_0000, w + 0x2380_0000, R | X));
        changed.Do(new MapOp(0x15_0000_0000, w + G1, PageSize.Size1G, R | X | U));
        changed.Do(new RemapOp(0x15_0000_0000, w, R | W));
        // PROT_NONE both ways: rights taken away (4K, and a 1G page by region), given back (2M).
        changed.Do(new MapOp(0x16_0000_0000, w + 0x2600_0000, PageSize.Size4K, R | W | U));
        changed.Do(new ProtectOp(0x16_0000_0000, MappingFlags.None));
        changed.Do(new MapOp(0x16_0020_0000, w + 0x2620_0000, PageSize.Size2M, U));
        changed.Do(new ProtectOp(0x16_0020_0000, R | W | U));
        changed.Do(new MapOp(0x17_0000_0000, w + G1, PageSize.Size1G, R | X));
        changed.Do(new ProtectRegionOp(0x17_0000_0000, G1, MappingFlags.Device, FlushByPage: true));
        plan.BeginPhase("protect and remap", changed);
        foreach (var m in plan.TestMappings()) plan.AddMappingChecks(m);

        // 4. CopyFrom: a table borrows the top of the high half from another one in the same arena.
        var source = New();
        ulong top = unchecked(0UL - 2 * G1);
        source.Do(new MapOp(top + 0x1000, w + 0x2400_0000, PageSize.Size4K, R | W | U));
        source.Do(new MapOp(top + G1 + 0x20_0000, w + 0x2420_0000, PageSize.Size2M, R | X));
        var borrower = New();
        borrower.Do(new MapOp(top + 0x3000, w + 0x2500_0000, PageSize.Size4K, R | W));
        borrower.Do(new CopyFromOp(top, 2 * G1, CopySource.Peer), source);
        plan.BeginPhase("copy-from", borrower);
        foreach (var m in plan.TestMappings()) plan.AddMappingChecks(m);
        plan.AddEverywhere(top + 0x3000);

        // 5. Accessed and dirty state written back by the machine (the library's own entry format only: the scenario
        //    changes the library's leaves with raw writes).
        if (factory is null) AccessedDirty.AddPhase(plan, New, AccessedDirty.MainBoot(layout.Kind));

        // 6. Generated sequences.
        TableUnderTest last = borrower;
        foreach (PageSize size in Tables.PageSizes)
        {
            var seed = new Rnd(0x5eed_0000UL + (ulong)size, 0x9e37_79b9_7f4a_7c15UL); // fixed: the same sequences on every run
            var sequences = FsCheck.Fluent.Gen.Sample(Generators.SequenceGen(layout.Kind, size, null), generatedPerSize, seed, 30);
            int n = 0;
            foreach (OpSequence seq in sequences)
            {
                var peer = New();
                foreach (PageOp op in Equivalence.PeerSetup(layout.Kind).Select(o => Relocate(o, w)).Where(o => Usable(o, peer)))
                    peer.Apply(op);
                var table = New();
                int applied = 0;
                foreach (PageOp op in seq.Ops.Select(o => Relocate(o, w)).Where(o => Usable(o, table)))
                {
                    table.Apply(op, peer);
                    applied++;
                }
                plan.BeginPhase($"generated {Tables.SizeText((ulong)size)} #{n++} ({applied} of {seq.Ops.Length} operations)", table);
                foreach (var m in plan.TestMappings().Take(16)) plan.AddMappingChecks(m);
                last = table;
            }
        }

        plan.Finish();
        return (plan, last);
    }

    /// <summary>
    /// A boot of the accessed/dirty scenario alone, once per <paramref name="managements"/> entry (A64 on a CPU with
    /// FEAT_HAFDBS: TCR_EL1.HA = HD = 0, then 1).
    /// </summary>
    public static (CheckPlan Plan, TableUnderTest Last) BuildAccessedDirty(Layout layout, FrameArena arena, params AccessedDirtyManagement[] managements)
    {
        var plan = new CheckPlan(layout);
        if (layout.Kind == TableKind.X64) plan.EntryReaderRoot = EntryReader(layout, arena);
        TableUnderTest? last = null;
        foreach (AccessedDirtyManagement management in managements)
            AccessedDirty.AddPhase(plan, () => last = new TableUnderTest(layout, arena), management);
        plan.Finish();
        return (plan, last ?? throw new ArgumentException("no management given", nameof(managements)));
    }

    /// <summary>The x86_64 entry reader table: support mappings plus [TABLES, TABLES + 32 MiB) identity-mapped with 2 MiB
    /// pages, Read only; returns its root (reg1 of every phase).</summary>
    private static ulong EntryReader(Layout layout, FrameArena arena)
    {
        var reader = new TableUnderTest(layout, arena);
        ulong end = layout.TablesBase + (ulong)Layout.TableFrames * 0x1000;
        for (ulong pa = layout.TablesBase; pa < end; pa += M2) reader.Do(new MapOp(pa, pa, PageSize.Size2M, R));
        return reader.Impl.RootPaddr.Value;
    }

    /// <summary>Moves an operation's physical addresses into the 2 GiB data window starting at <paramref name="window"/>
    /// (keeping every alignment up to 1 GiB).</summary>
    public static PageOp Relocate(PageOp op, ulong window) => op switch
    {
        MapOp m => m with { Pa = Into(m.Pa, window) },
        RemapOp r => r with { Pa = Into(r.Pa, window) },
        MapRegionOp mr => mr with { PaBase = Into(mr.PaBase, window) },
        _ => op,
    };

    private static ulong Into(ulong pa, ulong window) => window + (pa & (2 * G1 - 1));

    /// <summary>Operations that could change a support mapping (or need a table from another arena) are left out.</summary>
    private static bool Usable(PageOp op, TableUnderTest t) => op switch
    {
        MapOp m => !t.TouchesSupport(m.Va, (ulong)m.Size),
        UnmapOp u => !t.TouchesSupport(u.Va, G1),
        ProtectOp p => !t.TouchesSupport(p.Va, G1),
        RemapOp r => !t.TouchesSupport(r.Va, G1),
        MapRegionOp mr => !t.TouchesSupport(mr.Va, mr.Size),
        UnmapRegionOp ur => !t.TouchesSupport(ur.Va, ur.Size),
        ProtectRegionOp pr => !t.TouchesSupport(pr.Va, pr.Size),
        CopyFromOp c => c.Source != CopySource.Foreign && !t.TouchesSupport(RootSlotStart(c.Start, t), RootSlotSpan(c, t)),
        _ => true,
    };

    private static ulong SlotSize(TableUnderTest t) => 1UL << (12 + 9 * (t.Impl.Levels - 1));

    private static ulong RootSlotStart(ulong va, TableUnderTest t) => va & ~(SlotSize(t) - 1);

    private static ulong RootSlotSpan(CopyFromOp c, TableUnderTest t)
    {
        ulong start = RootSlotStart(c.Start, t);
        ulong end = c.Size == 0 ? start + SlotSize(t) : RootSlotStart(unchecked(c.Start + c.Size - 1), t) + SlotSize(t);
        return unchecked(end - start) == 0 ? ulong.MaxValue - start : unchecked(end - start);
    }
}
