using System.Buffers.Binary;
using PageTableModel;
using PageTableModel.Hardware;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Hardware;

/// <summary>What a check must give on the machine: a value, or a fault (cause and address where the architecture's are known).</summary>
public readonly record struct Expected(bool Ok, ulong Value, ulong? Cause, ulong? Tval, string Why)
{
    public override string ToString() =>
        Ok ? $"OK {Value:x16}" : $"FAULT{(Cause is { } c ? $" cause {c:x}" : "")}{(Tval is { } t ? $" at {t:x16}" : "")}";
}

/// <summary>
/// One check of the list, with what the model and the walker expect. An <paramref name="EntryRead"/> check reads the
/// 8 bytes at the physical address <paramref name="Va"/> without translating through the table under test
/// (docs/hardware-checks.md section 2, access 3).
/// </summary>
public sealed record Check(int Index, int Phase, ulong Va, Access Access, Privilege Privilege, ulong Value, Expected Expected, string Scenario, bool EntryRead = false)
{
    public string Describe() => EntryRead
        ? $"#{Index} [{Scenario}] entry read at pa 0x{Va:x}"
        : $"#{Index} [{Scenario}] {Privilege} {Access switch { Access.Read => "load", Access.Write => "store", _ => "fetch" }} 0x{Va:x}"
          + (Access == Access.Write ? $" value 0x{Value:x}" : "");
}

/// <summary>A phase: one table and its register values.</summary>
public sealed record PhasePlan(string Name, ulong[] Registers, int FirstCheck)
{
    public int Count { get; set; }
}

/// <summary>
/// Builds the check list of one boot: phases (tables) with their checks, each check's expected outcome computed,
/// when it is added, from the model (mapping and <see cref="HardwarePermissions"/>) and the walker on the raw table
/// image, which must agree; and the patches that put a cell (<see cref="Cells"/>) wherever a check reaches memory.
/// Physical memory is simulated word by word, so a store is seen by later loads through any alias.
/// </summary>
public sealed class CheckPlan
{
    private readonly Dictionary<ulong, ulong> _memory = [];     // 8-byte words the kernel's patches and stores defined
    private readonly HashSet<ulong> _storedCells = [];          // cells a store changed: no fetch there any more
    private readonly List<(ulong Pa, ulong Value)> _patches = [];
    private readonly IHardwareWalker _walker;
    private readonly bool _crossCheck;

    /// <param name="layout">The machine.</param>
    /// <param name="crossCheckWalker">Whether the walker must agree with the model before booting (off only to show that
    /// QEMU alone catches a faulty entry format).</param>
    public CheckPlan(Layout layout, bool crossCheckWalker = true)
    {
        _crossCheck = crossCheckWalker;
        Layout = layout;
        Kind = layout.Kind;
        // AArch64: the MMU's own address rule (TTBR0 for bits 63:48 all 0, TTBR1 for all 1), docs/hardware-checks.md section 4.
        _walker = Kind == TableKind.A64 ? new A64Walker(hardwareAddressRanges: true) : PageTableModel.Hardware.Walkers.For(Kind.ToString());
    }

    public Layout Layout { get; }

    public TableKind Kind { get; }

    public List<PhasePlan> Phases { get; } = [];

    public List<Check> Checks { get; } = [];

    /// <summary>Checks left out, by reason (docs/hardware-checks.md sections 8 and 9).</summary>
    public SortedDictionary<string, int> Skipped { get; } = new(StringComparer.Ordinal);

    public int SkippedChecks => Skipped.Values.Sum();

    private bool Skip(string reason)
    {
        Skipped[reason] = Skipped.GetValueOrDefault(reason) + 1;
        return false;
    }

    public IReadOnlyList<(ulong Pa, ulong Value)> Patches => _patches;

    private TableUnderTest? _current;
    private string _scenario = "";

    /// <summary>
    /// X64 only: the CR3 of the entry reader table (a table that identity-maps the table window), reg1 of every phase;
    /// the kernel switches to it for an entry read, as long mode cannot turn paging off (docs/hardware-checks.md
    /// section 4). 0 when the plan makes no entry read.
    /// </summary>
    public ulong EntryReaderRoot { get; set; }

    /// <summary>The walker the checks' expectations are cross-checked with (on the raw table image).</summary>
    public IHardwareWalker Walker => _walker;

