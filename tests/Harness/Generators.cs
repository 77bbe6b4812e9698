using FsCheck;
using FsCheck.Fluent;

namespace PageTableMultiarch.Harness;

/// <summary>
/// FsCheck generators of operation sequences. Addresses come from a small per-sequence pool built around the
/// places of <see cref="AddressSpace"/>, so operations collide, overlap, cross huge-page boundaries and hit the
/// edges of the address space often; a share of every argument is deliberately bad (unaligned, non-canonical,
/// beyond the physical width, overflowing, invalid flags).
/// </summary>
public static class Generators
{
    private const ulong G1 = AddressSpace.G1, M2 = AddressSpace.M2, K4 = AddressSpace.K4;

    /// <summary>The arbitrary (generator + shrinker) of sequences for one table type, focus page size and focus operation.</summary>
    public static Arbitrary<OpSequence> Sequences(TableKind kind, PageSize focusSize, OpKind? focusOp) =>
        Arb.From(SequenceGen(kind, focusSize, focusOp), Shrinker.Shrink);

    public static Gen<OpSequence> SequenceGen(TableKind kind, PageSize focusSize, OpKind? focusOp)
    {
        var space = AddressSpace.For(kind);
        ulong focus = (ulong)focusSize;
        return Gen.Sized(n =>
            from length in Gen.Choose(Math.Max(1, n / 2), Math.Max(1, n))
            from vaPool in Gen.ArrayOf(FreshVa(space, focus), 5)
            from paPool in Gen.ArrayOf(FreshPa(space, focus), 4)
            from ops in Steps(space, focus, focusOp, vaPool, paPool, length)
            select new OpSequence(kind, ops));
    }

    /// <summary>
    /// Generates the steps one after another, so that each can aim at the virtual addresses earlier steps
    /// mapped (their starts, and the second page of each): unmaps, queries and protections then hit real
    /// mappings, and maps collide with them.
    /// </summary>
    private static Gen<PageOp[]> Steps(AddressSpace s, ulong focus, OpKind? focusOp, ulong[] vaPool, ulong[] paPool, int length)
    {
        Gen<List<PageOp>> steps = Gen.Constant(new List<PageOp>());
        for (int i = 0; i < length; i++)
        {
            steps = steps.SelectMany(done =>
                Op(s, focus, focusOp, vaPool, paPool, Targets(done)).Select(op => new List<PageOp>(done) { op }));
        }
        return steps.Select(list => list.ToArray());
    }

    private static ulong[] Targets(List<PageOp> done)
    {
        var targets = new List<ulong>();
        foreach (var op in done)
        {
            // Only steps whose arguments could succeed: aiming at failed maps would mostly miss.
            if (op is MapOp m && m.Flags.IsValidForMapping() && ((m.Va | m.Pa) & ((ulong)m.Size - 1)) == 0) targets.Add(m.Va);
            else if (op is MapRegionOp r && r.Size is > 0 and < 1UL << 40 && r.Flags.IsValidForMapping() && ((r.Va | r.Size) & (K4 - 1)) == 0)
            {
                targets.Add(r.Va);
                targets.Add(unchecked(r.Va + r.Size - K4));
            }
        }
        return targets.ToArray();
    }

    private static Gen<ulong> Pick(params (int Weight, ulong Value)[] choices) =>
        Gen.Frequency(choices.Select(c => (c.Weight, Gen.Constant(c.Value))).ToArray());

    private static Gen<ulong> Raw64 =>
        from hi in Gen.Choose(int.MinValue, int.MaxValue)
        from lo in Gen.Choose(int.MinValue, int.MaxValue)
        select ((ulong)(uint)hi << 32) | (uint)lo;

    /// <summary>A virtual address near one of the interesting places, aligned mostly to the focus size.</summary>
    public static Gen<ulong> FreshVa(AddressSpace s, ulong focus)
    {
        var anchor = Gen.Frequency(
            (5, Gen.Constant(s.Low)), (2, Gen.Constant(s.Mid)), (2, Gen.Constant(s.LowTop)),
            (2, Gen.Constant(s.HighBottom)), (3, Gen.Constant(s.HighTop)), (1, Gen.Constant(s.SlotEdge)),
            (1, Gen.Constant(s.NonCanonical)), (1, Raw64.Select(v => v & ~(K4 - 1))));
        // Rare: the first non-canonical address and a random one; LowTop + 2G and HighTop + 2G also leave
        // the canonical range (or wrap past 2^64) through the offset below.
        return from a in anchor
               from off in Offset(focus)
               select unchecked(a + off);
    }

