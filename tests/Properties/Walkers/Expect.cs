using PageTableModel.Hardware;
using Xunit;

namespace PageTableMultiarch.Properties.Walkers;

/// <summary>Assertions that print the walker, the address and the access when they fail.</summary>
internal static class Expect
{
    private static readonly Access[] Accesses = [Access.Read, Access.Write, Access.Execute];

    /// <summary>
    /// Checks all six access × privilege pairs. <paramref name="supervisor"/> and <paramref name="user"/> are
    /// "rwx"-style masks: a letter means the access translates to <paramref name="expected"/>, a '-' that it faults
    /// at <paramref name="leafLevel"/>.
    /// </summary>
    public static void Permissions(
        IHardwareWalker walker, IPhysicalMemory memory, ulong root, ulong va,
        string supervisor, string user, Translation expected, int leafLevel)
    {
        foreach ((Privilege privilege, string mask) in new[] { (Privilege.Supervisor, supervisor), (Privilege.User, user) })
        {
            Assert.Equal(3, mask.Length);
            for (int i = 0; i < 3; i++)
            {
                Assert.True(mask[i] == '-' || mask[i] == "rwx"[i], $"bad mask '{mask}'");
                if (mask[i] == '-')
                {
                    Faults(walker, memory, root, va, Accesses[i], privilege, leafLevel);
                }
                else
                {
                    Translates(walker, memory, root, va, Accesses[i], privilege, expected);
                }
            }
        }
    }

    /// <summary>Every access × privilege faults at <paramref name="level"/>.</summary>
    public static void FaultsAlways(IHardwareWalker walker, IPhysicalMemory memory, ulong root, ulong va, int level, string? reasonPart = null)
    {
        foreach (Privilege privilege in new[] { Privilege.Supervisor, Privilege.User })
        {
            foreach (Access access in Accesses)
            {
                Faults(walker, memory, root, va, access, privilege, level, reasonPart);
            }
        }
    }

    /// <summary>
    /// The walk translates to <paramref name="expected"/>: address, page size and coarse memory type always; the
    /// memory name, accessed and dirty state only where <paramref name="expected"/> gives them (not null).
    /// </summary>
    public static void Translates(
        IHardwareWalker walker, IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege,
        Translation expected)
    {
        WalkResult result = walker.Translate(memory, root, va, access, privilege);
        Translation? got = result.Translation;
        bool matches = !result.IsFault && got is { } t
            && t.Pa == expected.Pa && t.PageSize == expected.PageSize && t.Memory == expected.Memory
            && (expected.MemoryName is null || t.MemoryName == expected.MemoryName)
            && (expected.Accessed is null || t.Accessed == expected.Accessed)
            && (expected.Dirty is null || t.Dirty == expected.Dirty);
        Assert.True(matches, $"{walker.Name} {privilege} {access} 0x{va:x}: expected {expected}, got {result}");
    }

    /// <summary>The walk translates to exactly <paramref name="expected"/>, unreported fields included.</summary>
    public static void TranslatesExactly(
        IHardwareWalker walker, IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege,
        Translation expected)
    {
        WalkResult result = walker.Translate(memory, root, va, access, privilege);
        Assert.True(
            !result.IsFault && result.Translation == expected,
            $"{walker.Name} {privilege} {access} 0x{va:x}: expected exactly {expected}, got {result}");
    }

    public static void Faults(
        IHardwareWalker walker, IPhysicalMemory memory, ulong root, ulong va, Access access, Privilege privilege,
        int level, string? reasonPart = null)
    {
        WalkResult result = walker.Translate(memory, root, va, access, privilege);
        Assert.True(
            result.IsFault && result.Translation is null && result.Fault!.Value.Level == level
                && (reasonPart is null || result.Fault.Value.Reason.Contains(reasonPart, StringComparison.Ordinal)),
            $"{walker.Name} {privilege} {access} 0x{va:x}: expected a fault at level {level}"
                + (reasonPart is null ? "" : $" mentioning '{reasonPart}'") + $", got {result}");
    }
}
