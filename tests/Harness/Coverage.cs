using PageTableModel;

namespace PageTableMultiarch.Harness;

/// <summary>
/// Coverage requirements, QuickCheck style: every operation must reach every result it can have in an equivalence
/// run, and operation addresses must reach every class the canonical check distinguishes, each with at least a
/// minimum share. A requirement fails only when the observed share is clearly below its minimum: the upper end of
/// the Wilson score interval (z = <see cref="Z"/>) lies under it. Few observations never fail; many observations of a
/// case the generators stopped reaching always do.
/// </summary>
public static class Coverage
{
    /// <summary>Minimum share of every possible result among an operation's results, per table and page size.</summary>
    public const double MinOutcomeShare = 0.001;

    /// <summary>Minimum share of every address class among all operations of a table.</summary>
    public const double MinAddressShare = 0.001;

    /// <summary>Minimum share of every kind of split (<see cref="SplitKinds"/>) among the region unmaps and among the
    /// region protections, per table and page size.</summary>
    public const double MinSplitShare = 0.001;

    /// <summary>
    /// The kinds of split a region operation makes at an end that lies inside a huge page: a 2M page becomes 4K pages; a
    /// 1G page becomes 2M pages (the end is 2M-aligned); a 1G page becomes 2M pages and the 2M piece the end cuts 4K pages.
    /// The last kind counts, besides its size kind, a split of a PROT_NONE huge page (of either size), whose pieces stay
    /// PROT_NONE.
    /// </summary>
    public static readonly string[] SplitKinds = ["2M split", "1G split", "1G split down to 4K", "PROT_NONE page split"];

    /// <summary>
    /// The splits <paramref name="op"/> makes if it succeeds, from <paramref name="model"/>'s mappings before it: one per
    /// end of its region that lies strictly inside a huge mapping (<see cref="SplitKinds"/>), and one more for such an
    /// end inside a PROT_NONE huge mapping; none for other operations.
    /// </summary>
    public static IReadOnlyList<string> SplitsOf(ReferenceModel model, PageOp op)
    {
        (ulong va, ulong size) = op switch
        {
            UnmapRegionOp u => (u.Va, u.Size),
            ProtectRegionOp p => (p.Va, p.Size),
            _ => (0UL, 0UL),
        };
        if (size == 0) return [];
        var splits = new List<string>();
        foreach (ulong end in new[] { va, unchecked(va + size) })
        {
            if (model.Translate(end) is not { } m || m.Va == end) continue;
            splits.Add(m.Size == AddressSpace.M2 ? SplitKinds[0] : (end & (AddressSpace.M2 - 1)) == 0 ? SplitKinds[1] : SplitKinds[2]);
            if (m.Flags.IsProtNone()) splits.Add(SplitKinds[3]);
        }
        return splits;
    }

    /// <summary>The confidence of "clearly below": about one false alarm in 30,000 per requirement.</summary>
    public const double Z = 4.0;