    /// <summary>Starts a phase on <paramref name="table"/>; <paramref name="adjust"/> may change its registers
    /// (A64's TCR_EL1.HA/HD).</summary>
    public void BeginPhase(string name, TableUnderTest table, Func<ulong[], ulong[]>? adjust = null)
    {
        if (Phases.Count > 0) Phases[^1].Count = Checks.Count - Phases[^1].FirstCheck;
        _current = table;
        _scenario = name;
        ulong[] registers = table.Registers();
        if (Kind == TableKind.X64) registers[1] = EntryReaderRoot;
        if (adjust is not null) registers = adjust(registers);
        Phases.Add(new PhasePlan(name, registers, Checks.Count));
    }

    public void Scenario(string name) => _scenario = name;

    /// <summary>Adds a check at <paramref name="va"/> unless the expected access lands outside the data window
    /// (or is a fetch from a cell a store changed); returns whether it was added.</summary>
    public bool Add(ulong va, Access access, Privilege privilege, ulong storeValue = 0)
    {
        TableUnderTest table = _current ?? throw new InvalidOperationException("BeginPhase first");
        if ((va & 15) != 0) throw new ArgumentException($"check address 0x{va:x} is not 16-byte aligned");
        if (table.IsSupport(va)) throw new InvalidOperationException($"check address 0x{va:x} lies in a support mapping");
        ulong value = access == Access.Write ? storeValue : 0;

        ModelMapping? m = table.Model.Translate(va);
        bool granted = m is { } mm && HardwarePermissions.Grants(Kind, mm.Flags, access, privilege);
        if (Kind == TableKind.La64 && LoongArchBit47Differs(va)) return Skip("La64 address with bit 47 unlike bits 63:48");
        if (Kind == TableKind.La64 && granted && m is { Size: 0x1000 } page && ((page.Va ^ page.Pa) & TableUnderTest.ColourBits) != 0)
            throw new InvalidOperationException($"[{_scenario}] La64 4 KiB page {page} has a frame of another colour (TableUnderTest.SameColour)");
        WalkResult walk = _walker.Translate(table.Memory, table.Impl.RootPaddr.Value, va, access, privilege);
        string what = $"{privilege} {access} at 0x{va:x}";
        if (granted)
        {
            ulong pa = m!.Value.Pa + (va - m.Value.Va);
            if (_crossCheck && walk.Translation?.Pa != pa)
                throw new InvalidOperationException($"[{_scenario}] model and walker disagree before booting: {what}: model {m}, walker {walk}");
            if (!Layout.InWindow(pa)) return Skip("outside the data window");
            if (access == Access.Execute && _storedCells.Contains(pa)) return Skip("fetch from a cell a store changed");
            if (access == Access.Execute && !FetchObservable(m.Value.Flags)) return Skip("A64 fetch from Device memory");

            EnsureCell(pa);
            ulong result;
            switch (access)
            {
                case Access.Read:
                    result = _memory[pa];
                    break;
                case Access.Write:
                    _memory[pa] = value;
                    _storedCells.Add(pa);
                    result = value;
                    break;
                default:
                    result = Cells.Value(pa);
                    break;
            }

            Push(va, access, privilege, value, new Expected(true, result, null, null, $"model {m} grants it; walker: {walk}"));
        }
        else
        {
            if (_crossCheck && !walk.IsFault)
                throw new InvalidOperationException($"[{_scenario}] model and walker disagree before booting: {what}: model {(m is null ? "unmapped" : m.ToString())} refuses, walker {walk}");
            var (cause, tval) = FaultOf(access, privilege, va, walk.Fault, m);
            Push(va, access, privilege, value, new Expected(false, 0, cause, tval, $"model {(m is null ? "maps nothing there" : m + " refuses it")}; walker: {walk}"));
        }

        return true;
    }

