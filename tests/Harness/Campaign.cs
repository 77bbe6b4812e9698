using System.Diagnostics;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace PageTableMultiarch.Harness;

/// <summary>One batch of the campaign: a table, a focus page size and operation, and FsCheck's seed and gamma.</summary>
public readonly record struct BatchSpec(TableKind Table, PageSize Size, OpKind Focus, ulong Seed, ulong Gamma)
{
    /// <summary>The value of <c>--replay</c> that names this batch.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Table},{Tables.SizeText((ulong)Size)},{Focus},{Seed},{Gamma}");
}

/// <summary>A bad command line; the message names the option.</summary>
public sealed class CampaignOptionException(string message) : Exception(message);

/// <summary>The campaign's options (see <see cref="Usage"/>).</summary>
public sealed record CampaignOptions
{
    public long MaxOps { get; init; } = 100_000_000;
    public double Seconds { get; init; } = 120;
    public ulong Seed { get; init; } = (ulong)(Environment.TickCount64 & int.MaxValue);
    public TableKind[] Tables { get; init; } = Harness.Tables.All;
    public int Batch { get; init; } = 50;
    public int MaxLength { get; init; } = 40;
    public double ProgressSeconds { get; init; } = 5;
    public int Workers { get; init; } = Environment.ProcessorCount;
    public bool Walkers { get; init; } = true;
    public BatchSpec? Replay { get; init; }
    public string ReportDirectory { get; init; } = "campaign-reports";
    public bool Help { get; init; }

    public const string Usage = """
        Usage: dotnet run -c Release --project tools/Campaign -- [options]
          --ops N           stop after N checked operations (default 100000000)
          --seconds S       stop after S seconds (default 120)
          --seed N          seed of the campaign (default: from the clock; printed)
          --tables A,B      X64,A64,Sv39,Sv48,La64 (default: all)
          --batch N         sequences per table/size/operation batch (default 50)
          --max-length N    longest sequence (default 40)
          --workers N       worker threads, one deterministic stream of batches each (default: one per core)
          --no-walkers      skip the hardware walkers after every step
          --progress S      seconds between progress lines when the output is not a terminal (default 5)
          --report DIR      where the run's report directory goes (default campaign-reports)
          --replay T,S,O,SEED,GAMMA
                            run one batch again: table, page size (4K/2M/1G), focus operation, FsCheck seed and
                            gamma, as printed after a failure (with the --batch and --max-length printed there)
        """;