    /// <summary>An offset of whole 1G, 2M and 4K steps, biased to keep the focus size's alignment, and rarely a stray byte.</summary>
    private static Gen<ulong> Offset(ulong focus)
    {
        var gigs = Pick((12, 0), (6, 1), (1, 2));
        var megs = focus == G1 ? Pick((30, 0), (1, 1), (1, 511)) : Pick((4, 0), (4, 1), (1, 2), (1, 511));
        var pages = focus == K4 ? Pick((3, 0), (3, 1), (2, 2), (1, 511)) : Pick((30, 0), (1, 1), (1, 511));
        var bytes = Pick((150, 0), (1, 1), (1, 8), (1, 0x800), (1, 0xfff));
        return from g in gigs
               from m in megs
               from p in pages
               from b in bytes
               select g * G1 + m * M2 + p * K4 + b;
    }

    /// <summary>A physical address: low memory, around 1G, or at and beyond the top of the physical width.</summary>
    public static Gen<ulong> FreshPa(AddressSpace s, ulong focus)
    {
        var anchor = Gen.Frequency(
            (6, Gen.Constant(0UL)), (3, Gen.Constant(G1)), (2, Gen.Constant(s.PaLimit - 2 * G1)),
            (1, Gen.Constant(s.PaLimit)), (1, Gen.Constant(ulong.MaxValue - G1 + 1)));
        return from a in anchor
               from off in Offset(focus)
               select unchecked(a + off);
    }

    /// <summary>Flags: mostly valid (Read plus any others), sometimes without Read or with an undefined bit.</summary>
    public static Gen<MappingFlags> Flags =>
        Gen.Frequency(
            (17, Gen.Choose(0, 31).Select(extra => MappingFlags.Read | (MappingFlags)(extra << 1))),
            (1, Gen.Constant(MappingFlags.None)),
            (1, Gen.Constant(MappingFlags.Write | MappingFlags.Execute)),
            (1, Gen.Constant(MappingFlags.Read | (MappingFlags)0x40)));

    private static Gen<ulong> FromPool(ulong[] pool, ulong[] targets, Gen<ulong> fresh, ulong focus) =>
        Gen.Frequency(
            (targets.Length > 0 ? 12 : 0, targets.Length > 0 ? Gen.Elements(targets) : Gen.Constant(0UL)),
            (12, Gen.Elements(pool)),
            (2, from v in Gen.Elements(pool) from k in Pick((1, 1), (1, 2)) select unchecked(v + k * focus)),
            (1, from v in Gen.Elements(pool) select unchecked(v + K4)),
            (2, fresh));

    private static Gen<PageSize> SizeFor(ulong focus) =>
        Gen.Frequency(
            (17, Gen.Constant((PageSize)focus)),
            (1, Gen.Constant(PageSize.Size4K)), (1, Gen.Constant(PageSize.Size2M)), (1, Gen.Constant(PageSize.Size1G)));

    /// <summary>A region length: whole focus pages plus a few 4K pages, sometimes zero or bad.</summary>
    private static Gen<ulong> RegionSize(ulong focus) =>
        Gen.Frequency(
            (12, from k in Gen.Choose(0, 2) from j in Gen.Choose(0, 3) select (ulong)k * focus + (ulong)j * K4),
            (1, Gen.Constant(0UL)),
            (1, from j in Gen.Choose(1, 3) select (ulong)j * K4 + 1),
            (1, Gen.Constant(1UL << 62)),
            (1, Gen.Constant(ulong.MaxValue - K4 + 1)));

    private static Gen<bool> Bool(int trueWeight, int falseWeight) =>
        Gen.Frequency((trueWeight, Gen.Constant(true)), (falseWeight, Gen.Constant(false)));

