using PageTableModel;
using PageTableModel.Hardware;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Hardware;

/// <summary>How a machine manages the accessed and dirty state of its leaves (docs/hardware-checks.md section 8).</summary>
public enum AccessedDirtyManagement
{
    /// <summary>x86: the processor sets A in every paging-structure entry a translation uses and D in the leaf on a
    /// write (Intel SDM Vol. 3A §4.8); neither ever faults.</summary>
    X64Hardware,

    /// <summary>RISC-V, the second of the two schemes the Privileged spec permits (Sv39, "Virtual Address Translation
    /// Process", step 7; the Svadu behaviour): A = 0, or D = 0 on a store, is set in the leaf by the hardware instead of
    /// raising a page fault. What QEMU 7.2's virt machine does.</summary>
    RiscVHardwareUpdate,

    /// <summary>AArch64 without hardware management (no FEAT_HAFDBS, or TCR_EL1.HA = 0): AF = 0 raises an Access flag
    /// fault, and DBM means nothing (Arm ARM DDI 0487 chapter D8, "Hardware updates of the translation tables": the Access flag, dirty state).</summary>
    A64AccessFlagFault,

    /// <summary>AArch64 with FEAT_HAFDBS and TCR_EL1.HA = HD = 1: the hardware sets AF on an access, and a write to a
    /// leaf with DBM = 1 and AP[2] = 1 clears AP[2] instead of raising a permission fault (the same section).</summary>
    A64HardwareUpdate,

    /// <summary>LoongArch: no hardware update; a store through an entry with D = 0 raises the page modify exception
    /// (PME), and the format has no accessed flag (Reference Manual Vol. 1 §5.4, §7.5 TLBELO).</summary>
    La64NoUpdate,
}

/// <summary>
/// The accessed/dirty scenario: a table whose leaves the suite changes with raw writes into the arena before the image
/// is taken (A and D cleared, AF cleared, D cleared, DBM set: test-side variants, not library encodings), accesses
/// through them, and entry reads of the leaves (and of the table entries above the first one) before and after each
/// access, compared with what the manual says the hardware writes back (docs/hardware-checks.md section 8).
/// </summary>
public static class AccessedDirty
{
    private const ulong G1 = 0x4000_0000;

    // Leaf bits the scenario changes, per format (the manual sections are on AccessedDirtyManagement).
    private const ulong X64Accessed = 1UL << 5, X64Dirty = 1UL << 6;            // SDM Vol. 3A Tables 4-15 to 4-20
    private const ulong RiscVAccessed = 1UL << 6, RiscVDirty = 1UL << 7;        // Privileged spec, Sv39 PTE format
    private const ulong A64AccessFlag = 1UL << 10;                              // AF, D8.3
    private const ulong A64ReadOnly = 1UL << 7;                                 // AP[2], D8.3
    private const ulong A64DirtyBitModifier = 1UL << 51;                        // DBM, D8.3
    private const ulong La64Dirty = 1UL << 1;                                   // D, Vol. 1 §7.5 TLBELO

