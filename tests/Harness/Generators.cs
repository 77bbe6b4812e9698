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

    // Performance note. Building FsCheck generators costs about as much as running them, so they are built once per
    // table type, focus size and focus operation (Parts). What a sequence's steps depend on - its address pools and
    // the targets of earlier steps - is not closed over but read, while sampling, from a per-thread Current, which
    // the enclosing bind sets right before the generator that reads it runs (FsCheck samples a bind's second half
    // right after calling its function, on the same thread). Gen.Sized neither splits nor draws from the random
    // source, so Gen.Sized(_ => Gen.Elements(current array)) samples exactly as Gen.Elements(that array) would: the
    // random draws, and so the sequences for a seed, are the same as when everything was built afresh per step.

    public static Gen<OpSequence> SequenceGen(TableKind kind, PageSize focusSize, OpKind? focusOp) =>
        Parts.For(kind, (ulong)focusSize, focusOp).Sequence;

    /// <summary>What the step generators read while sampling one sequence (see the performance note).</summary>
    private sealed class Current
    {
        [ThreadStatic] private static Current? t_current;

        public static Current ForThread => t_current ??= new Current();

        public ulong[] VaPool = [], PaPool = [], Targets = [];
    }

    private static Gen<ulong> ElementOf(Func<Current, ulong[]> array) => Gen.Sized(_ => Gen.Elements(array(Current.ForThread)));

    /// <summary>The generators of one table type, focus page size and focus operation.</summary>
    private sealed class Parts
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<(TableKind, ulong, OpKind?), Parts> Cache = new();

        public static Parts For(TableKind kind, ulong focus, OpKind? focusOp) =>
            Cache.GetOrAdd((kind, focus, focusOp), k => new Parts(k.Item1, k.Item2, k.Item3));

        public readonly ulong Focus;
        public readonly OpKind? FocusOp;
        public readonly Gen<ulong> FreshVa, FreshPa, RegionSize, Scramble, QueryOffset, CopySize, PoolStep;
        public readonly Gen<ulong> VaFromPool, VaNext, VaPlusPage, Pa;
        public readonly Gen<PageSize> Size;
        public readonly Gen<bool> AllowHuge, Flush, Contiguous;
        public readonly Gen<CopySource> CopySource;

        /// <summary>A step's generator when earlier steps left no targets, and when they did.</summary>
        public readonly Gen<PageOp> OpWithoutTargets, OpWithTargets;

        public readonly Gen<OpSequence> Sequence;
        private readonly Dictionary<int, Gen<PageOp[]>> _steps = [];

        private Parts(TableKind kind, ulong focus, OpKind? focusOp)
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
            Scramble = Gen.Frequency((5, Gen.Constant(0UL)), (1, Gen.Constant(K4)), (1, Gen.Constant(focus)));
            QueryOffset = Gen.Elements(0UL, 0x123UL, focus - 8);
            ulong slot = 1UL << (12 + 9 * (s.Levels - 1));
            CopySize = Gen.Elements(K4, G1, slot, 2 * slot, 0UL, K4 + 1);
            CopySource = Gen.Frequency((8, Gen.Constant(Harness.CopySource.Peer)), (1, Gen.Constant(Harness.CopySource.Self)), (1, Gen.Constant(Harness.CopySource.Foreign)));
            PoolStep = Pick((1, 1), (1, 2));

            // Addresses from the pools (and targets), read from Current; physical addresses never aim at targets.
            var vaElement = ElementOf(c => c.VaPool);
            VaFromPool = vaElement;
            VaNext = from v in vaElement from k in PoolStep select unchecked(v + k * focus);
            VaPlusPage = from v in vaElement select unchecked(v + K4);
            var paElement = ElementOf(c => c.PaPool);
            Pa = Gen.Frequency(
                (0, Gen.Constant(0UL)), // no targets for physical addresses
                (12, paElement),
                (2, from v in paElement from k in PoolStep select unchecked(v + k * focus)),
                (1, from v in paElement select unchecked(v + K4)),
                (2, FreshPa));
            OpWithoutTargets = Op(this, VaGen(this, Gen.Constant(0UL), 0));
            OpWithTargets = Op(this, VaGen(this, ElementOf(c => c.Targets), 12));

            var vaPool = Gen.ArrayOf(FreshVa, 5);
            var paPool = Gen.ArrayOf(FreshPa, 4);
            Sequence = Gen.Sized(n =>
                from length in Gen.Choose(Math.Max(1, n / 2), Math.Max(1, n))
                from vaPoolValue in vaPool
                from paPoolValue in paPool
                from ops in StartSteps(vaPoolValue, paPoolValue, length)
                select new OpSequence(kind, ops));
        }

        private Gen<PageOp[]> StartSteps(ulong[] vaPool, ulong[] paPool, int length)
        {
            var current = Current.ForThread;
            current.VaPool = vaPool;
            current.PaPool = paPool;
            lock (_steps)
            {
                if (!_steps.TryGetValue(length, out var steps)) _steps[length] = steps = Steps(this, length);
                return steps;
            }
        }
    }

    /// <summary>The steps so far and the addresses they mapped (<see cref="Targets"/>), shared when unchanged.</summary>
    private sealed record StepsSoFar(PageOp[] Done, int Count, ulong[] Targets)
    {
        public static readonly StepsSoFar None = new([], 0, []);

        public StepsSoFar Then(PageOp op)
        {
            var done = Done;
            if (Count == done.Length || done[Count] is not null)
            {
                // Full, or another branch already extended this array: copy (generators may run more than once).
                done = new PageOp[Math.Max(8, 2 * Count)];
                Array.Copy(Done, done, Count);
            }
            done[Count] = op;
            var targets = Targets;
            var more = TargetsOf(op);
            if (more.Length > 0) targets = [.. Targets, .. more];
            return new StepsSoFar(done, Count + 1, targets);
        }
    }

    /// <summary>
    /// Generates the steps one after another, so that each can aim at the virtual addresses earlier steps
    /// mapped (their starts, and the second page of each): unmaps, queries and protections then hit real
    /// mappings, and maps collide with them.
    /// </summary>
    private static Gen<PageOp[]> Steps(Parts parts, int length)
    {
        Gen<StepsSoFar> steps = Gen.Constant(StepsSoFar.None);
        for (int i = 0; i < length; i++)
        {
            steps = steps.SelectMany(done =>
            {
                Current.ForThread.Targets = done.Targets;
                return (done.Targets.Length > 0 ? parts.OpWithTargets : parts.OpWithoutTargets).Select(op => done.Then(op));
            });
        }
        return steps.Select(s => s.Done.AsSpan(0, s.Count).ToArray());
    }

    private static ulong[] TargetsOf(PageOp op)
    {
        // Only steps whose arguments could succeed: aiming at failed maps would mostly miss.
        if (op is MapOp m && m.Flags.IsValidForMapping() && ((m.Va | m.Pa) & ((ulong)m.Size - 1)) == 0) return [m.Va];
        if (op is MapRegionOp r && r.Size is > 0 and < 1UL << 40 && r.Flags.IsValidForMapping() && ((r.Va | r.Size) & (K4 - 1)) == 0)
            return [r.Va, unchecked(r.Va + r.Size - K4)];
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
            (1, Gen.Constant(s.NonCanonical)), (1, Raw64.Select(v => v & ~(K4 - 1))));
        // Rare: the first non-canonical address and a random one; LowTop + 2G and HighTop + 2G also leave
        // the canonical range (or wrap past 2^64) through the offset below.
        var offset = Offset(focus);
        return from a in anchor
               from off in offset
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
        var offset = Offset(focus);
        return from a in anchor
               from off in offset
               select unchecked(a + off);
    }

    /// <summary>Flags: mostly valid (Read plus any others), sometimes without Read or with an undefined bit.</summary>
    public static Gen<MappingFlags> Flags { get; } =
        Gen.Frequency(
            (17, Gen.Choose(0, 31).Select(extra => MappingFlags.Read | (MappingFlags)(extra << 1))),
            (1, Gen.Constant(MappingFlags.None)),
            (1, Gen.Constant(MappingFlags.Write | MappingFlags.Execute)),
            (1, Gen.Constant(MappingFlags.Read | (MappingFlags)0x40)));

    /// <summary>
    /// A virtual address for a step: mostly from the sequence's pool (read from <see cref="Current"/>) or an earlier
    /// step's target, sometimes a pool address moved by one or two focus pages or by 4K, sometimes a fresh one.
    /// </summary>
    private static Gen<ulong> VaGen(Parts p, Gen<ulong> target, int targetWeight) =>
        Gen.Frequency(
            (targetWeight, target),
            (12, p.VaFromPool),
            (2, p.VaNext),
            (1, p.VaPlusPage),
            (2, p.FreshVa));

    private static Gen<PageSize> SizeFor(ulong focus) =>
        Gen.Frequency(
            (17, Gen.Constant((PageSize)focus)),
            (1, Gen.Constant(PageSize.Size4K)), (1, Gen.Constant(PageSize.Size2M)), (1, Gen.Constant(PageSize.Size1G)));

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

    private static Gen<PageOp> Op(Parts c, Gen<ulong> va)
    {
        var pa = c.Pa;

        var map = from v in va from pa1 in pa from size in c.Size from f in Flags
                  select (PageOp)new MapOp(v, pa1, size, f);
        var unmap = va.Select(v => (PageOp)new UnmapOp(v));
        var query = from v in va from off in c.QueryOffset
                    select (PageOp)new QueryOp(unchecked(v + off));
        var protect = from v in va from f in Flags select (PageOp)new ProtectOp(v, f);
        var remap = from v in va from pa1 in pa from f in Flags select (PageOp)new RemapOp(v, pa1, f);
        var mapRegion =
            from v in va from pa1 in pa from size in c.RegionSize from f in Flags
            from allowHuge in c.AllowHuge
            from flush in c.Flush
            from scramble in c.Scramble
            from contiguous in c.Contiguous
            select (PageOp)Bounded(new MapRegionOp(v, pa1, size, f, allowHuge, flush, scramble, contiguous && scramble == 0));
        var unmapRegion = from v in va from size in c.RegionSize from flush in c.Flush
                          select (PageOp)new UnmapRegionOp(v, size, flush);
        var protectRegion = from v in va from size in c.RegionSize from f in Flags from flush in c.Flush
                            select (PageOp)new ProtectRegionOp(v, size, f, flush);
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