    private static Gen<PageOp> Op(AddressSpace s, ulong focus, OpKind? focusOp, ulong[] vaPool, ulong[] paPool, ulong[] targets)
    {
        var va = FromPool(vaPool, targets, FreshVa(s, focus), focus);
        var pa = FromPool(paPool, [], FreshPa(s, focus), focus);
        bool huge = focus != K4;

        var map = from v in va from p in pa from size in SizeFor(focus) from f in Flags
                  select (PageOp)new MapOp(v, p, size, f);
        var unmap = va.Select(v => (PageOp)new UnmapOp(v));
        var query = from v in va from off in Gen.Elements(0UL, 0x123UL, focus - 8)
                    select (PageOp)new QueryOp(unchecked(v + off));
        var protect = from v in va from f in Flags select (PageOp)new ProtectOp(v, f);
        var remap = from v in va from p in pa from f in Flags select (PageOp)new RemapOp(v, p, f);
        var mapRegion =
            from v in va from p in pa from size in RegionSize(focus) from f in Flags
            from allowHuge in Bool(huge ? 4 : 1, huge ? 1 : 3)
            from flush in Bool(1, 3)
            from scramble in Gen.Frequency((5, Gen.Constant(0UL)), (1, Gen.Constant(K4)), (1, Gen.Constant(focus)))
            from contiguous in Bool(1, 1)
            select (PageOp)Bounded(new MapRegionOp(v, p, size, f, allowHuge, flush, scramble, contiguous && scramble == 0));
        var unmapRegion = from v in va from size in RegionSize(focus) from flush in Bool(1, 3)
                          select (PageOp)new UnmapRegionOp(v, size, flush);
        var protectRegion = from v in va from size in RegionSize(focus) from f in Flags from flush in Bool(1, 3)
                            select (PageOp)new ProtectRegionOp(v, size, f, flush);
        ulong slot = 1UL << (12 + 9 * (s.Levels - 1));
        var copyFrom = from v in va
                       from size in Gen.Elements(K4, G1, slot, 2 * slot, 0UL, K4 + 1)
                       from src in Gen.Frequency((8, Gen.Constant(CopySource.Peer)), (1, Gen.Constant(CopySource.Self)), (1, Gen.Constant(CopySource.Foreign)))
                       select (PageOp)new CopyFromOp(v, size, src);

        (OpKind Kind, int Weight, Gen<PageOp> Gen)[] all =
        [
            (OpKind.Map, 8, map), (OpKind.Unmap, 3, unmap), (OpKind.Query, 3, query), (OpKind.Protect, 2, protect),
            (OpKind.Remap, 2, remap), (OpKind.MapRegion, 3, mapRegion), (OpKind.UnmapRegion, 2, unmapRegion),
            (OpKind.ProtectRegion, 2, protectRegion), (OpKind.CopyFrom, 1, copyFrom),
        ];
        return Gen.Frequency(all.Select(o => (o.Weight + (o.Kind == focusOp ? 10 : 0), o.Gen)).ToArray());
    }

    /// <summary>
    /// Keeps a region's page count small enough for a dictionary model: regions over 4 MiB use huge pages from
    /// 2M-aligned addresses (at most ~1,000 leaves). Bad arguments stay bad.
    /// </summary>
    public static MapRegionOp Bounded(MapRegionOp op)
    {
        if (op.Size <= 2 * M2 || op.Size >= 1UL << 40) return op;
        return op with
        {
            AllowHuge = true,
            Va = op.Va & ~(M2 - 1) | (op.Va & (K4 - 1)),
            PaBase = op.PaBase & ~(M2 - 1) | (op.PaBase & (K4 - 1)),
            Scramble = op.Scramble & ~(M2 - 1),
            Contiguous = op.Contiguous && (op.Scramble & ~(M2 - 1)) == 0,
        };
    }
}

/// <summary>Shrinks a sequence: drops chunks and single steps first, then simplifies the arguments of each step.</summary>
public static class Shrinker
{
    public static IEnumerable<OpSequence> Shrink(OpSequence seq)
    {
        var ops = seq.Ops;
        int n = ops.Length;
        for (int chunk = n / 2; chunk >= 1; chunk /= 2)
            for (int start = 0; start + chunk <= n; start += chunk)
                yield return seq with { Ops = [.. ops[..start], .. ops[(start + chunk)..]] };
        for (int i = 0; i < n; i++)
            foreach (var simpler in Simplify(ops[i]))
            {
                var copy = (PageOp[])ops.Clone();
                copy[i] = simpler;
                yield return seq with { Ops = copy };
            }
    }

    private static IEnumerable<PageOp> Simplify(PageOp op)
    {
        const MappingFlags R = MappingFlags.Read;
        switch (op)
        {
            case MapOp m when m.Flags != R && m.Flags.IsValidForMapping():
                yield return m with { Flags = R };
                break;
            case ProtectOp p when p.Flags != R && p.Flags.IsValidForMapping():
                yield return p with { Flags = R };
                break;
            case RemapOp r when r.Flags != R && r.Flags.IsValidForMapping():
                yield return r with { Flags = R };
                break;
            case MapRegionOp mr:
                if (mr.Scramble != 0) yield return mr with { Scramble = 0 };
                if (mr.FlushByPage) yield return mr with { FlushByPage = false };
                if (mr.Flags != R && mr.Flags.IsValidForMapping()) yield return mr with { Flags = R };
                if (mr.Size > AddressSpace.K4 && mr.Size % AddressSpace.K4 == 0 && mr.Size < 1UL << 40)
                    yield return Generators.Bounded(mr with { Size = mr.Size / 2 & ~(AddressSpace.K4 - 1) });
                break;
            case UnmapRegionOp ur:
                if (ur.FlushByPage) yield return ur with { FlushByPage = false };
                break;
            case ProtectRegionOp pr:
                if (pr.FlushByPage) yield return pr with { FlushByPage = false };
                if (pr.Flags != R && pr.Flags.IsValidForMapping()) yield return pr with { Flags = R };
                break;
        }
    }
}
