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
/// Runs the benchmarks and prints one table with the ratios to the model and to the per-page walk, taken from the
/// same run. <c>--smoke</c> runs every benchmark once in-process (a check that they build and run, not a
/// measurement); other arguments go to BenchmarkDotNet (for example <c>--filter *Query*</c>, or <c>--job short</c>,
/// which then replaces the default job). Exits 1 when any benchmark failed.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        bool smoke = args.Contains("--smoke");
        var rest = args.Where(a => a != "--smoke").ToList();
        if (!rest.Contains("--filter")) rest.AddRange(["--filter", "*"]);

        IConfig config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
        // A job named on the command line (--job short, for one benchmark on a shared machine) replaces the default one.
        bool jobGiven = rest.Any(a => a == "--job" || a == "-j");
        if (smoke) config = config.AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId("Smoke"));
        else if (!jobGiven) config = config.AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithId("Bench"));

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
    /// One row per benchmark: median per page/address/map/op, allocation, and how many times faster than the model
    /// (<c>Model</c>) and the per-page walk (<c>Walk</c>) variants of the same operation on the same table.
    /// Method names are <c>Operation_Variant</c>.
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
                    : r.BenchmarkCase.Parameters.DisplayInfo.Replace("Kind=", "", StringComparison.Ordinal);
                string category = r.BenchmarkCase.Descriptor.Categories.LastOrDefault(c => c.Contains(' ', StringComparison.Ordinal))
                    ?? method[..cut];
                return new Row(category, table, method[..cut], method[(cut + 1)..], r.ResultStatistics!.Median,
                    r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase));
            })
            .ToList();

        var sb = new StringBuilder();
        sb.AppendLine("| Operation | Table | Variant | Median (ns per unit) | Allocated (B per unit) | x faster than model | x faster than per-page walk |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var row in rows.OrderBy(r => r.Operation, StringComparer.Ordinal).ThenBy(r => r.Table, StringComparer.Ordinal))
        {
            double? model = rows.FirstOrDefault(o => o.Same(row) && o.Variant == "Model")?.Median;
            double? walk = rows.FirstOrDefault(o => o.Same(row) && o.Variant == "Walk")?.Median;
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {row.Category} | {row.Table} | {row.Variant} | {row.Median:0.###} | {(row.Allocated is { } a ? a.ToString(CultureInfo.InvariantCulture) : "?")} | {Ratio(model, row)} | {Ratio(walk, row)} |");
        }
        return sb.ToString();
    }

    private static string Ratio(double? other, Row row) =>
        other is { } o && row.Median > 0 ? (o / row.Median).ToString("0.##", CultureInfo.InvariantCulture) : "";

    private sealed record Row(string Category, string Table, string Operation, string Variant, double Median, long? Allocated)
    {
        public bool Same(Row other) => other.Operation == Operation && other.Table == Table;
    }
}
