using PageTableMultiarch.Harness;
using Xunit;
using Xunit.Abstractions;

namespace PageTableMultiarch.Hardware;

/// <summary>x86_64 4-level tables on QEMU's pc machine with -cpu max (checker: kernels/x86_64).</summary>
public sealed class X64HardwareTests(ITestOutputHelper output, QemuFigures figures) : IClassFixture<QemuFigures>
{
    [Fact]
    public void X64TablesTranslatePermitAndFaultOnQemuAsTheModelSays() => HardwareRun.Expect(TableKind.X64, output, figures);
}
