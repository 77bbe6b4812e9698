using System.Globalization;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// Runs the benchmarks and prints one table with the ratios to the model, to the per-page walk and to the memory floor,
/// taken from the same run. <c>--smoke</c> runs every benchmark once in-process (a check that they build and run, not a
/// measurement); <c>--jit tiered|fullopts|both|all</c> chooses the JIT settings the jobs run with (default
/// <c>tiered</c>, the runtime's default: tiered compilation with dynamic PGO; <c>fullopts</c> sets
/// <c>DOTNET_TieredCompilation=0</c>; <c>all</c> adds <c>DOTNET_TieredPGO=0</c>); <c>--launches N</c> runs each benchmark
/// in N processes (the median is taken over all their iterations: on a shared machine one process can meet a bad
/// moment); other arguments go to BenchmarkDotNet (for example <c>--filter *Query*</c>, or <c>--job short</c>, which then
/// replaces the jobs above). Exits 1 when any benchmark failed.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool smoke = args.Contains("--smoke");
        Fixture.SettleCallerCode = !smoke; // the smoke run (in this process, each once) checks results, not times
        var rest = args.Where(a => a != "--smoke").ToList();
        string jit = "tiered";
        int at = rest.IndexOf("--jit");
        if (at >= 0)
        {
            if (at + 1 >= rest.Count || rest[at + 1] is not ("tiered" or "fullopts" or "both" or "all"))
            {
                Console.WriteLine("--jit takes one of: tiered, fullopts, both, all");
                return 1;
            }
            jit = rest[at + 1];
            rest.RemoveRange(at, 2);
        }
        int launches = 1;
        at = rest.IndexOf("--launches");
        if (at >= 0)
        {
            if (at + 1 >= rest.Count || !int.TryParse(rest[at + 1], CultureInfo.InvariantCulture, out launches) || launches < 1)
            {
                Console.WriteLine("--launches takes a positive number of processes per benchmark");
                return 1;
            }
            rest.RemoveRange(at, 2);
        }
        if (!rest.Contains("--filter")) rest.AddRange(["--filter", "*"]);

        IConfig config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
        if (smoke)
        {
            config = config.AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId("Smoke"));
        }
        else if (!rest.Any(a => a is "--job" or "-j")) // a job named on the command line (--job short) replaces these
        {
            Job bench = Job.Default.WithWarmupCount(3).WithIterationCount(15).WithLaunchCount(launches);
            if (jit is "tiered" or "both" or "all") config = config.AddJob(bench.WithId("Tiered"));
            if (jit is "all") config = config.AddJob(bench.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_TieredPGO", "0")).WithId("NoPGO"));
            if (jit is "fullopts" or "both" or "all")
                config = config.AddJob(bench.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_TieredCompilation", "0")).WithId("FullOpts"));
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], config).ToList();
        var reports = summaries.SelectMany(s => s.Reports).ToList();
        var failed = reports.Where(r => !r.Success || r.ResultStatistics is null).Select(r => r.BenchmarkCase.DisplayInfo).ToList();
        failed.AddRange(summaries.Where(s => s.HasCriticalValidationErrors).Select(s => $"validation: {s.Title}"));

        string table = RatioTable(reports);
        Console.WriteLine();
        Console.WriteLine(table);
        Directory.CreateDirectory("BenchmarkDotNet.Artifacts/results");
        File.WriteAllText("BenchmarkDotNet.Artifacts/results/ratios.md", table);

        if (reports.Count == 0)
        {
            Console.WriteLine("No benchmark ran (check --filter).");
            return 1;
        }
        if (failed.Count > 0)
        {
            Console.WriteLine($"{failed.Count} benchmark(s) failed:\n  {string.Join("\n  ", failed)}");
            return 1;
        }
        Console.WriteLine($"{reports.Count} benchmarks ran{(smoke ? " (smoke: one invocation each, no timing)" : "")}.");
        return 0;
    }

    /// <summary>
    /// One row per benchmark: median per page/address/map/op/call, allocation, the median divided by the memory floor's
    /// (ns per page of <c>Floor_Memory</c> in the same job: a figure that the machine's speed of the moment cancels out
    /// of), and how many times faster than the model (<c>Model</c>) and the per-page walk (<c>Walk</c>) variants of the
    /// same operation on the same table in the same job. Method names are <c>Operation_Variant</c>.
    /// </summary>
    private static string RatioTable(List<BenchmarkReport> reports)
    {
        var rows = reports
            .Where(r => r.ResultStatistics is not null)
            .Select(r =>
            {
                var method = r.BenchmarkCase.Descriptor.WorkloadMethod.Name;
                int cut = method.IndexOf('_', StringComparison.Ordinal);
                var type = r.BenchmarkCase.Descriptor.Type;
                string table = type.IsGenericType ? type.GetGenericArguments()[0].Name.Replace("PagingMetaData", "", StringComparison.Ordinal).Replace("MetaData", "", StringComparison.Ordinal)
                    : r.BenchmarkCase.Parameters.Count > 0 ? r.BenchmarkCase.Parameters.DisplayInfo.Replace("Kind=", "", StringComparison.Ordinal)
                    : "-";
                string category = r.BenchmarkCase.Descriptor.Categories.LastOrDefault(c => c.Contains(' ', StringComparison.Ordinal))
                    ?? method[..cut];
                return new Row(category, table, method[..cut], method[(cut + 1)..], r.BenchmarkCase.Job.Id, r.ResultStatistics!.Median,
                    r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase));
            })
            .ToList();

        var sb = new StringBuilder();
        sb.AppendLine("| Operation | Table | Variant | Job | Median (ns per unit) | Allocated (B per unit) | ÷ floor | x faster than model | x faster than per-page walk |");
        sb.AppendLine("|---|---|---|---|---:|---:|---:|---:|---:|");
        foreach (var row in rows.OrderBy(r => r.Operation, StringComparer.Ordinal).ThenBy(r => r.Table, StringComparer.Ordinal).ThenBy(r => r.Job, StringComparer.Ordinal))
        {
            double? model = rows.FirstOrDefault(o => o.Same(row) && o.Variant == "Model")?.Median;
            double? walk = rows.FirstOrDefault(o => o.Same(row) && o.Variant == "Walk")?.Median;
            double? floor = rows.FirstOrDefault(o => o.Operation == "Floor" && o.Job == row.Job)?.Median;
            string perFloor = floor is { } f && f > 0 ? (row.Median / f).ToString("0.##", CultureInfo.InvariantCulture) : "";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {row.Category} | {row.Table} | {row.Variant} | {row.Job} | {row.Median:0.###} | {(row.Allocated is { } a ? a.ToString(CultureInfo.InvariantCulture) : "?")} | {perFloor} | {Ratio(model, row)} | {Ratio(walk, row)} |");
        }
        return sb.ToString();
    }

    private static string Ratio(double? other, Row row) =>
        other is { } o && row.Median > 0 ? (o / row.Median).ToString("0.##", CultureInfo.InvariantCulture) : "";

    private sealed record Row(string Category, string Table, string Operation, string Variant, string Job, double Median, long? Allocated)
    {
        public bool Same(Row other) => other.Operation == Operation && other.Table == Table && other.Job == Job;
    }
}
