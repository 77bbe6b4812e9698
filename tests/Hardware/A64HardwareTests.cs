using PageTableMultiarch.Harness;
using Xunit;
using Xunit.Abstractions;

namespace PageTableMultiarch.Hardware;

/// <summary>AArch64 tables on QEMU's aarch64 virt machine, cortex-a72 (checker: kernels/aarch64).</summary>
public sealed class A64HardwareTests(ITestOutputHelper output, QemuFigures figures) : IClassFixture<QemuFigures>
{
    [Fact]
    public void A64TablesTranslatePermitAndFaultOnQemuAsTheModelSays() => HardwareRun.Expect(TableKind.A64, output, figures);

    /// <summary>
    /// cortex-a72 has no FEAT_HAFDBS, QEMU 7.2's <c>-cpu max</c> has it with dirty state (ID_AA64MMFR1_EL1.HAFDBS = 2):
    /// the accessed/dirty scenario there, with TCR_EL1.HA = HD = 0 (Access flag faults, DBM ignored) and then 1 (AF set
    /// and a DBM leaf made writable by the hardware), entry reads showing what it wrote back.
    /// </summary>
    [Fact]
    public void A64HardwareManagementOfAccessFlagAndDirtyStateOnQemuMax() =>
        HardwareRun.Expect(
            HardwareRun.RunAccessedDirty(Layout.For(TableKind.A64).WithCpu("max"), "A64-max",
                AccessedDirtyManagement.A64AccessFlagFault, AccessedDirtyManagement.A64HardwareUpdate),
            output, figures);
}
