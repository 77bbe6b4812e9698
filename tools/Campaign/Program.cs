using PageTableMultiarch.Harness;

// Randomized equivalence campaign: Impl against the dictionary model and the hardware walkers, for every table type x
// page size x focus operation, one deterministic worker per core, until the operation or time budget is spent.
// Prints progress, a summary and the coverage requirements; on failure the shrunk sequence as a paste-ready regression
// test and the command that replays its batch exactly; writes a report (HTML and JSON) and prints its path.
// Exit codes: 0 no difference and coverage met, 1 a difference or coverage clearly below a requirement, 2 bad options.

CampaignOptions opts;
try
{
    opts = CampaignOptions.Parse(args);
}
catch (CampaignOptionException e)
{
    Console.Error.WriteLine($"campaign: {e.Message}");
    Console.Error.WriteLine("(--help lists the options)");
    return 2;
}
if (opts.Help)
{
    Console.WriteLine(CampaignOptions.Usage);
    return 0;
}

Console.WriteLine(opts.Replay is { } replay
    ? $"Replaying batch {replay} ({opts.Batch} sequences up to {opts.MaxLength} ops, walkers {(opts.Walkers ? "on" : "off")})."
    : $"Equivalence campaign: {opts.Tables.Length} tables x 3 page sizes x 9 operations, budget {opts.MaxOps:N0} ops / {opts.Seconds} s, "
      + $"sequences up to {opts.MaxLength} ops, {opts.Workers} workers, walkers {(opts.Walkers ? "on" : "off")}, seed {opts.Seed}.");

var result = Campaign.Run(opts, Console.Out, terminal: !Console.IsOutputRedirected);

Console.WriteLine();
Console.WriteLine($"Checked {result.Ops:N0} operations in {result.Sequences:N0} sequences in {result.Seconds:N1} s: {result.Ops / result.Seconds:N0} ops/s "
    + $"(each op run on Impl and Model, then the whole mapping state and frame accounting compared{(opts.Walkers ? ", and the hardware walkers run" : "")}).");
Console.WriteLine();
var total = result.Total.ByOutcome;
var results = total.Keys.Select(k => k.Result).Distinct().OrderBy(r => r == "Ok" ? "" : r, StringComparer.Ordinal).ToArray();
Console.WriteLine($"{"operation",-14}" + string.Concat(results.Select(r => $" {r,17}")));
foreach (var kind in Enum.GetValues<OpKind>())
    Console.WriteLine($"{kind,-14}" + string.Concat(results.Select(r => $" {total.GetValueOrDefault((kind, r)),17:N0}")));
Console.WriteLine();

int status = 0;
if (result.Failure is { } failure)
{
    Console.WriteLine($"FAILED: {failure.Batch.Table}, {failure.Batch.Size}, focus {failure.Batch.Focus} (batch {failure.BatchNumber}).");
    Console.WriteLine(failure.Message);
    Console.WriteLine($"Replay this batch exactly: {failure.ReplayCommand}");
    Console.WriteLine("(paste the printed test into tests/Properties/Regressions.cs)");
    status = 1;
}
else if (opts.Replay is null)
{
    var requirements = result.Requirements();
    var below = requirements.Where(r => r.Failed).ToList();
    var unexpected = Coverage.UnexpectedResults(result.Total);
    Console.WriteLine($"Coverage: {requirements.Count(r => r.Proven):N0} of {requirements.Count:N0} requirements met with confidence, {below.Count} clearly below.");
    foreach (var r in below) Console.WriteLine($"  {r}");
    foreach (var u in unexpected) Console.WriteLine($"  unexpected result: {u}");
    if (below.Count > 0 || unexpected.Count > 0) status = 1;
    else Console.WriteLine("No difference found.");
}
else
{
    Console.WriteLine("The replayed batch passes.");
}

Console.WriteLine($"Report: {CampaignReport.Write(result, opts.ReportDirectory)}");
return status;
