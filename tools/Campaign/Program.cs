using System.Diagnostics;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using PageTableMultiarch;
using PageTableMultiarch.Harness;

// Randomized equivalence campaign: Impl against the dictionary model, for every table type x page size x
// focus operation, until the operation or time budget is spent. Prints progress, a summary, and on failure
// the shrunk sequence as a paste-ready regression test with the seed to replay it.

var opts = CampaignOptions.Parse(args);
if (opts is null) return 2;

var combos = (from kind in opts.Tables
              from size in Tables.PageSizes
              from focus in Enum.GetValues<OpKind>()
              select (kind, size, focus)).ToArray();
var total = new RunStats();
var clock = Stopwatch.StartNew();
var lastReport = TimeSpan.Zero;
var rng = new Random(opts.Seed);
Console.WriteLine($"Equivalence campaign: {opts.Tables.Length} tables x 3 page sizes x 9 operations, budget {opts.MaxOps:N0} ops / {opts.Seconds} s, sequences up to {opts.MaxLength} ops, seed {opts.Seed}.");

for (int round = 0; ; round++)
{
    foreach (var (kind, size, focus) in combos)
    {
        if (total.Ops >= opts.MaxOps || clock.Elapsed.TotalSeconds >= opts.Seconds) goto done;
        ulong seed = (ulong)rng.NextInt64(), gamma = (ulong)rng.NextInt64() | 1;
        if (opts.Replay is { } r) (seed, gamma) = r;
        var batch = new RunStats();
        var property = Prop.ForAll(Generators.Sequences(kind, size, focus), seq => { batch.Merge(Equivalence.Run(seq.Table, seq.Ops)); });
        var config = Config.QuickThrowOnFailure.WithMaxTest(opts.Batch).WithEndSize(opts.MaxLength).WithQuietOnSuccess(true).WithReplay(seed, gamma);
        try
        {
            Check.One($"{kind} {size} {focus}", config, property);
        }
        catch (Exception e)
        {
            Console.WriteLine();
            Console.WriteLine($"FAILED: {kind}, {size}, focus {focus} after {total.Ops + batch.Ops:N0} ops.");
            Console.WriteLine(e.Message);
            Console.WriteLine($"Replay this batch: dotnet run -c Release --project tools/Campaign -- --tables {kind} --replay {seed},{gamma} --batch {opts.Batch} --max-length {opts.MaxLength}");
            Console.WriteLine("(the property suite replays the same way with FSCHECK_REPLAY; paste the printed test into tests/Properties/Regressions.cs)");
            return 1;
        }
        total.Merge(batch);
        if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(opts.ProgressSeconds))
        {
            lastReport = clock.Elapsed;
            Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] round {round + 1}, {kind} {size} {focus}: {total.Ops:N0} ops in {total.Sequences:N0} sequences, {total.Ops / clock.Elapsed.TotalSeconds:N0} ops/s");
        }
        if (opts.Replay is not null) goto done;
    }
}

done:
double seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine();
Console.WriteLine($"Checked {total.Ops:N0} operations in {total.Sequences:N0} sequences in {seconds:N1} s: {total.Ops / seconds:N0} ops/s (each op run on Impl and Model, then the whole mapping state and frame accounting compared).");
Console.WriteLine();
var results = total.ByOutcome.Keys.Select(k => k.Result).Distinct().OrderBy(r => r == "Ok" ? "" : r, StringComparer.Ordinal).ToArray();
Console.WriteLine($"{"operation",-14}" + string.Concat(results.Select(r => $"{r,17}")));
foreach (var kind in Enum.GetValues<OpKind>())
    Console.WriteLine($"{kind,-14}" + string.Concat(results.Select(r => $"{total.ByOutcome.GetValueOrDefault((kind, r)),17:N0}")));
Console.WriteLine();
Console.WriteLine("No difference found.");
return 0;

internal sealed record CampaignOptions(long MaxOps, double Seconds, int Seed, TableKind[] Tables, int Batch, int MaxLength, double ProgressSeconds, (ulong, ulong)? Replay)
{
    private const string Usage = """
        Usage: dotnet run -c Release --project tools/Campaign -- [options]
          --ops N           stop after N checked operations (default 100000000)
          --seconds S       stop after S seconds (default 120)
          --seed N          seed of the campaign (default: from the clock; printed)
          --tables A,B      X64,A64,Sv39,Sv48,La64 (default: all)
          --batch N         sequences per table/size/operation batch (default 50)
          --max-length N    longest sequence (default 40)
          --progress S      seconds between progress lines (default 5)
          --replay S,G      run one batch with FsCheck seed S and gamma G (from a failure report)
        """;

    public static CampaignOptions? Parse(string[] args)
    {
        var o = new CampaignOptions(100_000_000, 120, Environment.TickCount & int.MaxValue, PageTableMultiarch.Harness.Tables.All, 50, 40, 5, null);
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                o = args[i] switch
                {
                    "--ops" => o with { MaxOps = long.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--seconds" => o with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--seed" => o with { Seed = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--tables" => o with { Tables = Next().Split(',').Select(t => Enum.Parse<TableKind>(t, ignoreCase: true)).ToArray() },
                    "--batch" => o with { Batch = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--max-length" => o with { MaxLength = int.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--progress" => o with { ProgressSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--replay" => o with { Replay = ParsePair(Next()) },
                    "--help" or "-h" => throw new FormatException(""),
                    _ => throw new FormatException($"unknown option {args[i]}"),
                };
            }
            if (o.MaxOps <= 0 || o.Seconds <= 0 || o.Batch <= 0 || o.MaxLength <= 0) throw new FormatException("budgets must be positive");
            return o;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            if (e.Message.Length > 0) Console.Error.WriteLine($"campaign: {e.Message}");
            Console.Error.WriteLine(Usage);
            return null;
        }
    }

    private static (ulong, ulong) ParsePair(string s)
    {
        var parts = s.Trim('(', ')').Split(',');
        if (parts.Length < 2) throw new FormatException("--replay takes seed,gamma");
        return (ulong.Parse(parts[0], CultureInfo.InvariantCulture), ulong.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