    /// <summary>Checks every access and privilege at the three cells of <paramref name="m"/> (docs section 1), stores at
    /// three other cells followed by loads, and the first page outside it on both sides.</summary>
    public void AddMappingChecks(ModelMapping m)
    {
        ulong[] fetchCells = [0, m.Size / 2 + 0x120, m.Size - 0x40];
        ulong[] storeCells = [0x20, m.Size / 2 + 0x140, m.Size - 0x20];
        foreach (ulong off in fetchCells)
            foreach (Privilege p in new[] { Privilege.Supervisor, Privilege.User })
            {
                Add(m.Va + off, Access.Read, p);
                Add(m.Va + off, Access.Execute, p);
            }
        foreach (ulong off in storeCells)
            foreach (Privilege p in new[] { Privilege.Supervisor, Privilege.User })
            {
                Add(m.Va + off, Access.Write, p, 0x5700_0000_0000_0000UL | ((ulong)Checks.Count << 8) | (p == Privilege.User ? 1UL : 0));
                Add(m.Va + off, Access.Read, p);
            }
        TableUnderTest table = _current!;
        foreach (ulong outside in new[] { unchecked(m.Va - 0x10), unchecked(m.Va + m.Size) })
        {
            if (table.Model.Translate(outside) is not null || table.IsSupport(outside) || !AddressRulesAgree(outside)) continue;
            Add(outside, Access.Read, Privilege.Supervisor);
            Add(outside, Access.Write, Privilege.User, 1);
            Add(outside, Access.Execute, Privilege.Supervisor);
        }
    }

    /// <summary>
    /// Adds an access whose outcome the caller worked out (the accessed/dirty checks: the model alone cannot say it). A
    /// granted load expects the cell word at <paramref name="pa"/>, a store its value, a fetch <c>V(pa)</c>; the
    /// simulated memory follows. Returns false (and adds nothing) where section 8 leaves a granted access out.
    /// </summary>
    public bool AddWithOutcome(ulong va, Access access, Privilege privilege, ulong storeValue, ulong? pa, ulong? cause, ulong? tval, string why)
    {
        if ((va & 15) != 0) throw new ArgumentException($"check address 0x{va:x} is not 16-byte aligned");
        ulong value = access == Access.Write ? storeValue : 0;
        if (pa is not { } target)
        {
            Push(va, access, privilege, value, new Expected(false, 0, cause, tval, why));
            return true;
        }
        if (!Layout.InWindow(target)) return Skip("outside the data window");
        if (access == Access.Execute && _storedCells.Contains(target)) return Skip("fetch from a cell a store changed");
        EnsureCell(target);
        ulong result = access switch
        {
            Access.Read => _memory[target],
            Access.Write => value,
            _ => Cells.Value(target),
        };
        if (access == Access.Write)
        {
            _memory[target] = value;
            _storedCells.Add(target);
        }
        Push(va, access, privilege, value, new Expected(true, result, null, null, why));
        return true;
    }

    /// <summary>Adds an entry read of the 8 bytes at physical <paramref name="pa"/> that must give <paramref name="expected"/>.</summary>
    public void AddEntryRead(ulong pa, ulong expected, string why)
    {
        if ((pa & 7) != 0 || pa < Layout.TablesBase || pa >= Layout.TablesBase + (ulong)Layout.TableFrames * 0x1000)
            throw new ArgumentException($"entry read at 0x{pa:x} outside the table window");
        Checks.Add(new Check(Checks.Count, Phases.Count - 1, pa, Access.Read, Privilege.Supervisor, 0,
            new Expected(true, expected, null, null, why), _scenario, EntryRead: true));
    }

    /// <summary>The fault cause and address the architecture reports for an access the model refuses (section 8).</summary>
    public (ulong? Cause, ulong? Tval) RefusedFault(Access access, Privilege privilege, ulong va, WalkFault? fault, ModelMapping? m) =>
        FaultOf(access, privilege, va, fault, m);

    /// <summary>Checks at <paramref name="va"/> for every access and privilege (for unmapped and non-canonical addresses).</summary>
    public void AddEverywhere(ulong va)
    {
        foreach (Privilege p in new[] { Privilege.Supervisor, Privilege.User })
            foreach (Access a in new[] { Access.Read, Access.Write, Access.Execute })
                Add(va, a, p, 2);
    }

    /// <summary>The mappings of the current table that are not support mappings.</summary>
    public IEnumerable<ModelMapping> TestMappings() => _current!.Model.Mappings.Where(m => !_current.IsSupport(m.Va));

    public void Finish()
    {
        if (Phases.Count > 0) Phases[^1].Count = Checks.Count - Phases[^1].FirstCheck;
    }