    /// <summary>Parses a command line; throws <see cref="CampaignOptionException"/> naming the bad option.</summary>
    public static CampaignOptions Parse(IReadOnlyList<string> args)
    {
        var o = new CampaignOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string option = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new CampaignOptionException($"{option} needs a value");
            o = option switch
            {
                "--ops" => o with { MaxOps = Positive(option, Value()) },
                "--seconds" => o with { Seconds = PositiveReal(option, Value()) },
                "--seed" => o with { Seed = Unsigned(option, Value()) },
                "--tables" => o with { Tables = Value().Split(',').Select(t => Table(option, t)).Distinct().ToArray() },
                "--batch" => o with { Batch = checked((int)Positive(option, Value(), int.MaxValue)) },
                "--max-length" => o with { MaxLength = checked((int)Positive(option, Value(), 100_000)) },
                "--workers" => o with { Workers = checked((int)Positive(option, Value(), 1024)) },
                "--no-walkers" => o with { Walkers = false },
                "--progress" => o with { ProgressSeconds = PositiveReal(option, Value()) },
                "--report" => o with { ReportDirectory = Value() },
                "--replay" => o with { Replay = ParseReplay(option, Value()) },
                "--help" or "-h" => o with { Help = true },
                _ => throw new CampaignOptionException($"unknown option '{option}'"),
            };
        }
        return o;
    }

    /// <summary>The arguments that replay <paramref name="batch"/> exactly under these options.</summary>
    public string ReplayArguments(BatchSpec batch) =>
        $"--replay {batch} --batch {Batch} --max-length {MaxLength}{(Walkers ? "" : " --no-walkers")}";

    private static long Positive(string option, string text, long max = long.MaxValue) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) && v > 0 && v <= max
            ? v
            : throw new CampaignOptionException($"{option} takes a whole number from 1 to {max}, not '{text}'");

    private static double PositiveReal(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v)
            ? v
            : throw new CampaignOptionException($"{option} takes a positive number of seconds, not '{text}'");

    private static ulong Unsigned(string option, string text) =>
        ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v)
            ? v
            : throw new CampaignOptionException($"{option} takes a whole number from 0 to {ulong.MaxValue}, not '{text}'");

    private static TableKind Table(string option, string text) =>
        Enum.TryParse<TableKind>(text.Trim(), ignoreCase: true, out var kind) && Enum.IsDefined(kind)
            ? kind
            : throw new CampaignOptionException($"{option}: unknown table '{text}' (tables: {string.Join(", ", Harness.Tables.All)})");

    private static BatchSpec ParseReplay(string option, string text)
    {
        var parts = text.Split(',');
        if (parts.Length != 5) throw new CampaignOptionException($"{option} takes table,size,operation,seed,gamma (as printed after a failure), not '{text}'");
        var table = Table(option, parts[0]);
        PageSize size = parts[1].Trim().ToUpperInvariant() switch
        {
            "4K" or "SIZE4K" => PageSize.Size4K,
            "2M" or "SIZE2M" => PageSize.Size2M,
            "1G" or "SIZE1G" => PageSize.Size1G,
            _ => throw new CampaignOptionException($"{option}: unknown page size '{parts[1]}' (4K, 2M or 1G)"),
        };
        if (!Enum.TryParse<OpKind>(parts[2].Trim(), ignoreCase: true, out var focus) || !Enum.IsDefined(focus))
            throw new CampaignOptionException($"{option}: unknown operation '{parts[2]}' (operations: {string.Join(", ", Enum.GetValues<OpKind>())})");
        ulong seed = Unsigned(option, parts[3].Trim());
        ulong gamma = Unsigned(option, parts[4].Trim());
        if (gamma % 2 == 0)
            throw new CampaignOptionException($"{option}: gamma {gamma} is even; FsCheck's generator needs an odd gamma, and every printed gamma is odd");
        return new BatchSpec(table, size, focus, seed, gamma);
    }
}

/// <summary>The campaign's first failing batch (the lowest batch number among failures).</summary>
public sealed record CampaignFailure(long BatchNumber, BatchSpec Batch, string Message, OpSequence? Shrunk, string ReplayCommand);

/// <summary>What a campaign run found.</summary>
public sealed class CampaignResult
{
    public required CampaignOptions Options { get; init; }
    public DateTimeOffset Started { get; init; }
    public double Seconds { get; set; }
    public long Batches { get; set; }

    /// <summary>Operations checked in passing sequences, per table and focus page size.</summary>
    public Dictionary<(TableKind Table, PageSize Size), RunStats> Stats { get; } = [];

    /// <summary>Seconds since the start and operations checked so far, about once a second.</summary>
    public List<(double Seconds, long Ops)> Timeline { get; } = [];

    public CampaignFailure? Failure { get; set; }

    public long Ops => Stats.Values.Sum(s => s.Ops);

    public long Sequences => Stats.Values.Sum(s => s.Sequences);

    public RunStats Total => Merge(Stats.Values);

    public RunStats ForTable(TableKind table) => Merge(Stats.Where(e => e.Key.Table == table).Select(e => e.Value));

    /// <summary>Every coverage requirement of this run: results per table, size and operation; address classes per table.</summary>
    public List<Coverage.Requirement> Requirements()
    {
        var list = new List<Coverage.Requirement>();
        foreach (var ((table, size), stats) in Stats.OrderBy(e => e.Key))
            list.AddRange(Coverage.ResultRequirements(table, size, stats));
        foreach (var table in Stats.Keys.Select(k => k.Table).Distinct().Order())
            list.AddRange(Coverage.AddressRequirements(table, ForTable(table)));
        return list;
    }

    private static RunStats Merge(IEnumerable<RunStats> all)
    {
        var total = new RunStats();
        foreach (var s in all) total.Merge(s);
        return total;
    }
}

