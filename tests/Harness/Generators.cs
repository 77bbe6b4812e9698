using System.Collections.Immutable;
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
        var parts = new Parts(kind, (ulong)focusSize, focusOp);
        var vaPools = Gen.ArrayOf(parts.FreshVa, 5);
        var paPools = Gen.ArrayOf(parts.FreshPa, 4);
        return Gen.Sized(n =>
            from length in Gen.Choose(Math.Max(1, n / 2), Math.Max(1, n))
            from vaPool in vaPools
            from paPool in paPools
            from ops in Steps(parts, vaPool, paPool, length)
            select new OpSequence(kind, ops));
    }

    /// <summary>The generators of one table type, focus page size and focus operation that do not depend on a sequence's pools.</summary>
    private sealed class Parts
    {
        public readonly ulong Focus;
        public readonly OpKind? FocusOp;
        public readonly Gen<ulong> FreshVa, FreshPa, RegionSize, Scramble, QueryOffset, CopySize, PoolStep;
        public readonly Gen<PageSize> Size;
        public readonly Gen<bool> AllowHuge, Flush, Contiguous, AlignLarger;
        public readonly Gen<CopySource> CopySource;

        public Parts(TableKind kind, ulong focus, OpKind? focusOp)
        {
            var s = AddressSpace.For(kind);
            Focus = focus;
            FocusOp = focusOp;
            FreshVa = Generators.FreshVa(s, focus);
            FreshPa = Generators.FreshPa(s, focus);
            Size = SizeFor(focus);
            RegionSize = Generators.RegionSize(focus);
            bool huge = focus != K4;
            AllowHuge = Bool(huge ? 4 : 1, huge ? 1 : 3);
            Flush = Bool(1, 3);
            Contiguous = Bool(1, 1);
            AlignLarger = Bool(3, 1);
            Scramble = Gen.Frequency((5, Gen.Constant(0UL)), (1, Gen.Constant(K4)), (1, Gen.Constant(focus)));
            QueryOffset = Gen.Elements(0UL, 0x123UL, focus - 8);
            ulong slot = 1UL << (12 + 9 * (s.Levels - 1));
            CopySize = Gen.Elements(K4, G1, slot, 2 * slot, 0UL, K4 + 1);
            CopySource = Gen.Frequency((8, Gen.Constant(Harness.CopySource.Peer)), (1, Gen.Constant(Harness.CopySource.Self)), (1, Gen.Constant(Harness.CopySource.Foreign)));
            PoolStep = Pick((1, 1), (1, 2));
        }

        /// <summary>A physical address from the pool (moved by one or two focus pages or by 4K), or a fresh one.</summary>
        public Gen<ulong> Pa(ulong[] paPool)
        {
            var element = Gen.Elements(paPool);
            return Gen.Frequency(
                (12, element),
                (2, from v in element from k in PoolStep select unchecked(v + k * Focus)),
                (1, from v in element select unchecked(v + K4)),
                (2, FreshPa));
        }

        /// <summary>
        /// A virtual address for a step: mostly from the sequence's pool or an earlier step's target, sometimes a pool
        /// address moved by one or two focus pages or by 4K, sometimes a fresh one.
        /// </summary>
        public Gen<ulong> Va(ulong[] vaPool, ulong[] targets)
        {
            var element = Gen.Elements(vaPool);
            var choices = new List<(int, Gen<ulong>)>
            {
                (12, element),
                (2, from v in element from k in PoolStep select unchecked(v + k * Focus)),
                (1, from v in element select unchecked(v + K4)),
                (2, FreshVa),
            };
            if (targets.Length > 0) choices.Add((12, Gen.Elements(targets)));
            return Gen.Frequency(choices.ToArray());
        }
    }

    /// <summary>
    /// Generates the steps one after another, so that each can aim at the virtual addresses earlier steps
    /// mapped (their starts, the second page of each huge page and the last page of each region): unmaps, queries and protections then hit real
    /// mappings, and maps collide with them.
    /// </summary>
    private static Gen<PageOp[]> Steps(Parts parts, ulong[] vaPool, ulong[] paPool, int length)
    {
        var pa = parts.Pa(paPool);
        Gen<(ImmutableList<PageOp> Done, ulong[] Targets, HugeTarget[] Huge)> steps =
            Gen.Constant((ImmutableList<PageOp>.Empty, Array.Empty<ulong>(), Array.Empty<HugeTarget>()));
        for (int i = 0; i < length; i++)
        {
            steps = steps.SelectMany(sofar =>
                Op(parts, parts.Va(vaPool, sofar.Targets), pa, sofar.Huge).Select(op =>
                    (sofar.Done.Add(op), (ulong[])[.. sofar.Targets, .. TargetsOf(op)], (HugeTarget[])[.. sofar.Huge, .. HugeTargetsOf(op)])));
        }
        return steps.Select(s => s.Done.ToArray());
    }

    /// <summary>A huge page an earlier step may have mapped: its first byte and size.</summary>
    private readonly record struct HugeTarget(ulong Va, ulong Size);

    /// <summary>
    /// The huge pages a step may have mapped (when its arguments could succeed): a 2M or 1G <see cref="MapOp"/>, and the
    /// first huge page of a region map with huge pages allowed that starts 2M- (or 1G-) aligned in both address spaces.
    /// Region operations aimed at them cut them: the splits.
    /// </summary>
    private static HugeTarget[] HugeTargetsOf(PageOp op)
    {
        if (op is MapOp m && m.Size != PageSize.Size4K && m.Flags.IsValidForMapping() && ((m.Va | m.Pa) & ((ulong)m.Size - 1)) == 0)
            return [new HugeTarget(m.Va, (ulong)m.Size)];
        if (op is MapRegionOp r && r.AllowHuge && r.Scramble == 0 && r.Flags.IsValidForMapping() && r.Size is >= M2 and < 1UL << 40)
        {
            ulong aligned = r.Va | r.PaBase;
            if ((aligned & (G1 - 1)) == 0 && r.Size >= G1) return [new HugeTarget(r.Va, G1)];
            if ((aligned & (M2 - 1)) == 0) return [new HugeTarget(r.Va, M2)];
        }
        return [];
    }

    /// <summary>
    /// A region that cuts a huge page an earlier step mapped: it starts at the page, one page in, anywhere inside it (at a
    /// 2M piece of a 1G page, or one page past one), or near its end, and it covers one 4K page (a guard page), two, a 2M
    /// piece, the rest of the huge page (less its last page), or runs past its end.
    /// </summary>
    private static Gen<(ulong Va, ulong Size)> PartialHuge(HugeTarget[] huge)
    {
        return from h in Gen.Elements(huge)
               from off in HugeOffset(h.Size)
               from len in HugeLength(h.Size, off)
               select (unchecked(h.Va + off), len);
    }

    private static readonly Gen<ulong> AnyPageOf2M = Gen.Choose(1, 511).Select(k => (ulong)k * K4);
    private static readonly Gen<ulong> AnyPieceOf1G = Gen.Choose(1, 511).Select(k => (ulong)k * M2);

    private static Gen<ulong> HugeOffset(ulong size) => size == M2
        ? Gen.Frequency((2, Gen.Constant(0UL)), (3, Gen.Constant(K4)), (4, AnyPageOf2M), (2, Gen.Constant(M2 - K4)), (1, Gen.Constant(M2 / 2)))
        : Gen.Frequency((2, Gen.Constant(0UL)), (2, Gen.Constant(K4)), (2, AnyPieceOf1G), (2, AnyPieceOf1G.Select(p => p + K4)),
            (2, from p in AnyPieceOf1G from q in AnyPageOf2M select p + q), (1, Gen.Constant(G1 - K4)), (1, Gen.Constant(G1 - M2)));

    private static Gen<ulong> HugeLength(ulong size, ulong off) =>
        Gen.Frequency(
            (4, Gen.Constant(K4)), (2, Gen.Constant(2 * K4)), (3, Gen.Constant(M2)), (1, Gen.Constant(M2 + K4)),
            (2, Gen.Constant(size - off)), (2, Gen.Constant(size - off > K4 ? size - off - K4 : K4)), (1, Gen.Constant(size)),
            (1, Gen.Choose(1, 1024).Select(k => (ulong)k * K4)));

    private static ulong[] TargetsOf(PageOp op)
    {
        // Only steps whose arguments could succeed: aiming at failed maps would mostly miss.
        // A huge page's second 4K page too: unmaps, protections and remaps there must answer MappedToHugePage.
        if (op is MapOp m && m.Flags.IsValidForMapping() && ((m.Va | m.Pa) & ((ulong)m.Size - 1)) == 0)
            return m.Size == PageSize.Size4K ? [m.Va] : [m.Va, unchecked(m.Va + K4)];
        if (op is MapRegionOp r && r.Size is > 0 and < 1UL << 40 && r.Flags.IsValidForMapping() && ((r.Va | r.Size) & (K4 - 1)) == 0)
            return [r.Va, unchecked(r.Va + r.Size - K4)];
        // A page protected to PROT_NONE: later steps give it rights back, query, unmap or remap it (the round trip).
        if (op is ProtectOp p && p.Flags.IsValidForMapping() && p.Flags.IsProtNone())
            return [p.Va];
        if (op is ProtectRegionOp pr && pr.Size is > 0 and < 1UL << 40 && pr.Flags.IsValidForMapping() && pr.Flags.IsProtNone()
            && ((pr.Va | pr.Size) & (K4 - 1)) == 0)
            return [pr.Va, unchecked(pr.Va + pr.Size - K4)];
        return [];
    }

    private static Gen<ulong> Pick(params (int Weight, ulong Value)[] choices) =>
        Gen.Frequency(choices.Select(c => (c.Weight, Gen.Constant(c.Value))).ToArray());

    // Generators named by locals, not built inside a query's later clauses (which would rebuild them at every draw).
    private static readonly Gen<int> AnyInt = Gen.Choose(int.MinValue, int.MaxValue);

    private static Gen<ulong> Raw64 =>
        from hi in AnyInt
        from lo in AnyInt
        select ((ulong)(uint)hi << 32) | (uint)lo;

    /// <summary>A virtual address near one of the interesting places, aligned mostly to the focus size.</summary>
    public static Gen<ulong> FreshVa(AddressSpace s, ulong focus)
    {
        var anchor = Gen.Frequency(
            (5, Gen.Constant(s.Low)), (2, Gen.Constant(s.Mid)), (2, Gen.Constant(s.LowTop)),
            (2, Gen.Constant(s.HighBottom)), (3, Gen.Constant(s.HighTop)), (1, Gen.Constant(s.SlotEdge)),
            (1, Gen.Constant(s.NonCanonical)), (1, Raw64.Select(v => v & ~(K4 - 1))),
            (3, OneBitFlipped(s)));
        // Rare: the first non-canonical address and a random one; LowTop + 2G and HighTop + 2G also leave
        // the canonical range (or wrap past 2^64) through the offset below.
        var offset = Offset(focus);
        return from a in anchor
               from off in offset
               select unchecked(a + off);
    }

    /// <summary>
    /// A canonical anchor with one bit from the top of the virtual width (V-1) to 63 flipped: non-canonical, and
    /// accepted by a canonical check that ignores that bit (<see cref="Coverage.AddressClass"/> counts each bit).
    /// </summary>
    public static Gen<ulong> OneBitFlipped(AddressSpace s) =>
        from anchor in Gen.Elements(s.Low, s.Mid, s.HighBottom, s.HighTop)
        from bit in Gen.Choose(s.VaBits - 1, 63)
        select anchor ^ (1UL << bit);

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
        var offset = Offset(focus);
        return from a in anchor
               from off in offset
               select unchecked(a + off);
    }

    /// <summary>
    /// Flags: mostly Read plus any others; often PROT_NONE (none of Read, Write, Execute, with any of User, Device,
    /// Uncached), so that pages are mapped, protected to and from PROT_NONE, queried, walked and unmapped in that state;
    /// sometimes invalid (Write or Execute without Read, an undefined bit).
    /// </summary>
    public static Gen<MappingFlags> Flags { get; } =
        Gen.Frequency(
            (15, Gen.Choose(0, 31).Select(extra => MappingFlags.Read | (MappingFlags)(extra << 1))),
            (4, Gen.Choose(0, 7).Select(kept => (MappingFlags)(kept << 3))),
            (1, Gen.Elements(MappingFlags.Write | MappingFlags.Execute, MappingFlags.Execute, MappingFlags.Write | MappingFlags.User)),
            (1, Gen.Elements(MappingFlags.Read | (MappingFlags)0x40, (MappingFlags)0x40)));

    private static Gen<PageSize> SizeFor(ulong focus) =>
        Gen.Frequency(
            (14, Gen.Constant((PageSize)focus)),
            (2, Gen.Constant(PageSize.Size4K)), (2, Gen.Constant(PageSize.Size2M)), (2, Gen.Constant(PageSize.Size1G)));

    private static readonly Gen<int> ZeroToThree = Gen.Choose(0, 3);

    /// <summary>A region length: whole focus pages plus a few 4K pages, sometimes zero or bad.</summary>
    private static Gen<ulong> RegionSize(ulong focus) =>
        Gen.Frequency(
            (12, from k in Gen.Choose(0, 2) from j in ZeroToThree select (ulong)k * focus + (ulong)j * K4),
            (1, Gen.Constant(0UL)),
            (1, from j in Gen.Choose(1, 3) select (ulong)j * K4 + 1),
            (1, Gen.Constant(1UL << 62)),
            (1, Gen.Constant(ulong.MaxValue - K4 + 1)));

    private static Gen<bool> Bool(int trueWeight, int falseWeight) =>
        Gen.Frequency((trueWeight, Gen.Constant(true)), (falseWeight, Gen.Constant(false)));

    private static Gen<PageOp> Op(Parts c, Gen<ulong> va, Gen<ulong> pa, HugeTarget[] huge)
    {

        // A page larger than the focus size is mostly placed aligned (pool addresses are aligned to the focus size
        // only), so that huge pages also appear, and collide, when the focus is 4K.
        var map = from v in va
                  from pa1 in pa
                  from size in c.Size
                  from f in Flags
                  from align in c.AlignLarger
                  let mask = align && (ulong)size > c.Focus ? ~((ulong)size - 1) : ulong.MaxValue
                  select (PageOp)new MapOp(v & mask, pa1 & mask, size, f);
        var unmap = va.Select(v => (PageOp)new UnmapOp(v));
        var query = from v in va
                    from off in c.QueryOffset
                    select (PageOp)new QueryOp(unchecked(v + off));
        var protect = from v in va from f in Flags select (PageOp)new ProtectOp(v, f);
        var remap = from v in va from pa1 in pa from f in Flags select (PageOp)new RemapOp(v, pa1, f);
        var mapRegion =
            from v in va
            from pa1 in pa
            from size in c.RegionSize
            from f in Flags
            from allowHuge in c.AllowHuge
            from flush in c.Flush
            from scramble in c.Scramble
            from contiguous in c.Contiguous
            select (PageOp)Bounded(new MapRegionOp(v, pa1, size, f, allowHuge, flush, scramble, contiguous && scramble == 0));
        var unmapRegion = from v in va
                          from size in c.RegionSize
                          from flush in c.Flush
                          select (PageOp)new UnmapRegionOp(v, size, flush);
        var protectRegion = from v in va
                            from size in c.RegionSize
                            from f in Flags
                            from flush in c.Flush
                            select (PageOp)new ProtectRegionOp(v, size, f, flush);
        if (huge.Length > 0)
        {
            // Often a region that cuts a huge page made earlier (a split), and churn: a huge page mapped again where one was.
            var cut = PartialHuge(huge);
            unmapRegion = Gen.Frequency(
                (1, unmapRegion),
                (1, from r in cut from flush in c.Flush select (PageOp)new UnmapRegionOp(r.Va, r.Size, flush)));
            protectRegion = Gen.Frequency(
                (1, protectRegion),
                (1, from r in cut from f in Flags from flush in c.Flush select (PageOp)new ProtectRegionOp(r.Va, r.Size, f, flush)));
            map = Gen.Frequency(
                (4, map),
                (1, from h in Gen.Elements(huge)
                    from pa1 in pa
                    from f in Flags
                    select (PageOp)new MapOp(h.Va, pa1 & ~(h.Size - 1), (PageSize)h.Size, f)));
        }
        var copyFrom = from v in va
                       from size in c.CopySize
                       from src in c.CopySource
                       select (PageOp)new CopyFromOp(v, size, src);

        (OpKind Kind, int Weight, Gen<PageOp> Gen)[] all =
        [
            (OpKind.Map, 8, map), (OpKind.Unmap, 3, unmap), (OpKind.Query, 3, query), (OpKind.Protect, 2, protect),
            (OpKind.Remap, 2, remap), (OpKind.MapRegion, 3, mapRegion), (OpKind.UnmapRegion, 2, unmapRegion),
            (OpKind.ProtectRegion, 2, protectRegion), (OpKind.CopyFrom, 1, copyFrom),
        ];
        return Gen.Frequency(all.Select(o => (o.Weight + (o.Kind == c.FocusOp ? 10 : 0), o.Gen)).ToArray());
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
        switch (op)
        {
            case MapOp m:
                foreach (var f in FewerBits(m.Flags)) yield return m with { Flags = f };
                break;
            case ProtectOp p:
                foreach (var f in FewerBits(p.Flags)) yield return p with { Flags = f };
                break;
            case RemapOp r:
                foreach (var f in FewerBits(r.Flags)) yield return r with { Flags = f };
                break;
            case MapRegionOp mr:
                if (mr.Scramble != 0) yield return mr with { Scramble = 0 };
                if (mr.FlushByPage) yield return mr with { FlushByPage = false };
                foreach (var f in FewerBits(mr.Flags)) yield return mr with { Flags = f };
                if (mr.Size > AddressSpace.K4 && mr.Size % AddressSpace.K4 == 0 && mr.Size < 1UL << 40)
                    yield return Generators.Bounded(mr with { Size = mr.Size / 2 & ~(AddressSpace.K4 - 1) });
                break;
            case UnmapRegionOp ur:
                if (ur.FlushByPage) yield return ur with { FlushByPage = false };
                break;
            case ProtectRegionOp pr:
                if (pr.FlushByPage) yield return pr with { FlushByPage = false };
                foreach (var f in FewerBits(pr.Flags)) yield return pr with { Flags = f };
                break;
        }
    }

    /// <summary>The flags with one set bit cleared, for each set bit, highest first: shrinking ends at the fewest bits that still fail.</summary>
    public static IEnumerable<MappingFlags> FewerBits(MappingFlags flags)
    {
        for (int bit = 7; bit >= 0; bit--)
        {
            var one = (MappingFlags)(1 << bit);
            if ((flags & one) != 0) yield return flags & ~one;
        }
    }
}