    /// <summary>
    /// Whether QEMU 7.2's loongarch64 and the manual disagree about <paramref name="va"/> (docs/hardware-checks.md
    /// sections 4 and 9): QEMU translates an address whose bits 63:48 are all equal even when bit 47 differs, where
    /// the manual (and the model) raise an address error.
    /// </summary>
    private static bool LoongArchBit47Differs(ulong va)
    {
        ulong top = va >> 47;                    // bits 63:47
        return top == 1 || top == 0x1_fffe;      // bits 63:48 all equal, bit 47 different
    }

    /// <summary>Whether the machine lets a fetch be observed for these flags (docs/hardware-checks.md section 9).</summary>
    private bool FetchObservable(ModelFlags flags) => !(Kind == TableKind.A64 && (flags & ModelFlags.Device) != 0);

    /// <summary>Whether the library's address rule and the MMU's give the same answer for <paramref name="va"/>. AArch64's
    /// MMU translates bits 63:48 all 0 through TTBR0 and all 1 through TTBR1 (one shared root), so it walks
    /// [0x0000_8000_0000_0000, 0x0001_0000_0000_0000) and [0xffff_0000_0000_0000, 0xffff_8000_0000_0000) through root
    /// entries the library fills for the other half (docs/hardware-checks.md section 4, AArch64).</summary>
    private bool AddressRulesAgree(ulong va) => Kind != TableKind.A64 || (va >> 47) is 0 or 0x1_ffff || (va >> 48) is not (0 or 0xffff);

    /// <summary>The fault cause and address the architecture reports, where the suite compares them.</summary>
    private (ulong? Cause, ulong? Tval) FaultOf(Access access, Privilege privilege, ulong va, WalkFault? fault, ModelMapping? m) => Kind switch
    {
        // scause: instruction / load / store page fault (Privileged spec, scause table); stval = the address.
        TableKind.Sv39 or TableKind.Sv48 => (access switch { Access.Read => 13UL, Access.Write => 15UL, _ => 12UL }, va),
        TableKind.A64 => (A64Syndrome(access, privilege, fault), va),
        TableKind.La64 => (LoongArchEstat(access, privilege, va, m), va),
        // vector << 32 | error code (docs section 4). A non-canonical address is #GP(0) with no address (Intel SDM
        // Vol. 3A §3.3.7.1); otherwise #PF with CR2 = the address and the error code of §4.7: P (a present
        // translation refused; a PROT_NONE leaf is not present), W/R, U/S, I/D (a fetch: EFER.NXE = 1).
        TableKind.X64 when !IsCanonical48(va) => (13UL << 32, 0),
        TableKind.X64 => (14UL << 32 | (m is { } present && !present.Flags.IsProtNone() ? 1UL : 0) | (access == Access.Write ? 2UL : 0)
                          | (privilege == Privilege.User ? 4UL : 0) | (access == Access.Execute ? 0x10UL : 0), va),
        _ => (null, null),
    };

    /// <summary>
    /// ESR_EL1 as QEMU 7.2 reports a stage 1 abort (docs/hardware-checks.md section 4, AArch64; Arm ARM DDI 0487 D17.2,
    /// ESR_EL1 with the ISS of data and instruction aborts): EC 0x25 / 0x24 data abort from EL1 / EL0, 0x21 / 0x20
    /// instruction abort; IL (bit 25) = 1; WnR (bit 6) = 1 for a store; FSC 0b0001LL translation, 0b0010LL access
    /// flag, 0b0011LL permission fault at level LL. Null (not compared) for the walker's other faults, or when the
    /// walker did not fault (a run without the model/walker cross-check).
    /// </summary>
    public static ulong? A64Syndrome(Access access, Privilege privilege, WalkFault? walkFault)
    {
        if (walkFault is not { } fault) return null;
        ulong? status =
            fault.Reason.StartsWith("translation fault", StringComparison.Ordinal) ? 0b0001UL
            : fault.Reason.StartsWith("Access flag fault", StringComparison.Ordinal) ? 0b0010UL
            : fault.Reason.StartsWith("permission fault", StringComparison.Ordinal) ? 0b0011UL
            : null;
        if (status is not { } fsc) return null;
        ulong ec = (access == Access.Execute ? 0x20UL : 0x24UL) | (privilege == Privilege.Supervisor ? 1UL : 0);
        ulong wnr = access == Access.Write ? 1UL : 0;
        return ec << 26 | 1UL << 25 | wnr << 6 | fsc << 2 | (uint)fault.Level;
    }

