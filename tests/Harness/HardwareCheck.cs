using PageTableModel;
using PageTableModel.Hardware;
using HardwareWalkers = PageTableModel.Hardware.Walkers;

namespace PageTableMultiarch.Harness;

/// <summary>
/// What each architecture's MMU grants for a mapping's (effective) flags, under the configurations the walkers
/// document (docs/encodings.md). One table per architecture, Supervisor / User:
/// <code>
/// x86_64   (WP=1, SMEP=1, SMAP=0) S: read; write if Write; execute if Execute and not User
///                                 U: only User pages: read; write if Write; execute if Execute
/// AArch64  (PAN=0, WXN=0)         EL1: read; write if Write; execute if Execute and not User (user pages are PXN)
///                                 EL0: only User pages: read; write if Write; execute if Execute
/// RISC-V   (SUM=0, MXR=0)         S: only non-User pages: read; write if Write; execute if Execute
///                                 U: only User pages: read; write if Write; execute if Execute
/// LoongArch (PLV0 / PLV3, RPLV=0) PLV0: read; write if Write; execute if Execute (User pages have PLV3 &gt;= 0)
///                                 PLV3: only User pages: read; write if Write; execute if Execute
/// Memory type: Device -> Device, else Uncached -> NormalUncached, else NormalCacheable;
/// RISC-V (no Svpbmt) -> PlatformDefined always.
/// PROT_NONE (no Read, Write, Execute): nothing, on every architecture; the leaf is not even valid for the MMU.
/// </code>
/// What the library presets in every leaf besides (docs/encodings.md), as the walkers report it:
/// <code>
///           memory type named (Device / Uncached / neither)                             accessed  dirty
/// x86_64    UC / UC- / WB (PAT index 3 / 2 / 0, PAT bit 0)                               A=1       D=1
/// AArch64   Device-nGnRE / Normal Non-cacheable, Outer Shareable /                      AF=1      (not modelled)
///           Normal Write-Back, Inner Shareable (AttrIndx 0 / 2 / 1 of MAIR_EL1 0x44ff04, SH=11)
/// RISC-V    (none: the PMAs decide)                                                     A=1       D=1
/// LoongArch SUC / WUC / CC (MAT 0 / 2 / 1)                                              (no bit)  D=Write
/// </code>
/// </summary>
public static class HardwarePermissions
{
    public static bool Grants(TableKind kind, ModelFlags flags, Access access, Privilege privilege)
    {
        bool user = (flags & ModelFlags.User) != 0;
        bool allowedHere = kind switch
        {
            TableKind.Sv39 or TableKind.Sv48 => privilege == Privilege.User ? user : !user,
            _ => privilege == Privilege.Supervisor || user,
        };
        if (!allowedHere) return false;
        return access switch
        {
            Access.Read => (flags & ModelFlags.Read) != 0,
            Access.Write => (flags & ModelFlags.Write) != 0,
            _ => (flags & ModelFlags.Execute) != 0
                 && !(privilege == Privilege.Supervisor && user && kind is TableKind.X64 or TableKind.A64),
        };
    }

    /// <summary>
    /// The translation the walker must give for an access the hardware grants at <paramref name="pa"/> in a mapping
    /// of <paramref name="size"/> bytes with <paramref name="flags"/>: the coarse and the named memory type and the
    /// accessed and dirty state the library presets (table above).
    /// </summary>
    public static Translation Promised(TableKind kind, ModelFlags flags, ulong pa, ulong size)
    {
        bool device = (flags & ModelFlags.Device) != 0;
        bool uncached = !device && (flags & ModelFlags.Uncached) != 0;
        (string? Name, bool? Accessed, bool? Dirty) promised = kind switch
        {
            TableKind.X64 => (device ? "UC" : uncached ? "UC-" : "WB", true, true),
            TableKind.A64 => (device ? "Device-nGnRE"
                : uncached ? "Normal, Inner Non-cacheable, Outer Non-cacheable, Outer Shareable"
                : "Normal, Inner Write-Back, Outer Write-Back, Inner Shareable", true, null),
            TableKind.La64 => (device ? "SUC" : uncached ? "WUC" : "CC", null, (flags & ModelFlags.Write) != 0),
            _ => (null, true, true),
        };
        return new Translation(pa, size, Memory(kind, flags), promised.Name, promised.Accessed, promised.Dirty);
    }

    public static MemoryType Memory(TableKind kind, ModelFlags flags) =>
        kind is TableKind.Sv39 or TableKind.Sv48 ? MemoryType.PlatformDefined
        : (flags & ModelFlags.Device) != 0 ? MemoryType.Device
        : (flags & ModelFlags.Uncached) != 0 ? MemoryType.NormalUncached
        : MemoryType.NormalCacheable;
}

/// <summary>Impl's arena as the walkers' read-only physical memory: no memory outside it.</summary>
public sealed class ArenaMemory(FrameArena arena) : IPhysicalMemory
{
    public bool TryRead64(ulong paddr, out ulong value)
    {
        var pa = new PhysAddr(paddr);
        if ((paddr & 7) != 0 || !arena.Contains(pa))
        {
            value = 0;
            return false;
        }
        value = arena.ReadUInt64(pa);
        return true;
    }
}