/// <summary>
/// The randomized equivalence campaign: batches of generated sequences, each run on Impl and Model (and the hardware
/// walkers), until the operation or time budget is spent or a batch fails. Batch <c>n</c> is fixed by the campaign
/// seed alone (<see cref="BatchAt"/>), and worker <c>w</c> of <c>W</c> runs batches <c>w, w + W, ...</c> with arenas of
/// its own, so which batch checks what never depends on timing; only how many batches fit in the budget does.
/// </summary>
public static class Campaign
{
    /// <summary>The batch with number <paramref name="number"/>: tables x sizes x operations in turn, seeds from the campaign seed.</summary>
    public static BatchSpec BatchAt(CampaignOptions options, long number)
    {
        var sizes = Tables.PageSizes;
        var ops = Enum.GetValues<OpKind>();
        long combos = options.Tables.Length * sizes.Length * ops.Length;
        long c = number % combos;
        var table = options.Tables[c / (sizes.Length * ops.Length)];
        var size = sizes[c / ops.Length % sizes.Length];
        var focus = ops[c % ops.Length];
        ulong seed = SplitMix(options.Seed, 2 * (ulong)number);
        ulong gamma = SplitMix(options.Seed, 2 * (ulong)number + 1) | 1;
        return new BatchSpec(table, size, focus, seed, gamma);
    }

    private static ulong SplitMix(ulong seed, ulong index)
    {
        ulong z = unchecked(seed + (index + 1) * 0x9e37_79b9_7f4a_7c15);
        z = unchecked((z ^ (z >> 30)) * 0xbf58_476d_1ce4_e5b9);
        z = unchecked((z ^ (z >> 27)) * 0x94d0_49bb_1331_11eb);
        return z ^ (z >> 31);
    }

    /// <summary>Runs the campaign.</summary>
    /// <param name="options">The budgets, tables, seed and workers; with <see cref="CampaignOptions.Replay"/>, that one batch.</param>
    /// <param name="output">Where progress goes.</param>
    /// <param name="terminal">Progress as one line updated in place (a terminal), else a line every <see cref="CampaignOptions.ProgressSeconds"/>.</param>
    /// <param name="implFactory">Impl's table for a kind; the default is the ready type. Tests plant faulty variants here.</param>
    public static CampaignResult Run(CampaignOptions options, TextWriter output, bool terminal, Func<TableKind, FrameArena, IImplTable>? implFactory = null)
    {
        var result = new CampaignResult { Options = options, Started = DateTimeOffset.Now };
        var clock = Stopwatch.StartNew();
        long opsDone = 0, batchesDone = 0;
        int stop = 0;
        var failures = new List<CampaignFailure>();
        bool replaying = options.Replay is not null;
        int workers = replaying ? 1 : options.Workers;

        bool BudgetSpent() =>
            !replaying && (Volatile.Read(ref stop) != 0 || Interlocked.Read(ref opsDone) >= options.MaxOps || clock.Elapsed.TotalSeconds >= options.Seconds);

        var perWorker = new Dictionary<(TableKind, PageSize), RunStats>[workers];
        var threads = new Thread[workers];
        Exception? crash = null;
        for (int w = 0; w < workers; w++)
        {
            int worker = w;
            perWorker[w] = [];
            threads[w] = new Thread(() =>
            {
                try
                {
                    using var arenas = new RunArenas(new RunOptions().ArenaFrames);
                    for (long number = worker; !BudgetSpent(); number += workers)
                    {
                        var batch = options.Replay ?? BatchAt(options, number);
                        var failure = RunBatch(options, number, batch, arenas, implFactory, perWorker[worker], n => Interlocked.Add(ref opsDone, n), BudgetSpent);
                        Interlocked.Increment(ref batchesDone);
                        if (failure is not null)
                        {
                            lock (failures) failures.Add(failure);
                            Interlocked.Exchange(ref stop, 1);
                        }
                        if (failure is not null || replaying) break;
                    }
                }
                catch (Exception e)
                {
                    crash = e;
                    Interlocked.Exchange(ref stop, 1);
                }
            })
            { IsBackground = true, Name = $"campaign worker {w}" };
            threads[w].Start();
        }

        var lastLine = TimeSpan.Zero;
        result.Timeline.Add((0, 0));
        while (!threads.All(t => t.Join(terminal ? 250 : 1000)))
        {
            var now = clock.Elapsed;
            long ops = Interlocked.Read(ref opsDone);
            if (result.Timeline[^1].Seconds <= now.TotalSeconds - 1) result.Timeline.Add((now.TotalSeconds, ops));
            if (terminal)
                output.Write($"\r{Progress(options, now, ops, Interlocked.Read(ref batchesDone))}   ");
            else if (now - lastLine >= TimeSpan.FromSeconds(options.ProgressSeconds))
            {
                lastLine = now;
                output.WriteLine(Progress(options, now, ops, Interlocked.Read(ref batchesDone)));
            }
        }
        if (terminal) output.WriteLine();
        if (crash is not null) throw new InvalidOperationException("A campaign worker crashed.", crash);
        result.Seconds = clock.Elapsed.TotalSeconds;
        result.Timeline.Add((result.Seconds, Interlocked.Read(ref opsDone)));
        result.Batches = batchesDone;
        foreach (var stats in perWorker)
            foreach (var (key, s) in stats)
            {
                if (!result.Stats.TryGetValue(key, out var total)) result.Stats[key] = total = new RunStats();
                total.Merge(s);
            }
        result.Failure = failures.OrderBy(f => f.BatchNumber).FirstOrDefault();
        return result;
    }