    /// <summary>
    /// The results each operation can have in an equivalence run (docs/semantics.md, per operation). Two errors are
    /// left out on purpose: <c>NoMemory</c> (the arena is large enough; <c>NoMemoryProperties</c> covers it) and
    /// <c>LentEntry</c> (the table under test never lends a slot: its only borrowers would be itself or a table of
    /// another arena, both refused; the ownership property covers it).
    /// </summary>
    public static IReadOnlyList<string> PossibleResults(OpKind op) => op switch
    {
        OpKind.Map => ["Ok", OkProtNone, "InvalidVirtAddr", "NotAligned", "InvalidFlags", "InvalidPhysAddr", "BorrowedEntry", "MappedToHugePage", "AlreadyMapped"],
        OpKind.Unmap => ["Ok", OkProtNone, "InvalidVirtAddr", "NotAligned", "BorrowedEntry", "NotMapped", "MappedToHugePage"],
        OpKind.Query => ["Ok", OkProtNone, "InvalidVirtAddr", "NotMapped"],
        OpKind.Protect => ["Ok", OkToProtNone, OkFromProtNone, "InvalidVirtAddr", "NotAligned", "InvalidFlags", "BorrowedEntry", "NotMapped", "MappedToHugePage"],
        OpKind.Remap => ["Ok", OkToProtNone, OkFromProtNone, "InvalidVirtAddr", "NotAligned", "InvalidFlags", "InvalidPhysAddr", "BorrowedEntry", "NotMapped", "MappedToHugePage"],
        OpKind.MapRegion => ["Ok", OkProtNone, "InvalidVirtAddr", "NotAligned", "RangeOverflow", "InvalidFlags", "InvalidPhysAddr", "BorrowedEntry", "MappedToHugePage", "AlreadyMapped"],
        // A huge page crossing an end of the region is split, so the region operations never answer MappedToHugePage.
        OpKind.UnmapRegion => ["Ok", OkProtNone, "InvalidVirtAddr", "NotAligned", "RangeOverflow", "BorrowedEntry", "NotMapped"],
        OpKind.ProtectRegion => ["Ok", OkToProtNone, OkFromProtNone, "InvalidVirtAddr", "NotAligned", "RangeOverflow", "InvalidFlags", "BorrowedEntry", "NotMapped"],
        OpKind.CopyFrom => ["Ok", "InvalidVirtAddr", "NotAligned", "RangeOverflow", "IncompatibleTable"],
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>A success that mapped PROT_NONE pages (Map, MapRegion), or removed or queried one (Unmap, UnmapRegion, Query).</summary>
    public const string OkProtNone = "Ok, PROT_NONE";

    /// <summary>A Protect, Remap or ProtectRegion that took every right away (new flags PROT_NONE).</summary>
    public const string OkToProtNone = "Ok, to PROT_NONE";

    /// <summary>A Protect, Remap or ProtectRegion that gave rights back to a PROT_NONE page.</summary>
    public const string OkFromProtNone = "Ok, from PROT_NONE";

    /// <summary>
    /// The result of one operation as the requirements count it: the error's name, or for a success "Ok" or one of the
    /// PROT_NONE kinds above. <paramref name="before"/> is the model's flags of the mapping at the operation's address
    /// before it ran (the first page, for a region), or null.
    /// </summary>
    public static string ResultOf(PageOp op, Outcome outcome, ModelFlags? before)
    {
        if (outcome.Error is { } error) return error;
        bool wasProtNone = before is { } b && b.IsProtNone();
        return op switch
        {
            MapOp m => m.Flags.IsProtNone() ? OkProtNone : "Ok",
            MapRegionOp r => r.Flags.IsProtNone() ? OkProtNone : "Ok",
            UnmapOp or UnmapRegionOp or QueryOp => wasProtNone ? OkProtNone : "Ok",
            ProtectOp p => Changed(p.Flags, wasProtNone),
            RemapOp r => Changed(r.Flags, wasProtNone),
            ProtectRegionOp pr => Changed(pr.Flags, wasProtNone),
            _ => "Ok",
        };
    }

    private static string Changed(MappingFlags flags, bool wasProtNone) =>
        flags.IsProtNone() ? OkToProtNone : wasProtNone ? OkFromProtNone : "Ok";

    /// <summary>
    /// The address classes of a table: <c>low half</c>, <c>high half</c> (canonical), <c>bit N flipped</c> for every
    /// N from the top bit of the virtual width (V-1) to 63 (a canonical address with that one bit changed: what a
    /// canonical check that ignores bit N would accept), and <c>other non-canonical</c>.
    /// </summary>
    public static IEnumerable<string> AddressClasses(TableKind table)
    {
        int v = AddressSpace.For(table).VaBits;
        yield return "low half";
        yield return "high half";
        for (int bit = v - 1; bit <= 63; bit++) yield return FlippedClass(bit);
    }

    /// <summary>The class of <paramref name="va"/> on <paramref name="table"/> (see <see cref="AddressClasses"/>).</summary>
    public static string AddressClass(TableKind table, ulong va)
    {
        var spec = Tables.ModelArch(table);
        if (spec.IsCanonical(va)) return (va >> 63) == 0 ? "low half" : "high half";
        for (int bit = spec.VaBits - 1; bit <= 63; bit++)
            if (spec.IsCanonical(va ^ (1UL << bit))) return FlippedClass(bit);
        return "other non-canonical";
    }

    private static string FlippedClass(int bit) => $"bit {bit} flipped";

    /// <summary>The Wilson score interval of <paramref name="k"/> successes in <paramref name="n"/> trials.</summary>
    public static (double Low, double High) Wilson(long k, long n, double z = Z)
    {
        if (n == 0) return (0, 1);
        double p = (double)k / n, z2 = z * z;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = z / (1 + z2 / n) * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>One requirement's figures.</summary>
    public sealed record Requirement(string Scope, string What, long Count, long OutOf, double MinShare)
    {
        public double Share => OutOf == 0 ? 0 : (double)Count / OutOf;

        /// <summary>Clearly below the minimum: even the upper end of the Wilson interval is under it.</summary>
        public bool Failed => Wilson(Count, OutOf).High < MinShare;

        /// <summary>The requirement is met with confidence (the lower end of the interval reaches the minimum).</summary>
        public bool Proven => Wilson(Count, OutOf).Low >= MinShare;

        public override string ToString() =>
            $"{Scope}: {What} {Count:N0} of {OutOf:N0} ({Share:P2}, minimum {MinShare:P1}){(Failed ? " CLEARLY BELOW" : "")}";
    }

    /// <summary>
    /// The result requirements of one table and page size: every possible result of every operation, plus one
    /// requirement with minimum 0 per result that is not in <see cref="PossibleResults"/> (reported, so the list stays true).
    /// </summary>
    public static List<Requirement> ResultRequirements(TableKind table, PageSize size, RunStats stats)
    {
        var byOutcome = stats.ByOutcome;
        var list = new List<Requirement>();
        foreach (var op in Enum.GetValues<OpKind>())
        {
            long n = byOutcome.Where(e => e.Key.Kind == op).Sum(e => e.Value);
            var possible = PossibleResults(op);
            foreach (var result in possible)
                list.Add(new Requirement($"{table} {Tables.SizeText((ulong)size)} {op}", result, byOutcome.GetValueOrDefault((op, result)), n, MinOutcomeShare));
        }
        return list;
    }

    /// <summary>
    /// The split requirements of one table and page size: every kind of split (<see cref="SplitKinds"/>) among the
    /// <c>UnmapRegion</c> and among the <c>ProtectRegion</c> operations.
    /// </summary>
    public static List<Requirement> SplitRequirements(TableKind table, PageSize size, RunStats stats)
    {
        var byOutcome = stats.ByOutcome;
        var bySplit = stats.BySplit;
        var list = new List<Requirement>();
        foreach (var op in new[] { OpKind.UnmapRegion, OpKind.ProtectRegion })
        {
            long n = byOutcome.Where(e => e.Key.Kind == op).Sum(e => e.Value);
            foreach (var kind in SplitKinds)
                list.Add(new Requirement($"{table} {Tables.SizeText((ulong)size)} {op}", kind, bySplit.GetValueOrDefault((op, kind)), n, MinSplitShare));
        }
        return list;
    }

    /// <summary>Results an operation gave that <see cref="PossibleResults"/> does not list (each one a harness or model error).</summary>
    public static List<string> UnexpectedResults(RunStats stats) =>
        stats.ByOutcome.Where(e => !PossibleResults(e.Key.Kind).Contains(e.Key.Result))
            .Select(e => $"{e.Key.Kind} gave {e.Key.Result} ({e.Value:N0} times)").ToList();

    /// <summary>The address requirements of one table: every class of <see cref="AddressClasses"/>.</summary>
    public static List<Requirement> AddressRequirements(TableKind table, RunStats stats)
    {
        var byClass = stats.ByAddressClass;
        return AddressClasses(table)
            .Select(c => new Requirement($"{table} addresses", c, byClass.GetValueOrDefault(c), stats.Ops, MinAddressShare))
            .ToList();
    }
}