/// <summary>
/// The after-step check of the walker properties: for sampled mappings of the model (first byte, last byte and
/// one inside), the walker reading Impl's raw arena must give the model's translation, page size, memory type (coarse
/// and named) and the promised accessed and dirty state for every access the hardware grants and fault for every
/// other; just outside each sampled mapping, where the model maps nothing, it must fault.
/// </summary>
/// <remarks>
/// The x86_64 walker runs with <see cref="PatBitVisiblePat"/>, not the power-on IA32_PAT: the library's promise holds
/// under any PAT whose PA0..PA3 are the power-on ones, and with PA4..PA7 different a PAT bit set where the library
/// promises 0 changes the memory type the walker reports.
/// </remarks>
public static class HardwareCheck
{
    /// <summary>
    /// IA32_PAT with PA0..PA3 as after power-up (WB, WT, UC-, UC) and PA4..PA7 each different from its partner
    /// (PA4 = UC 00H, PA5 = WC 01H, PA6 = WB 06H, PA7 = WP 05H), so that the PAT bit is visible in every index.
    /// </summary>
    public const ulong PatBitVisiblePat = 0x0506_0100_0007_0406;

    private static readonly Access[] Accesses = [Access.Read, Access.Write, Access.Execute];
    private static readonly Privilege[] Privileges = [Privilege.Supervisor, Privilege.User];

    public static Action<StepContext> For(TableKind kind, int maxMappings = 12)
    {
        IHardwareWalker walker = kind == TableKind.X64
            ? new X64Walker(PatBitVisiblePat)
            : HardwareWalkers.For(kind.ToString());
        return ctx => Check(walker, ctx, maxMappings);
    }

    /// <summary>The same check with a walker of the caller's choosing (another IA32_PAT or MAIR_EL1, for example).</summary>
    public static Action<StepContext> For(TableKind kind, IHardwareWalker walker, int maxMappings = 12)
    {
        ArgumentNullException.ThrowIfNull(walker);
        if (walker.Name != kind.ToString())
            throw new ArgumentException($"a {walker.Name} walker cannot check {kind} tables", nameof(walker));
        return ctx => Check(walker, ctx, maxMappings);
    }

    private static void Check(IHardwareWalker walker, StepContext ctx, int maxMappings)
    {
        var memory = new ArenaMemory(ctx.Arena);
        ulong root = ctx.Impl.RootPaddr.Value;
        var mappings = ctx.Model.Mappings;
        int stride = Math.Max(1, mappings.Count / maxMappings);
        for (int i = (ctx.Step % stride); i < mappings.Count; i += stride)
        {
            var m = mappings[i];
            foreach (ulong addr in new[] { m.Va, m.Va + m.Size - 1, m.Va + (m.Size / 2) + 0x128 })
            {
                foreach (var access in Accesses)
                    foreach (var privilege in Privileges)
                        Expect(walker, memory, root, ctx, addr, access, privilege, m);
            }
            ExpectUnmapped(walker, memory, root, ctx, unchecked(m.Va - 1));
            ExpectUnmapped(walker, memory, root, ctx, unchecked(m.Va + m.Size));
        }
    }

    private static void Expect(IHardwareWalker walker, IPhysicalMemory memory, ulong root, StepContext ctx,
        ulong addr, Access access, Privilege privilege, ModelMapping m)
    {
        var result = walker.Translate(memory, root, addr, access, privilege);
        bool granted = HardwarePermissions.Grants(ctx.Kind, m.Flags, access, privilege);
        if (granted)
        {
            var want = HardwarePermissions.Promised(ctx.Kind, m.Flags, m.Pa + (addr - m.Va), m.Size);
            if (result.Translation != want)
                throw Fail(ctx, $"{walker.Name} {access}/{privilege} at 0x{addr:x} (model {m}): expected {want}, the MMU gives {result}");
        }
        else if (!result.IsFault)
        {
            throw Fail(ctx, $"{walker.Name} {access}/{privilege} at 0x{addr:x} (model {m}): expected a fault, the MMU gives {result}");
        }
        else if (m.Flags.IsProtNone() && !IsInvalidLeaf(result.Fault!.Value, walker, m.Size))
        {
            throw Fail(ctx, $"{walker.Name} {access}/{privilege} at 0x{addr:x} (model {m}): a PROT_NONE leaf must be invalid for the MMU "
                + $"at level {LeafLevel(walker, m.Size)}, the MMU gives {result}");
        }
    }

    /// <summary>Whether <paramref name="fault"/> is the MMU's "entry not valid" fault at the level of a leaf of <paramref name="size"/> bytes.</summary>
    public static bool IsInvalidLeaf(WalkFault fault, IHardwareWalker walker, ulong size) =>
        fault.InvalidEntry && fault.Level == LeafLevel(walker, size);

    /// <summary>The level of a leaf of <paramref name="size"/> bytes (4K at the last level, each level above 512 times larger).</summary>
    public static int LeafLevel(IHardwareWalker walker, ulong size) =>
        walker.Levels - 1 - (System.Numerics.BitOperations.Log2(size) - 12) / 9;

    private static void ExpectUnmapped(IHardwareWalker walker, IPhysicalMemory memory, ulong root, StepContext ctx, ulong addr)
    {
        if (!ctx.Model.Arch.IsCanonical(addr) || ctx.Model.Translate(addr) is not null) return;
        var result = walker.Translate(memory, root, addr, Access.Read, Privilege.Supervisor);
        if (!result.IsFault)
            throw Fail(ctx, $"{walker.Name} Read/Supervisor at unmapped 0x{addr:x}: expected a fault, the MMU gives {result}");
    }

    private static EquivalenceException Fail(StepContext ctx, string what) =>
        new($"{ctx.Kind}, step {ctx.Step + 1} ({ctx.Op}): hardware walk differs: {what}.");
}