    private static bool IsCanonical48(ulong va) => (va >> 47) is 0 or 0x1_FFFF;

    /// <summary>
    /// LoongArch's ESTAT for an access the model refuses (Ecode in bits 21:16, EsubCode in bits 30:22; LoongArch
    /// Reference Manual Vol. 1 §7.4.6), in the order the walker and the kernel check (docs/hardware-checks.md
    /// section 9): address error (ADEF for a fetch, ADEM otherwise; QEMU 7.2 looks at bits 63:48 only), no valid
    /// entry, PROT_NONE leaves included (PIL / PIS / PIF), privilege (PPI), then NX on a fetch (PNX) or D = 0 on a store (PME).
    /// </summary>
    private static ulong LoongArchEstat(Access access, Privilege privilege, ulong va, ModelMapping? m)
    {
        ulong top = va >> 48;
        if (top != 0 && top != 0xffff) return 8UL << 16 | (access == Access.Execute ? 0UL : 1UL) << 22;
        if (m is not { } mapping || mapping.Flags.IsProtNone()) return (access switch { Access.Read => 1UL, Access.Write => 2UL, _ => 3UL }) << 16;
        if (privilege == Privilege.User && (mapping.Flags & ModelFlags.User) == 0) return 7UL << 16;
        return (access switch { Access.Write => 4UL, Access.Execute => 6UL, _ => 5UL }) << 16;
    }

    private void Push(ulong va, Access access, Privilege privilege, ulong value, Expected expected) =>
        Checks.Add(new Check(Checks.Count, Phases.Count - 1, va, access, privilege, value, expected, _scenario));

    private void EnsureCell(ulong pa)
    {
        ulong cell = pa & ~15UL;
        if (_memory.ContainsKey(cell)) return;
        var (low, high) = Cells.Words(Kind, cell);
        _memory[cell] = low;
        _memory[cell + 8] = high;
        _patches.Add((cell, low));
        _patches.Add((cell + 8, high));
    }

    public const ulong Magic = 0x314B_4843_5457_4850; // "PHWTCHK1"

    /// <summary>The check list file of docs/hardware-checks.md section 2.</summary>
    public byte[] ToBytes()
    {
        Finish();
        int phasesOffset = 128, checksOffset = phasesOffset + 64 * Phases.Count, patchesOffset = checksOffset + 32 * Checks.Count;
        int length = patchesOffset + 16 * _patches.Count;
        var bytes = new byte[length];
        void Put(int offset, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset, 8), v);
        Put(0x00, Magic);
        Put(0x08, 1);
        Put(0x10, Layout.ArchCode);
        Put(0x18, (ulong)Phases.Count);
        Put(0x20, (ulong)Checks.Count);
        Put(0x28, (ulong)_patches.Count);
        Put(0x30, (ulong)phasesOffset);
        Put(0x38, (ulong)checksOffset);
        Put(0x40, (ulong)patchesOffset);
        Put(0x48, (ulong)length);
        for (int i = 0; i < Phases.Count; i++)
        {
            int o = phasesOffset + 64 * i;
            Put(o, (ulong)Phases[i].FirstCheck);
            Put(o + 8, (ulong)Phases[i].Count);
            for (int r = 0; r < Phases[i].Registers.Length; r++) Put(o + 16 + 8 * r, Phases[i].Registers[r]);
        }
        for (int i = 0; i < Checks.Count; i++)
        {
            int o = checksOffset + 32 * i;
            Check c = Checks[i];
            Put(o, c.Va);
            Put(o + 8, c.EntryRead ? 3UL : c.Access switch { Access.Read => 0UL, Access.Write => 1UL, _ => 2UL });
            Put(o + 16, c.Privilege == Privilege.User ? 1UL : 0UL);
            Put(o + 24, c.Value);
        }
        for (int i = 0; i < _patches.Count; i++)
        {
            Put(patchesOffset + 16 * i, _patches[i].Pa);
            Put(patchesOffset + 16 * i + 8, _patches[i].Value);
        }
        return bytes;
    }
}
