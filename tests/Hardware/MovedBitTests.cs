using PageTableModel.Hardware;
using PageTableMultiarch.Harness;
using Xunit;
using Xunit.Abstractions;

namespace PageTableMultiarch.Hardware;

/// <summary>
/// Test-only RV64 entry with the User permission moved from U (bit 4) to bit 8 (RSW, ignored by the MMU:
/// Privileged Architecture, Sv39 PTE format), in encode and decode alike. Impl and the model still agree; the MMU
/// treats every user page as a supervisor page. A PROT_NONE leaf is stored as <see cref="RiscVPte"/> stores it (bit 8 is
/// its marker there).
/// </summary>
public struct MovedUserBitRv64Pte : IGenericPte<MovedUserBitRv64Pte>
{
    private const ulong MovedUser = 1UL << 8;
    private RiscVPte _inner;

    private static MovedUserBitRv64Pte Wrap(RiscVPte inner, bool user) =>
        new() { _inner = RiscVPte.FromBits(user ? inner.Bits | MovedUser : inner.Bits) };

    public static MovedUserBitRv64Pte NewPage(PhysAddr paddr, MappingFlags flags, bool isHuge) => flags.IsProtNone()
        ? new() { _inner = RiscVPte.NewPage(paddr, flags, isHuge) }
        : Wrap(RiscVPte.NewPage(paddr, flags & ~MappingFlags.User, isHuge), (flags & MappingFlags.User) != 0);

    public static MovedUserBitRv64Pte NewTable(PhysAddr paddr) => new() { _inner = RiscVPte.NewTable(paddr) };

    public static MovedUserBitRv64Pte Empty => default;

    public readonly PhysAddr Paddr => _inner.Paddr;

    public readonly MappingFlags Flags =>
        _inner.IsPresent ? (_inner.Flags & ~MappingFlags.User) | ((_inner.Bits & MovedUser) != 0 ? MappingFlags.User : 0) : _inner.Flags;

    public readonly bool IsProtNone => _inner.IsProtNone;

    public void SetPaddr(PhysAddr paddr) => _inner.SetPaddr(paddr);

    public void SetFlags(MappingFlags flags, bool isHuge)
    {
        RiscVPte inner = _inner;
        if (flags.IsProtNone())
        {
            inner.SetFlags(flags, isHuge);
            this = new() { _inner = inner };
            return;
        }
        inner.SetFlags(flags & ~MappingFlags.User, isHuge);
        this = Wrap(RiscVPte.FromBits(inner.Bits & ~MovedUser), (flags & MappingFlags.User) != 0);
    }

    public readonly ulong Bits => _inner.Bits;

    public readonly bool IsUnused => _inner.IsUnused;

    public readonly bool IsPresent => _inner.IsPresent;

    public readonly bool IsHuge => _inner.IsHuge;

    public void Clear() => _inner.Clear();
}

/// <summary>A wrong encoding that the model cannot see makes the QEMU suite fail, on user-related checks only.</summary>
public sealed class MovedBitTests(ITestOutputHelper output)
{
    [Fact]
    public void QemuCatchesTheMovedUserBitOnSv39()
    {
        SuiteResult result = HardwareRun.Run(TableKind.Sv39,
            (_, arena) => ImplTable<Sv39PagingMetaData, MovedUserBitRv64Pte>.Create(arena), "Sv39-moved-user-bit");
        string[] failures = HardwareRun.ManyFailures(result, output);
        // Every failure is a user-mode access, a supervisor access to a page mapped User (now a supervisor page), or a
        // load of the value a user-mode store should have written (store values of user checks end in 01).
        Assert.All(failures, f => Assert.True(
            f.Contains(" User ", StringComparison.Ordinal) || f.Contains("|User", StringComparison.Ordinal)
            || System.Text.RegularExpressions.Regex.IsMatch(f, "expected OK 57[0-9a-f]{12}01,"), f));
        Assert.Contains(failures, f => f.Contains("] User ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("] Supervisor ", StringComparison.Ordinal) && f.Contains("|User", StringComparison.Ordinal));
        Assert.All(failures, f => Assert.Contains("MISMATCH", f, StringComparison.Ordinal));
    }
}
