using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace PageTableMultiarch.Harness;

/// <summary>
/// The report of one campaign run, as <c>report.json</c> and <c>report.html</c> (one self-contained page: inline
/// style and SVG, no external assets): operations checked by table x page size x operation x result, every coverage
/// requirement, operations per second over time, and the shrunk counterexample with its replay command.
/// </summary>
public static class CampaignReport
{
    /// <summary>Writes both files into a new directory under <paramref name="parent"/>; returns the HTML file's path.</summary>
    public static string Write(CampaignResult result, string parent)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"{result.Started:yyyyMMdd-HHmmss}-seed{result.Options.Seed}");
        if (result.Options.Replay is not null) name += "-replay";
        string dir = Path.GetFullPath(Path.Combine(parent, name));
        for (int n = 2; Directory.Exists(dir); n++) dir = Path.GetFullPath(Path.Combine(parent, $"{name}-{n}"));
        Directory.CreateDirectory(dir);
        var requirements = result.Requirements();
        File.WriteAllText(Path.Combine(dir, "report.json"), Json(result, requirements));
        string html = Path.Combine(dir, "report.html");
        File.WriteAllText(html, Html(result, requirements));
        return html;
    }

    /// <summary>Operations per second between consecutive timeline samples.</summary>
    public static List<(double Seconds, double OpsPerSecond)> Rates(CampaignResult result)
    {
        var rates = new List<(double, double)>();
        for (int i = 1; i < result.Timeline.Count; i++)
        {
            var (t0, n0) = result.Timeline[i - 1];
            var (t1, n1) = result.Timeline[i];
            if (t1 > t0) rates.Add((t1, (n1 - n0) / (t1 - t0)));
        }
        return rates;
    }

    public static string Json(CampaignResult result, List<Coverage.Requirement> requirements)
    {
        var o = result.Options;
        var doc = new
        {
            started = result.Started.ToString("o", CultureInfo.InvariantCulture),
            seed = o.Seed,
            tables = o.Tables.Select(t => t.ToString()).ToArray(),
            batch = o.Batch,
            maxLength = o.MaxLength,
            workers = o.Replay is null ? o.Workers : 1,
            walkers = o.Walkers,
            replay = o.Replay?.ToString(),
            seconds = result.Seconds,
            batches = result.Batches,
            sequences = result.Sequences,
            operations = result.Ops,
            operationsPerSecond = result.Seconds > 0 ? result.Ops / result.Seconds : 0,
            counts = result.Stats.OrderBy(e => e.Key).SelectMany(e => e.Value.ByOutcome.OrderBy(c => c.Key).Select(c => new
            {
                table = e.Key.Table.ToString(),
                size = Tables.SizeText((ulong)e.Key.Size),
                operation = c.Key.Kind.ToString(),
                result = c.Key.Result,
                count = c.Value,
            })).ToArray(),
            coverage = requirements.Select(r => new { scope = r.Scope, what = r.What, count = r.Count, outOf = r.OutOf, minShare = r.MinShare, failed = r.Failed }).ToArray(),
            unexpectedResults = Coverage.UnexpectedResults(result.Total),
            timeline = result.Timeline.Select(p => new { seconds = p.Seconds, operations = p.Ops }).ToArray(),
            failure = result.Failure is { } f
                ? new { batch = f.Batch.ToString(), message = f.Message, shrunk = f.Shrunk?.ToString(), replay = f.ReplayCommand }
                : null,
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    private static string E(object? v) => WebUtility.HtmlEncode(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);

    public static string Html(CampaignResult result, List<Coverage.Requirement> requirements)
    {
        var o = result.Options;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Equivalence campaign report</title><style>")
          .Append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}")
          .Append("td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}th{background:#eee}td.l,th.l{text-align:left}")
          .Append(".bad{background:#fbb}.zero{color:#bbb}pre{background:#f4f4f4;padding:1em;overflow:auto}.verdict{font-size:1.3em;font-weight:bold}")
          .Append("</style></head><body>\n");
        sb.Append("<h1>Equivalence campaign report</h1>\n");
        bool coverageFailed = requirements.Any(r => r.Failed) || Coverage.UnexpectedResults(result.Total).Count > 0;
        string verdict = result.Failure is not null ? "Impl and Model differ"
            : coverageFailed ? "No difference found, but coverage is clearly below a requirement" : "No difference found; every coverage requirement holds";
        sb.Append($"<p class=\"verdict\" id=\"verdict\">{E(verdict)}</p>\n");
        sb.Append($"<p>Seed {o.Seed}, tables {E(string.Join(", ", o.Tables))}, {N(result.Batches)} batches of {o.Batch} sequences up to {o.MaxLength} operations, ")
          .Append($"{(o.Replay is null ? o.Workers : 1)} workers, hardware walkers {(o.Walkers ? "on" : "off")}{(o.Replay is { } replayed ? $", replay of {E(replayed)}" : "")}.</p>\n");
        sb.Append($"<p id=\"totals\">Checked {N(result.Ops)} operations in {N(result.Sequences)} sequences in {result.Seconds.ToString("N1", CultureInfo.InvariantCulture)} s: ")
          .Append($"{N((long)(result.Seconds > 0 ? result.Ops / result.Seconds : 0))} operations per second.</p>\n");

        if (result.Failure is { } f)
        {
            sb.Append("<h2 id=\"counterexample\">Counterexample</h2>\n");
            sb.Append($"<p>Batch {E(f.Batch)}. Replay it exactly:</p><pre id=\"replay\">{E(f.ReplayCommand)}</pre>\n");
            sb.Append($"<p>Shrunk sequence, as a regression test:</p><pre>{E(f.Shrunk?.ToString() ?? "(none)")}</pre>\n");
            sb.Append($"<details><summary>FsCheck's report</summary><pre>{E(f.Message)}</pre></details>\n");
        }

        sb.Append("<h2>Operations per second</h2>\n").Append(Plot(Rates(result))).Append('\n');

        sb.Append("<h2>Operations checked</h2>\n<p>By table, page size (the batch's focus size), operation and result.</p>\n");
        var results = result.Stats.Values.SelectMany(s => s.ByOutcome.Keys.Select(k => k.Result)).Distinct()
            .OrderBy(x => x == "Ok" ? "" : x, StringComparer.Ordinal).ToArray();
        sb.Append("<table id=\"counts\"><tr><th class=\"l\">table</th><th class=\"l\">size</th><th class=\"l\">operation</th>");
        foreach (var res in results) sb.Append($"<th>{E(res)}</th>");
        sb.Append("</tr>\n");
        foreach (var ((table, size), stats) in result.Stats.OrderBy(e => e.Key))
        {
            var counts = stats.ByOutcome;
            foreach (var op in Enum.GetValues<OpKind>())
            {
                sb.Append($"<tr><td class=\"l\">{table}</td><td class=\"l\">{Tables.SizeText((ulong)size)}</td><td class=\"l\">{op}</td>");
                var possible = Coverage.PossibleResults(op);
                foreach (var res in results)
                {
                    long n = counts.GetValueOrDefault((op, res));
                    sb.Append(n == 0 ? $"<td class=\"zero\">{(possible.Contains(res) ? "0" : "&ndash;")}</td>" : $"<td>{N(n)}</td>");
                }
                sb.Append("</tr>\n");
            }
        }
        sb.Append("</table>\n");

        sb.Append("<h2 id=\"coverage\">Coverage requirements</h2>\n<p>Every result each operation can have, on every table and size, and every address class, ")
          .Append($"each with a minimum share; a requirement fails when the share is clearly below it (Wilson upper bound, z = {Coverage.Z}).</p>\n");
        foreach (var u in Coverage.UnexpectedResults(result.Total)) sb.Append($"<p class=\"bad\">Unexpected result: {E(u)}</p>\n");
        sb.Append("<table><tr><th class=\"l\">scope</th><th class=\"l\">case</th><th>count</th><th>of</th><th>share</th><th>minimum</th><th class=\"l\">verdict</th></tr>\n");
        foreach (var r in requirements)
        {
            string v = r.Failed ? "clearly below" : r.Proven ? "met" : "not yet decided";
            sb.Append($"<tr{(r.Failed ? " class=\"bad\"" : "")}><td class=\"l\">{E(r.Scope)}</td><td class=\"l\">{E(r.What)}</td><td>{N(r.Count)}</td><td>{N(r.OutOf)}</td>")
              .Append($"<td>{r.Share.ToString("P2", CultureInfo.InvariantCulture)}</td><td>{r.MinShare.ToString("P1", CultureInfo.InvariantCulture)}</td><td class=\"l\">{v}</td></tr>\n");
        }
        sb.Append("</table>\n</body></html>\n");
        return sb.ToString();
    }

    /// <summary>A line plot of operations per second against seconds, as inline SVG.</summary>
    public static string Plot(List<(double Seconds, double OpsPerSecond)> rates)
    {
        const double W = 640, H = 240, L = 70, B = 30, T = 10, R = 10;
        var sb = new StringBuilder($"<svg id=\"rate-plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\">");
        sb.Append($"<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>");
        sb.Append($"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"#000\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"#000\"/>");
        double maxT = Math.Max(1, rates.Count == 0 ? 1 : rates.Max(r => r.Seconds));
        double maxR = Math.Max(1, rates.Count == 0 ? 1 : rates.Max(r => r.OpsPerSecond));
        string X(double t) => (L + t / maxT * (W - L - R)).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double r) => (H - B - r / maxR * (H - B - T)).ToString("F1", CultureInfo.InvariantCulture);
        if (rates.Count > 0)
        {
            sb.Append("<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"");
            sb.Append(string.Join(" ", rates.Select(r => $"{X(r.Seconds)},{Y(r.OpsPerSecond)}")));
            sb.Append("\"/>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{L - 5}\" y=\"{T + 10}\" text-anchor=\"end\" font-size=\"11\">{maxR:N0}</text>");
        sb.Append($"<text x=\"{L - 5}\" y=\"{H - B}\" text-anchor=\"end\" font-size=\"11\">0</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W - R}\" y=\"{H - 8}\" text-anchor=\"end\" font-size=\"11\">{maxT:N0} s</text>");
        sb.Append($"<text x=\"{L}\" y=\"{H - 8}\" font-size=\"11\">0 s</text>");
        sb.Append("<text x=\"12\" y=\"120\" font-size=\"11\" transform=\"rotate(-90 12 120)\" text-anchor=\"middle\">operations per second</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }
}