    private static string Progress(CampaignOptions o, TimeSpan elapsed, long ops, long batches)
    {
        double rate = elapsed.TotalSeconds > 0 ? ops / elapsed.TotalSeconds : 0;
        double left = o.Seconds - elapsed.TotalSeconds;
        if (rate > 0) left = Math.Min(left, (o.MaxOps - ops) / rate);
        return string.Create(CultureInfo.InvariantCulture,
            $"[{elapsed:mm\\:ss}] {ops:N0} ops checked in {batches:N0} batches, {rate:N0} ops/s, about {Math.Max(0, left):N0} s left");
    }

    /// <summary>Signals that the budget ran out inside a batch; never a failure.</summary>
    private sealed class BudgetSpentException() : Exception("the campaign's budget is spent");

    private static CampaignFailure? RunBatch(CampaignOptions options, long number, BatchSpec batch, RunArenas arenas,
        Func<TableKind, FrameArena, IImplTable>? implFactory, Dictionary<(TableKind, PageSize), RunStats> stats,
        Action<long> countOps, Func<bool> budgetSpent)
    {
        var runOptions = new RunOptions
        {
            Arenas = arenas,
            ImplFactory = implFactory,
            AfterStep = options.Walkers ? HardwareCheck.For(batch.Table, maxMappings: 4) : null,
        };
        var key = (batch.Table, batch.Size);
        if (!stats.TryGetValue(key, out var sums)) stats[key] = sums = new RunStats();
        bool failed = false, cut = false;
        OpSequence? lastFailing = null;
        var property = Prop.ForAll(Generators.Sequences(batch.Table, batch.Size, batch.Focus), seq =>
        {
            // Once a sequence failed, FsCheck is shrinking it: no budget may cut that short.
            if (!failed && budgetSpent())
            {
                cut = true;
                throw new BudgetSpentException();
            }
            try
            {
                var s = Equivalence.Run(seq.Table, seq.Ops, runOptions);
                if (!failed)
                {
                    sums.Merge(s);
                    countOps(s.Ops);
                }
            }
            catch (Exception)
            {
                failed = true;
                lastFailing = seq; // FsCheck's last failing evaluation is the shrunk counterexample
                throw;
            }
        });
        var config = Config.QuickThrowOnFailure.WithMaxTest(options.Batch).WithEndSize(options.MaxLength).WithQuietOnSuccess(true)
            .WithReplay(batch.Seed, batch.Gamma);
        try
        {
            Check.One($"{batch.Table} {batch.Size} {batch.Focus}", config, property);
            return null;
        }
        catch (Exception) when (cut && !failed)
        {
            return null; // the budget ran out inside the batch: what ran before counts, nothing failed
        }
        catch (Exception e)
        {
            string command = $"dotnet run -c Release --project tools/Campaign -- {options.ReplayArguments(batch)}";
            return new CampaignFailure(number, batch, e.Message, lastFailing, command);
        }
    }
}