    /// <summary>The management the main boot of <paramref name="kind"/> runs with (section 4's registers).</summary>
    public static AccessedDirtyManagement MainBoot(TableKind kind) => kind switch
    {
        TableKind.X64 => AccessedDirtyManagement.X64Hardware,
        TableKind.Sv39 or TableKind.Sv48 => AccessedDirtyManagement.RiscVHardwareUpdate,
        TableKind.A64 => AccessedDirtyManagement.A64AccessFlagFault,
        TableKind.La64 => AccessedDirtyManagement.La64NoUpdate,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>TCR_EL1 with HA (bit 39) and HD (bit 40) set: hardware management of the Access flag and of dirty
    /// state (Arm ARM D17.2, TCR_EL1), for <see cref="AccessedDirtyManagement.A64HardwareUpdate"/>.</summary>
    public static ulong[] WithHardwareManagement(ulong[] registers)
    {
        ulong[] r = (ulong[])registers.Clone();
        r[3] |= 1UL << 39 | 1UL << 40;
        return r;
    }

    private sealed record Subject(string Name, ulong Va, ulong Pa, PageSize Size, MappingFlags Flags, bool Dbm = false);

    /// <summary>Builds the scenario's table (<paramref name="newTable"/> makes it in the boot's arena), changes its leaves
    /// for <paramref name="management"/>, and adds the phase and its checks to <paramref name="plan"/>.</summary>
    public static void AddPhase(CheckPlan plan, Func<TableUnderTest> newTable, AccessedDirtyManagement management)
    {
        Layout layout = plan.Layout;
        TableKind kind = layout.Kind;
        ulong w = layout.WindowStart;
        // Each subject in its own 1 GiB of virtual space (its own table below the root); Sv39 has 256 GiB per half.
        ulong vaBase = kind == TableKind.Sv39 ? 0x20_0000_0000UL : 0x4000_0000_0000UL;
        MappingFlags r = MappingFlags.Read, wr = MappingFlags.Read | MappingFlags.Write;
        var subjects = new List<Subject>
        {
            new("4K read-write", vaBase + 0x7000, w + 0x2600_7000, PageSize.Size4K, wr),
            new("2M read-write", vaBase + 2 * G1 + 0x40_0000, w + 0x2680_0000, PageSize.Size2M, wr),
            new("1G read-write", vaBase + 4 * G1, w + G1, PageSize.Size1G, wr),
            new("4K read-only", vaBase + 6 * G1 + 0x2000, w + 0x2601_2000, PageSize.Size4K, r),
            new("4K read-execute", vaBase + 8 * G1 + 0x1000, w + 0x2602_1000, PageSize.Size4K, r | MappingFlags.Execute),
            new("4K user read-write", vaBase + 10 * G1 + 0x3000, w + 0x2603_3000, PageSize.Size4K, wr | MappingFlags.User),
        };
        if (kind == TableKind.A64)
            subjects.Add(new("4K read-only with DBM", vaBase + 12 * G1 + 0x1000, w + 0x2604_1000, PageSize.Size4K, r, Dbm: true));

        TableUnderTest table = newTable();
        foreach (Subject s in subjects) table.Do(new MapOp(s.Va, s.Pa, s.Size, s.Flags));

        // Where each leaf lies, and the table entries above the first subject's (what a walk reads), from the model's
        // simulated TLB on the library's own bytes.
        ulong root = table.Impl.RootPaddr.Value;
        var leafOf = new Dictionary<Subject, ulong>();
        List<TlbEntry> firstPath = [];
        foreach (Subject s in subjects)
        {
            IReadOnlyList<TlbEntry> filled = Tlbs.For(kind.ToString(), table.Memory, root).Fill(s.Va);
            leafOf[s] = filled.Single(e => e.Kind == TlbEntryKind.Leaf && s.Va - e.VaBase < e.Span).EntryAddress; // La64 fills a pair
            if (s == subjects[0]) firstPath = filled.Where(e => e.Kind == TlbEntryKind.Table).ToList();
        }

        // The test-side variants: raw writes into the arena, before the image is taken.
        foreach (Subject s in subjects)
        {
            ulong at = leafOf[s];
            ulong entry = table.Arena.ReadUInt64(new PhysAddr(at));
            ulong changed = management switch
            {
                AccessedDirtyManagement.X64Hardware => entry & ~(X64Accessed | X64Dirty),
                AccessedDirtyManagement.RiscVHardwareUpdate => entry & ~(RiscVAccessed | RiscVDirty),
                _ when kind == TableKind.A64 && s.Dbm => entry | A64DirtyBitModifier,
                AccessedDirtyManagement.A64AccessFlagFault or AccessedDirtyManagement.A64HardwareUpdate => entry & ~A64AccessFlag,
                AccessedDirtyManagement.La64NoUpdate => entry & ~La64Dirty,
                _ => throw new ArgumentOutOfRangeException(nameof(management)),
            };
            table.Arena.WriteUInt64(new PhysAddr(at), changed);
        }

        string phase = management switch
        {
            AccessedDirtyManagement.A64AccessFlagFault => "accessed and dirty (TCR_EL1.HA = HD = 0)",
            AccessedDirtyManagement.A64HardwareUpdate => "accessed and dirty (TCR_EL1.HA = HD = 1)",
            _ => "accessed and dirty",
        };
        plan.BeginPhase(phase, table, management == AccessedDirtyManagement.A64HardwareUpdate ? WithHardwareManagement : null);
        var machine = new Machine(plan, table, management);

        foreach (Subject s in subjects)
        {
            plan.Scenario($"{phase}: {s.Name}");
            ulong leaf = leafOf[s];
            List<ulong> tables = s == subjects[0] ? firstPath.Select(e => e.EntryAddress).ToList() : [];
            void ReadAll(string when)
            {
                machine.ReadEntry(leaf, $"leaf {when}");
                foreach (ulong t in tables) machine.ReadEntry(t, $"table entry {when}");
            }

            Privilege p = (s.Flags & MappingFlags.User) != 0 ? Privilege.User : Privilege.Supervisor;
            ReadAll("as written");
            switch (s.Name)
            {
                case "2M read-write":
                    machine.Touch(s.Va + 0x12_3450, Access.Write, p, leaf);
                    ReadAll("after a store");
                    machine.Touch(s.Va + 0x12_3450, Access.Read, p, leaf);
                    ReadAll("after a load");
                    break;
                case "4K read-execute":
                    machine.Touch(s.Va + 0x30, Access.Execute, p, leaf);
                    ReadAll("after a fetch");
                    machine.Touch(s.Va + 0x30, Access.Read, p, leaf);
                    ReadAll("after a load");
                    break;
                case "4K user read-write":
                    machine.Touch(s.Va + 0x40, Access.Write, p, leaf);
                    ReadAll("after a store");
                    machine.Touch(s.Va + 0x40, Access.Read, p, leaf);
                    ReadAll("after a load");
                    break;
                default:
                    ulong offset = s.Size == PageSize.Size1G ? 0x3456_7890UL : 0x40;
                    machine.Touch(s.Va + offset, Access.Read, p, leaf);
                    ReadAll("after a load");
                    machine.Touch(s.Va + offset + 0x10, Access.Write, p, leaf);
                    ReadAll("after a store");
                    machine.Touch(s.Va + offset + 0x10, Access.Read, p, leaf);
                    ReadAll("after a second load");
                    break;
            }
        }
    }

    /// <summary>
    /// The machine's view of the table while the checks run: the entries as the hardware leaves them (the arena's
    /// bytes, then every write-back the manual calls for), the model's permissions and the walker's answer on those
    /// entries, which must agree with the rule of <see cref="AccessedDirtyManagement"/> before anything is expected.
    /// </summary>
    private sealed class Machine(CheckPlan plan, TableUnderTest table, AccessedDirtyManagement management) : IPhysicalMemory
    {
        private readonly Dictionary<ulong, ulong> _written = [];

        private ulong Root => table.Impl.RootPaddr.Value;

        private TableKind Kind => table.Layout.Kind;

        public bool TryRead64(ulong paddr, out ulong value) =>
            _written.TryGetValue(paddr, out value) || table.Memory.TryRead64(paddr, out value);

        private ulong Entry(ulong pa) => TryRead64(pa, out ulong v) ? v : throw new InvalidOperationException($"no entry at 0x{pa:x}");

        public void ReadEntry(ulong pa, string what)
        {
            ulong value = Entry(pa);
            plan.AddEntryRead(pa, value, $"{what}: 0x{value:x16} ({management})");
        }

        /// <summary>One access through the leaf at <paramref name="leafAt"/>: its expected outcome and the write-backs.</summary>
        public void Touch(ulong va, Access access, Privilege privilege, ulong leafAt)
        {
            ModelMapping m = table.Model.Translate(va) ?? throw new InvalidOperationException($"0x{va:x} is not mapped");
            ulong pa = m.Pa + (va - m.Va);
            bool granted = HardwarePermissions.Grants(Kind, m.Flags, access, privilege);
            WalkResult walk = plan.Walker.Translate(this, Root, va, access, privilege);
            ulong leaf = Entry(leafAt);
            string what = $"{privilege} {access} at 0x{va:x}: model {m} {(granted ? "grants" : "refuses")}; walker on the changed entry: {walk}";
            ulong value = access == Access.Write ? 0x5AD0_0000_0000_0000UL | (ulong)plan.Checks.Count << 8 : 0;

            void Ok(ulong setInLeaf, ulong clearInLeaf)
            {
                if (!plan.AddWithOutcome(va, access, privilege, value, pa, null, null, $"{what}; {management}: granted, leaf |= 0x{setInLeaf:x} &= ~0x{clearInLeaf:x}"))
                    throw Disagree("a granted access the suite cannot observe (section 8): its write-back would go unseen");
                _written[leafAt] = (leaf | setInLeaf) & ~clearInLeaf;
            }

            void Fault(ulong? cause, ulong? tval) =>
                plan.AddWithOutcome(va, access, privilege, value, null, cause, tval, $"{what}; {management}: fault, nothing written");

            Exception Disagree(string why) => new InvalidOperationException($"accessed/dirty scenario: {why}: {what}");

            switch (management)
            {
                case AccessedDirtyManagement.X64Hardware:
                    // §4.8: A and D never fault; A is set in every entry the translation uses, D in the leaf on a write.
                    if (granted != !walk.IsFault) throw Disagree("model and walker disagree");
                    var path = Tlbs.For("X64", this, Root).Fill(va).Where(e => e.Kind == TlbEntryKind.Table).Select(e => e.EntryAddress).ToList();
                    if (!granted)
                    {
                        // Whether a refused access sets A is not what these checks ask: every refused access comes after a
                        // granted one that set A everywhere already.
                        if ((leaf & X64Accessed) == 0 || path.Any(t => (Entry(t) & X64Accessed) == 0)) throw Disagree("refused access with A still 0");
                        var (cause, tval) = plan.RefusedFault(access, privilege, va, walk.Fault, m);
                        Fault(cause, tval);
                        return;
                    }
                    if (walk.Translation is not { } x64 || x64.Accessed != ((leaf & X64Accessed) != 0) || x64.Dirty != ((leaf & X64Dirty) != 0))
                        throw Disagree("walker reports another A/D state than the leaf holds");
                    foreach (ulong t in path) _written[t] = Entry(t) | X64Accessed;
                    Ok(X64Accessed | (access == Access.Write ? X64Dirty : 0), 0);
                    return;

                case AccessedDirtyManagement.RiscVHardwareUpdate:
                    // The walker models the first scheme (A = 0, or D = 0 on a store, is a page fault): here that must be the
                    // only obstacle. The permission checks (step 5) come before step 7, so a refused access writes nothing.
                    if (granted)
                    {
                        if (walk.Fault is { } f && f.Reason is not ("page fault: A=0" or "page fault: store with D=0")) throw Disagree("walker refuses for another reason");
                        if (walk.Translation is { } rv && rv.Dirty != ((leaf & RiscVDirty) != 0)) throw Disagree("walker reports another D than the leaf holds");
                        Ok(RiscVAccessed | (access == Access.Write ? RiscVDirty : 0), 0);
                    }
                    else
                    {
                        if (!walk.IsFault || walk.Fault!.Value.Reason.StartsWith("page fault: A=0", StringComparison.Ordinal)) throw Disagree("walker grants or faults on A only");
                        var (cause, tval) = plan.RefusedFault(access, privilege, va, walk.Fault, m);
                        Fault(cause, tval);
                    }
                    return;

                case AccessedDirtyManagement.A64HardwareUpdate when walk.Fault is { Reason: "Access flag fault (AF=0)" }:
                    // Hardware updates of the translation tables: with HA = 1 the hardware sets AF instead of faulting. Refused accesses come after a granted one.
                    if (!granted) throw Disagree("refused access with AF still 0");
                    Ok(A64AccessFlag, 0);
                    return;

                case AccessedDirtyManagement.A64HardwareUpdate when access == Access.Write && !granted
                                                                    && (leaf & (A64DirtyBitModifier | A64ReadOnly)) == (A64DirtyBitModifier | A64ReadOnly):
                {
                    // Hardware updates of the translation tables: with HD = 1 a write to a writable-clean leaf (DBM = 1, AP[2] = 1) clears AP[2]. Read-only must be
                    // the only obstacle: the walker on the leaf with AP[2] clear grants the write.
                    _written[leafAt] = leaf & ~A64ReadOnly;
                    bool writable = !plan.Walker.Translate(this, Root, va, access, privilege).IsFault;
                    _written[leafAt] = leaf;
                    if (!writable) throw Disagree("DBM write refused for another reason than AP[2]");
                    Ok(0, A64ReadOnly);
                    return;
                }

                case AccessedDirtyManagement.A64AccessFlagFault or AccessedDirtyManagement.A64HardwareUpdate:
                {
                    // Without hardware management: the walker's answer, AF = 0 included (an Access flag fault).
                    bool accessFlag = walk.Fault is { Reason: "Access flag fault (AF=0)" };
                    if (!accessFlag && granted == walk.IsFault) throw Disagree("model and walker disagree");
                    if (!walk.IsFault)
                    {
                        Ok(0, 0);
                        return;
                    }
                    Fault(CheckPlan.A64Syndrome(access, privilege, walk.Fault), va);
                    return;
                }

                case AccessedDirtyManagement.La64NoUpdate:
                {
                    // No hardware update: a store with D = 0 raises PME (Ecode 4, ESTAT bits 21:16; BADV = va).
                    bool pageModify = walk.Fault is { Reason: "page modify exception (store with D=0)" };
                    if (!pageModify && granted == walk.IsFault) throw Disagree("model and walker disagree");
                    if (pageModify) Fault(4UL << 16, va); // a read-only page has D = 0 as well
                    else if (walk.Translation is { } la)
                    {
                        if (la.Dirty != ((leaf & La64Dirty) != 0)) throw Disagree("walker reports another D than the leaf holds");
                        Ok(0, 0);
                    }
                    else
                    {
                        var (cause, tval) = plan.RefusedFault(access, privilege, va, walk.Fault, m);
                        Fault(cause, tval);
                    }
                    return;
                }

                default:
                    throw new ArgumentOutOfRangeException(nameof(management));
            }
        }
    }
}
