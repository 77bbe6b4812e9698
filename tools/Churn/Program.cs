// Map/unmap churn: random 4K/2M/1G mappings at random addresses of a 1 TiB window in each canonical half, with at
// most --live mappings alive (map while below, otherwise unmap a random live one; a map that collides is skipped). At every checkpoint the model is
// given the live mappings, and the frames the table holds (its arena's frames in use) must equal the tables those
// mappings need plus the root (ReferenceModel.RequiredTableFrames). Exit code 1 when they differ anywhere.
// (Step-by-step equivalence with the model is the properties' job; here the model's own Map would dominate the time.)
using System.Diagnostics;
using System.Globalization;
using PageTableModel;
using PageTableMultiarch;

long ops = 10_000_000;
int live = 2_000;
ulong seed = 1;
string[] only = [];
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--ops": ops = long.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--live": live = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--tables": only = Value().Split(','); break;
        default:
            Console.Error.WriteLine($"unknown option '{args[i]}'; options: --ops N (default 10000000), --live N (2000), --seed N (1), --tables X64,A64,Sv39,Sv48,La64");
            return 2;
    }
}
if (ops <= 0 || live <= 0) { Console.Error.WriteLine("--ops and --live take positive numbers"); return 2; }

bool ok = true;
bool Wanted(string name) => only.Length == 0 || only.Contains(name, StringComparer.OrdinalIgnoreCase);
if (Wanted("X64")) ok &= Churn.Run<X64PagingMetaData, X64Pte>("X64", ArchSpec.X64, ops, live, seed);
if (Wanted("A64")) ok &= Churn.Run<A64PagingMetaData, A64Pte>("A64", ArchSpec.A64, ops, live, seed);
if (Wanted("Sv39")) ok &= Churn.Run<Sv39PagingMetaData, RiscVPte>("Sv39", ArchSpec.Sv39, ops, live, seed);
if (Wanted("Sv48")) ok &= Churn.Run<Sv48PagingMetaData, RiscVPte>("Sv48", ArchSpec.Sv48, ops, live, seed);
if (Wanted("La64")) ok &= Churn.Run<La64PagingMetaData, La64Pte>("La64", ArchSpec.La64, ops, live, seed);
return ok ? 0 : 1;

internal static class Churn
{
    public static bool Run<TMeta, TPte>(string name, ArchSpec arch, long ops, int live, ulong seed)
        where TMeta : struct, IPagingMetaData where TPte : unmanaged, IGenericPte<TPte>
    {
        // Enough frames for `live` 4K mappings spread as thinly as possible (three tables each) and then some.
        using var arena = new FrameArena(new PhysAddr(0x1_0000_0000), Math.Max(1024, live * 4 + 64));
        using var table = PageTable64<TMeta, TPte, ArenaHandler>.TryCreate(new ArenaHandler(arena)).Value;
        table.Live = false; // nothing to invalidate on a host; the flush tokens are ignored below
        var rng = new Random((int)(seed & 0x7fff_ffff));
        var alive = new List<(ulong Va, ulong Size)>(live);
        ulong top = arch.VaBits == 39 ? 1UL << 38 : 1UL << 40; // a window in each half that the VA width allows
        ulong high = ~((1UL << (arch.VaBits - 1)) - 1);          // the start of the upper half
        int maxHeld = 0, checkpoints = 0, mismatches = 0;
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"{name}: {ops:N0} operations, at most {live:N0} live mappings, seed {seed}");
        for (long n = 1; n <= ops; n++)
        {
            if (alive.Count < live)
            {
                int pick = rng.Next(100);
                ulong size = pick < 90 ? 0x1000UL : pick < 99 ? 0x20_0000UL : 0x4000_0000UL;
                ulong va = ((ulong)rng.NextInt64() % top) & ~(size - 1);
                if (rng.Next(2) == 1) va |= high;
                ulong pa = ((ulong)rng.NextInt64() % (1UL << 36)) & ~(size - 1);
                var result = table.Map(new VirtAddr(va), new PhysAddr(pa), (PageSize)size, MappingFlags.Read | MappingFlags.Write);
                if (result.IsOk) alive.Add((va, size));
                else if (result.Error is not (PagingError.AlreadyMapped or PagingError.MappedToHugePage)) { Report(name, n, $"Map {va:x} size {size:x}: {result.Error}"); return false; }
            }
            else
            {
                int at = rng.Next(alive.Count);
                var (va, _) = alive[at];
                alive[at] = alive[^1];
                alive.RemoveAt(alive.Count - 1);
                var result = table.Unmap(new VirtAddr(va));
                if (!result.IsOk) { Report(name, n, $"Unmap {va:x}: {result.Error}"); return false; }
            }
            maxHeld = Math.Max(maxHeld, arena.InUse);
            if (n % (ops / 10 == 0 ? 1 : ops / 10) == 0 || n == ops)
            {
                var model = new ReferenceModel(arch);
                foreach (var (va, size) in alive) model.Map(va, 0, size, ModelFlags.Read | ModelFlags.Write);
                int held = arena.InUse, needed = model.RequiredTableFrames();
                checkpoints++;
                if (held != needed) mismatches++;
                Console.WriteLine($"  after {n,14:N0}: {alive.Count,6:N0} live, {held,6:N0} frames held, {needed,6:N0} needed{(held == needed ? "" : "  <-- differs")}");
            }
        }
        Console.WriteLine($"  most frames held at once: {maxHeld:N0}; {checkpoints} checkpoints, {mismatches} with more frames than needed; {clock.Elapsed.TotalSeconds:F1} s");
        return mismatches == 0;
    }

    private static void Report(string name, long n, string what) => Console.WriteLine($"{name}: operation {n:N0} disagrees: {what}");
}
