using PageTableMultiarch.Harness;
using Xunit;
using Xunit.Abstractions;

namespace PageTableMultiarch.Hardware;

/// <summary>LoongArch64 tables on QEMU's loongarch64 virt machine (checker: kernels/loongarch64).</summary>
public sealed class La64HardwareTests(ITestOutputHelper output, QemuFigures figures) : IClassFixture<QemuFigures>
{
    [Fact]
    public void La64TablesTranslatePermitAndFaultOnQemuAsTheModelSays() => HardwareRun.Expect(TableKind.La64, output, figures);
}
