using PageTableMultiarch.Harness;
using Xunit;
using Xunit.Abstractions;

namespace PageTableMultiarch.Hardware;

/// <summary>AArch64 tables on QEMU's aarch64 virt machine, cortex-a72 (checker: kernels/aarch64).</summary>
public sealed class A64HardwareTests(ITestOutputHelper output, QemuFigures figures) : IClassFixture<QemuFigures>
{
    [Fact]
    public void A64TablesTranslatePermitAndFaultOnQemuAsTheModelSays() => HardwareRun.Expect(TableKind.A64, output, figures);
}
