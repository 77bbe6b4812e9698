using System.Text;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Hardware;

/// <summary>The result of booting one architecture's check list.</summary>
public sealed record SuiteResult(string Name, TableKind Kind, int Phases, int Checks, int Passed, IReadOnlyDictionary<string, int> Skipped, int Patches, TimeSpan Boot, bool TimedOut, string Report, string ReportFile)
{
    public bool AllPassed => Passed == Checks && Checks > 0;

    public string Summary =>
        $"{Name}: {Passed} of {Checks} checks passed on QEMU ({Phases} tables, {Patches / 2} cells; left out: {SkippedText}; boot {Boot.TotalSeconds:0.0} s{(TimedOut ? ", TIMED OUT" : "")})";

    private string SkippedText => Skipped.Count == 0 ? "none" : string.Join(", ", Skipped.Select(s => $"{s.Value} {s.Key}"));
}

/// <summary>Builds, boots, compares and reports one architecture's checks.</summary>
public static class Suite
{
    /// <summary>Boots <paramref name="plan"/> (its tables share the arena of <paramref name="anyTable"/>) and compares every line.</summary>
    public static SuiteResult Run(CheckPlan plan, TableUnderTest anyTable, string runName)
    {
        Layout layout = plan.Layout;
        Qemu.RequireTools(layout);
        string kernel = Qemu.BuildKernel(layout);

        string dir = Path.Combine(Qemu.RepoRoot, "tests", "Hardware", "bin", "runs", runName);
        Directory.CreateDirectory(dir);
        byte[] list = plan.ToBytes();
        if ((ulong)list.Length > TableUnderTest.ListSpan)
            throw new InvalidOperationException($"the check list has {list.Length} bytes; the support mappings cover {TableUnderTest.ListSpan}");
        string listFile = Path.Combine(dir, "checks.bin");
        File.WriteAllBytes(listFile, list);
        TableImage image = anyTable.Image();
        string tablesFile = image.WriteFiles(dir, "tables");

        var (serial, timedOut, elapsed) = Qemu.Boot(layout, kernel, listFile, image, tablesFile, Path.Combine(dir, "serial.txt"));
        SerialLog log = SerialLog.Parse(serial);

        var report = new StringBuilder();
        int passed = 0;
        foreach (Check c in plan.Checks)
        {
            string verdict;
            if (!log.Results.TryGetValue(c.Index, out Observed seen)) verdict = "MISSING: no result line";
            else if (Matches(c.Expected, seen)) { passed++; verdict = "pass"; }
            else verdict = $"MISMATCH: expected {c.Expected}, QEMU gave {seen}";
            if (verdict != "pass" || report.Length < 400_000)
                report.Append(verdict == "pass" ? "  " : "! ").Append(c.Describe()).Append(": ").Append(verdict == "pass" ? seen.ToString() : verdict)
                    .Append(verdict == "pass" ? "" : $" ({c.Expected.Why})").Append('\n');
        }

        var head = new StringBuilder();
        var result = new SuiteResult(runName, plan.Kind, plan.Phases.Count, plan.Checks.Count, passed, plan.Skipped, plan.Patches.Count, elapsed, timedOut, "", "");
        head.Append(result.Summary).Append('\n');
        if (log.Begin is null) head.Append("no HWC BEGIN line: the kernel did not start\n");
        if (log.Error is not null) head.Append(log.Error).Append('\n');
        if (log.End != plan.Checks.Count) head.Append($"HWC END {(log.End is null ? "missing" : log.End.ToString())}, expected {plan.Checks.Count}\n");
        foreach (string bad in log.Malformed.Take(5)) head.Append("malformed line: ").Append(bad).Append('\n');
        foreach (PhasePlan p in plan.Phases)
        {
            int ok = plan.Checks.Skip(p.FirstCheck).Take(p.Count).Count(c => log.Results.TryGetValue(c.Index, out var s) && Matches(c.Expected, s));
            head.Append($"  table {plan.Phases.IndexOf(p)} [{p.Name}]: {ok} of {p.Count}\n");
        }
        if (log.Begin is null || timedOut) head.Append("serial output (last lines):\n").Append(string.Join('\n', serial.Split('\n').TakeLast(20))).Append('\n');

        string full = head + "\nper check:\n" + report;
        string reportFile = Path.Combine(dir, "report.txt");
        File.WriteAllText(reportFile, full);
        return result with { Report = full, ReportFile = reportFile };
    }

    private static bool Matches(Expected e, Observed seen) =>
        e.Ok ? seen.Ok && seen.Value == e.Value
             : !seen.Ok && (e.Cause is not { } c || c == seen.Cause) && (e.Tval is not { } t || t == seen.Tval);
}
