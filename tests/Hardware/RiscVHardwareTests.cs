using PageTableMultiarch.Harness;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PageTableMultiarch.Hardware;

/// <summary>Sv39 and Sv48 tables on QEMU's riscv64 virt machine (checker: kernels/riscv64).</summary>
public sealed class RiscVHardwareTests(ITestOutputHelper output, QemuFigures figures) : IClassFixture<QemuFigures>
{
    [Fact]
    public void Sv39TablesTranslatePermitAndFaultOnQemuAsTheModelSays() => HardwareRun.Expect(TableKind.Sv39, output, figures);

    [Fact]
    public void Sv48TablesTranslatePermitAndFaultOnQemuAsTheModelSays() => HardwareRun.Expect(TableKind.Sv48, output, figures);
}

/// <summary>Builds one architecture's tables and checks, boots them, prints the report and asserts every check passed.</summary>
/// <summary>
/// Prints each architecture's figure (checks passed of checks run) in the plain <c>dotnet test</c> output, as an xunit
/// diagnostic message (enabled by xunit.runner.json): test output proper is shown only for failing tests.
/// </summary>
public sealed class QemuFigures(IMessageSink sink)
{
    public void Report(string line) => sink.OnMessage(new DiagnosticMessage(line));
}

public static class HardwareRun
{
    public const int GeneratedPerSize = 4;

    public static SuiteResult Run(TableKind kind, Func<TableKind, FrameArena, IImplTable>? factory = null, string? name = null)
    {
        Layout layout = Layout.For(kind);
        Qemu.RequireTools(layout);
        using var arena = new FrameArena(new PhysAddr(layout.TablesBase), Layout.TableFrames);
        var (plan, last) = Scenarios.Build(layout, arena, GeneratedPerSize, factory);
        return Suite.Run(plan, last, name ?? kind.ToString());
    }

    /// <summary>Boots the accessed/dirty scenario alone on <paramref name="layout"/>, once per management.</summary>
    public static SuiteResult RunAccessedDirty(Layout layout, string name, params AccessedDirtyManagement[] managements)
    {
        Qemu.RequireTools(layout);
        using var arena = new FrameArena(new PhysAddr(layout.TablesBase), Layout.TableFrames);
        var (plan, last) = Scenarios.BuildAccessedDirty(layout, arena, managements);
        return Suite.Run(plan, last, name);
    }

    public static void Expect(TableKind kind, ITestOutputHelper output, QemuFigures figures) => Expect(Run(kind), output, figures);

    public static void Expect(SuiteResult result, ITestOutputHelper output, QemuFigures figures)
    {
        output.WriteLine(result.Report);
        figures.Report(result.Summary);
        Assert.True(result.AllPassed, $"{result.Summary}; report: {result.ReportFile}\n{FirstLines(result.Report, 60)}");
    }

    /// <summary>The report lines of the checks a deliberately wrong format failed, after asserting that the run failed on
    /// many checks and that every failed check has its line.</summary>
    public static string[] ManyFailures(SuiteResult result, ITestOutputHelper output)
    {
        output.WriteLine(result.Report);
        Assert.False(result.AllPassed);
        string[] failures = result.Report.Split('\n').Where(l => l.StartsWith("! ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(result.Checks - result.Passed, failures.Length);
        Assert.True(failures.Length > 100, $"only {failures.Length} checks failed");
        return failures;
    }

    private static string FirstLines(string text, int n) => string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("  ", StringComparison.Ordinal) || l.StartsWith("  table", StringComparison.Ordinal)).Take(n));
}
