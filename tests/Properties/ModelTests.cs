using PageTableModel;
using Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// Hand-worked examples of every rule in docs/semantics.md, run against the reference model alone. Every
/// expected value below was worked out from the spec by hand; none was produced by the model.
/// </summary>
public sealed class ModelTests
{
    private const ulong K4 = 0x1000;
    private const ulong M2 = 0x20_0000;
    private const ulong G1 = 0x4000_0000;
    private const ulong G512 = 0x80_0000_0000; // one root slot on 4-level tables

    private const ModelFlags R = ModelFlags.Read;
    private const ModelFlags RW = ModelFlags.Read | ModelFlags.Write;
    private const ModelFlags RWX = ModelFlags.Read | ModelFlags.Write | ModelFlags.Execute;
    private const ModelFlags BadBit = (ModelFlags)64;

    private static readonly ArchSpec X64 = ArchSpec.X64;

    // ---------------------------------------------------------------- helpers

    private static ReferenceModel With(ArchSpec arch, params (ulong Va, ulong Pa, ulong Size)[] pages)
    {
        var model = new ReferenceModel(arch);
        foreach (var (va, pa, size) in pages)
        {
            Assert.Equal(ModelResult<ulong>.Ok(va), model.Map(va, pa, size, R));
        }

        return model;
    }

    /// <summary>Makes the root slot of <paramref name="va"/> borrowed from an empty model.</summary>
    private static void Borrow(ReferenceModel model, ulong va)
    {
        Assert.Equal(ModelResult<bool>.Ok(true), model.CopyFrom(new ReferenceModel(model.Arch), va, K4));
    }

    private static void AssertFails<T>(ModelError expected, ModelResult<T> result)
    {
        Assert.False(result.IsOk, $"expected Err({expected}), got {result}");
        Assert.Equal(expected, result.Error);
    }

    /// <summary>Runs <paramref name="operation"/>, expects <paramref name="expected"/>, and that no mapping changed.</summary>
    private static void AssertFailsUnchanged<T>(ReferenceModel model, ModelError expected, Func<ReferenceModel, ModelResult<T>> operation)
    {
        var before = model.Mappings;
        var borrowedBefore = model.BorrowedSlots.OrderBy(s => s).ToList();
        AssertFails(expected, operation(model));
        Assert.Equal(before, model.Mappings);
        Assert.Equal(borrowedBefore, model.BorrowedSlots.OrderBy(s => s).ToList());
    }

    private static List<int> Slots(ReferenceModel model) => model.BorrowedSlots.Order().ToList();

    private static ModelMapping M(ulong va, ulong pa, ulong size, ModelFlags flags = R) => new(va, pa, size, flags);

    // ---------------------------------------------------------------- ArchSpec

    [Fact]
    public void Arch_parameters_are_the_spec_table()
    {
        Assert.Equal(["X64", "A64", "Sv39", "Sv48", "La64"], ArchSpec.All.Select(a => a.Name));
        Assert.Equal([4, 4, 3, 4, 4], ArchSpec.All.Select(a => a.Levels));
        Assert.Equal([48, 48, 39, 48, 48], ArchSpec.All.Select(a => a.VaBits));
        Assert.Equal([52, 48, 56, 56, 48], ArchSpec.All.Select(a => a.PaBits));
        Assert.Equal([G512, G512, G1, G512, G512], ArchSpec.All.Select(a => a.RootSlotSpan));
        foreach (var arch in ArchSpec.All)
        {
            Assert.Equal([0x1000UL, 0x20_0000UL, 0x4000_0000UL], arch.PageSizes);
        }
    }

    [Fact]
    public void Canonical_48_bit_is_two_intervals()
    {
        foreach (var arch in new[] { ArchSpec.X64, ArchSpec.A64, ArchSpec.Sv48, ArchSpec.La64 })
        {
            Assert.True(arch.IsCanonical(0));
            Assert.True(arch.IsCanonical(0x0000_7fff_ffff_ffff));
            Assert.False(arch.IsCanonical(0x0000_8000_0000_0000));
            Assert.False(arch.IsCanonical(0x0001_0000_0000_0000));
            Assert.False(arch.IsCanonical(0x8000_0000_0000_0000));
            Assert.False(arch.IsCanonical(0xffff_7fff_ffff_ffff));
            Assert.False(arch.IsCanonical(0xffff_0000_0000_0000)); // AArch64 too: the departure
            Assert.True(arch.IsCanonical(0xffff_8000_0000_0000));
            Assert.True(arch.IsCanonical(0xffff_ffff_ffff_ffff));
        }
    }

    [Fact]
    public void Canonical_sv39_is_two_intervals()
    {
        var sv39 = ArchSpec.Sv39;
        Assert.True(sv39.IsCanonical(0x0000_003f_ffff_ffff));
        Assert.False(sv39.IsCanonical(0x0000_0040_0000_0000));
        Assert.False(sv39.IsCanonical(0x0000_7fff_ffff_ffff));
        Assert.False(sv39.IsCanonical(0xffff_ffbf_ffff_ffff));
        Assert.True(sv39.IsCanonical(0xffff_ffc0_0000_0000));
        Assert.True(sv39.IsCanonical(0xffff_ffff_ffff_ffff));
    }

    [Fact]
    public void Root_slot_is_bits_above_the_root_shift()
    {
        Assert.Equal(0, X64.RootSlot(0));
        Assert.Equal(0, X64.RootSlot(G512 - 1));
        Assert.Equal(1, X64.RootSlot(G512));
        Assert.Equal(255, X64.RootSlot(0x0000_7fff_ffff_ffff));
        Assert.Equal(256, X64.RootSlot(0xffff_8000_0000_0000));
        Assert.Equal(511, X64.RootSlot(0xffff_ffff_ffff_ffff));

        var sv39 = ArchSpec.Sv39;
        Assert.Equal(0, sv39.RootSlot(G1 - 1));
        Assert.Equal(1, sv39.RootSlot(G1));
        Assert.Equal(255, sv39.RootSlot(0x3f_ffff_ffff));
        Assert.Equal(256, sv39.RootSlot(0xffff_ffc0_0000_0000));
        Assert.Equal(511, sv39.RootSlot(0xffff_ffff_ffff_ffff));
    }

    [Fact]
    public void Effective_flags_per_architecture()
    {
        const ModelFlags devUnc = ModelFlags.Read | ModelFlags.Device | ModelFlags.Uncached;
        const ModelFlags unc = ModelFlags.Read | ModelFlags.Uncached;
        const ModelFlags all4 = ModelFlags.Read | ModelFlags.Write | ModelFlags.Execute | ModelFlags.User;

        Assert.Equal(ModelFlags.Read | ModelFlags.Device, ArchSpec.X64.Effective(devUnc));
        Assert.Equal(ModelFlags.Read | ModelFlags.Device, ArchSpec.A64.Effective(devUnc));
        Assert.Equal(ModelFlags.Read | ModelFlags.Device, ArchSpec.La64.Effective(devUnc));
        Assert.Equal(ModelFlags.Read, ArchSpec.Sv39.Effective(devUnc));
        Assert.Equal(ModelFlags.Read, ArchSpec.Sv48.Effective(devUnc));

        Assert.Equal(unc, ArchSpec.X64.Effective(unc));
        Assert.Equal(unc, ArchSpec.A64.Effective(unc));
        Assert.Equal(unc, ArchSpec.La64.Effective(unc));
        Assert.Equal(ModelFlags.Read, ArchSpec.Sv39.Effective(unc));
        Assert.Equal(ModelFlags.Read | ModelFlags.Write, ArchSpec.Sv48.Effective(ModelFlags.Read | ModelFlags.Write | ModelFlags.Device));

        foreach (var arch in ArchSpec.All)
        {
            Assert.Equal(all4, arch.Effective(all4));
        }

        // x86_64 forces Read; the others keep what they are given.
        Assert.Equal(ModelFlags.Read | ModelFlags.Write, ArchSpec.X64.Effective(ModelFlags.Write));
        Assert.Equal(ModelFlags.Write, ArchSpec.A64.Effective(ModelFlags.Write));
    }

    [Fact]
    public void Map_stores_effective_flags()
    {
        const ModelFlags given = ModelFlags.Read | ModelFlags.Write | ModelFlags.Device | ModelFlags.Uncached;
        var expected = new Dictionary<string, ModelFlags>
        {
            ["X64"] = ModelFlags.Read | ModelFlags.Write | ModelFlags.Device,
            ["A64"] = ModelFlags.Read | ModelFlags.Write | ModelFlags.Device,
            ["Sv39"] = ModelFlags.Read | ModelFlags.Write,
            ["Sv48"] = ModelFlags.Read | ModelFlags.Write,
            ["La64"] = ModelFlags.Read | ModelFlags.Write | ModelFlags.Device,
        };
        foreach (var arch in ArchSpec.All)
        {
            var model = new ReferenceModel(arch);
            Assert.Equal(ModelResult<ulong>.Ok(0x3000), model.Map(0x3000, 0x7000, K4, given));
            Assert.Equal([M(0x3000, 0x7000, K4, expected[arch.Name])], model.Mappings);
            Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x7abc, expected[arch.Name], K4)), model.Query(0x3abc));
        }
    }

    [Fact]
    public void Prot_none_flags_are_kept_exactly_on_every_architecture()
    {
        const ModelFlags devUnc = ModelFlags.Device | ModelFlags.Uncached;
        foreach (var arch in ArchSpec.All)
        {
            // No implied Read on x86, no memory type dropped on RISC-V, Device does not drop Uncached.
            Assert.Equal(ModelFlags.None, arch.Effective(ModelFlags.None));
            Assert.Equal(ModelFlags.User, arch.Effective(ModelFlags.User));
            Assert.Equal(devUnc, arch.Effective(devUnc));
            Assert.Equal(ModelFlags.User | devUnc, arch.Effective(ModelFlags.User | devUnc));
        }
    }

    [Fact]
    public void Valid_flags_are_read_or_no_access_at_all()
    {
        foreach (var valid in new[]
        {
            ModelFlags.None, ModelFlags.User, ModelFlags.Device, ModelFlags.Uncached, ModelFlags.User | ModelFlags.Device | ModelFlags.Uncached,
            R, RW, RWX, ModelFlags.Read | ModelFlags.Execute | ModelFlags.User | ModelFlags.Device | ModelFlags.Uncached,
        })
        {
            Assert.True(valid.IsValid(), $"{valid} should be valid");
        }

        foreach (var invalid in new[]
        {
            ModelFlags.Write, ModelFlags.Execute, ModelFlags.Write | ModelFlags.Execute, ModelFlags.Write | ModelFlags.User,
            ModelFlags.Execute | ModelFlags.Device | ModelFlags.Uncached, BadBit, R | BadBit, R | (ModelFlags)128, (ModelFlags)128,
        })
        {
            Assert.False(invalid.IsValid(), $"{invalid} should be invalid");
        }

        Assert.True(ModelFlags.None.IsProtNone());
        Assert.True((ModelFlags.User | ModelFlags.Device | ModelFlags.Uncached).IsProtNone());
        Assert.False(R.IsProtNone());
        Assert.False(ModelFlags.Write.IsProtNone());
        Assert.False(ModelFlags.Execute.IsProtNone());
    }

    [Fact]
    public void Prot_none_mapping_round_trip()
    {
        const ModelFlags kept = ModelFlags.User | ModelFlags.Device;
        foreach (var arch in ArchSpec.All)
        {
            var model = new ReferenceModel(arch);
            Assert.Equal(ModelResult<ulong>.Ok(0x20_0000), model.Map(0x20_0000, 0x60_0000, M2, kept));
            Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x61_2345, kept, M2)), model.Query(0x21_2345));
            Assert.Equal(M(0x20_0000, 0x60_0000, M2, kept), model.Translate(0x3f_ffff));

            // Rights back (effective flags of the architecture), then taken away again.
            Assert.Equal(ModelResult<ulong>.Ok(M2), model.Protect(0x20_0000, RW));
            Assert.Equal([M(0x20_0000, 0x60_0000, M2, RW)], model.Mappings);
            Assert.Equal(ModelResult<ulong>.Ok(M2), model.Protect(0x20_0000, ModelFlags.None));
            Assert.Equal([M(0x20_0000, 0x60_0000, M2, ModelFlags.None)], model.Mappings);

            // Remap keeps it a mapping; region protection and removal treat it as any mapping.
            Assert.Equal(ModelResult<ulong>.Ok(M2), model.Remap(0x20_0000, 0x80_0000, ModelFlags.Uncached));
            Assert.Equal([M(0x20_0000, 0x80_0000, M2, ModelFlags.Uncached)], model.Mappings);
            Assert.Equal(ModelResult<bool>.Ok(true), model.ProtectRegion(0x20_0000, M2, ModelFlags.User));
            Assert.Equal([M(0x20_0000, 0x80_0000, M2, ModelFlags.User)], model.Mappings);
            AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0x20_0000, 0, M2, R));
            AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Map(0x20_1000, 0, K4, R));
            Assert.Equal(ModelResult<(ulong, ulong)>.Ok((0x80_0000, M2)), model.Unmap(0x20_0000));
            Assert.Empty(model.Mappings);

            Assert.Equal(ModelResult<bool>.Ok(true), model.MapRegion(0x1000, va => va + 0x1000, 2 * K4, ModelFlags.None, true));
            Assert.Equal([M(0x1000, 0x2000, K4, ModelFlags.None), M(0x2000, 0x3000, K4, ModelFlags.None)], model.Mappings);
            Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(0x1000, 2 * K4));
            Assert.Empty(model.Mappings);
        }
    }

    // ---------------------------------------------------------------- Map

    [Fact]
    public void Map_success_in_every_size()
    {
        foreach (var arch in ArchSpec.All)
        {
            var model = new ReferenceModel(arch);
            Assert.Equal(ModelResult<ulong>.Ok(0x1000), model.Map(0x1000, 0x2000, K4, RW));
            Assert.Equal(ModelResult<ulong>.Ok(0x20_0000), model.Map(0x20_0000, 0x60_0000, M2, R));
            Assert.Equal(ModelResult<ulong>.Ok(0x4000_0000), model.Map(0x4000_0000, 0xc000_0000, G1, RWX));
            Assert.Equal(
                [M(0x1000, 0x2000, K4, RW), M(0x20_0000, 0x60_0000, M2, R), M(0x4000_0000, 0xc000_0000, G1, RWX)],
                model.Mappings);
            Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x2fff, RW, K4)), model.Query(0x1fff));
            Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x73_4567, R, M2)), model.Query(0x33_4567));
            Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0xffff_ffff, RWX, G1)), model.Query(0x7fff_ffff));
        }
    }

    [Fact]
    public void Map_with_a_size_that_is_not_a_page_size_throws()
    {
        var model = new ReferenceModel(X64);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Map(0, 0, 0x2000, R));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Map(0, 0, 0, R));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Map(0x8000_0000_0001, 0, 0x8000_0000, R));
    }

    [Fact]
    public void Map_checks_in_order()
    {
        var model = new ReferenceModel(ArchSpec.A64); // P = 48
        // 1. non-canonical beats unaligned, bad flags, bad pa
        AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => m.Map(0x0000_8000_0000_0001, 0x1001, K4, ModelFlags.Execute));
        AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => m.Map(0xffff_0000_0000_0000, 0, K4, R));
        // 2. va % size beats bad flags
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Map(0x1000, 0, M2, ModelFlags.Execute));
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Map(0x20_0000, 0, G1, R));
        // 3. flags: Write or Execute need Read, no bit above Uncached, checked on the flags as given (x86 would force Read)
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.Map(0x20_0000, 0x1000, M2, ModelFlags.Write));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.Map(0, 0, K4, ModelFlags.Execute));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.Map(0, 0, K4, R | BadBit));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.Map(0, 0, K4, R | (ModelFlags)128));
        AssertFailsUnchanged(new ReferenceModel(X64), ModelError.InvalidFlags, m => m.Map(0, 0, K4, ModelFlags.Write));
        // 4. pa % size beats pa out of range
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Map(0x20_0000, 0x1_0000_0000_1000, M2, R));
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Map(0, 0x800, K4, R));
        // 5. pa + size <= 2^48
        AssertFailsUnchanged(model, ModelError.InvalidPhysAddr, m => m.Map(0, 0x1_0000_0000_0000, K4, R));
        AssertFailsUnchanged(model, ModelError.InvalidPhysAddr, m => m.Map(0, 0x1_0000_4000_0000, G1, R));
        AssertFailsUnchanged(model, ModelError.InvalidPhysAddr, m => m.Map(0, 0xffff_ffff_ffff_f000, K4, R));
        Assert.Empty(model.Mappings);
    }

    [Fact]
    public void Map_physical_edge_per_architecture()
    {
        // The last page of each size that still fits below 2^P, and the first that does not.
        var cases = new (ArchSpec Arch, ulong Limit)[]
        {
            (ArchSpec.X64, 0x10_0000_0000_0000),
            (ArchSpec.A64, 0x1_0000_0000_0000),
            (ArchSpec.Sv39, 0x100_0000_0000_0000),
            (ArchSpec.Sv48, 0x100_0000_0000_0000),
            (ArchSpec.La64, 0x1_0000_0000_0000),
        };
        foreach (var (arch, limit) in cases)
        {
            var model = new ReferenceModel(arch);
            Assert.Equal(ModelResult<ulong>.Ok(0), model.Map(0, limit - K4, K4, R));
            Assert.Equal(ModelResult<ulong>.Ok(M2), model.Map(M2, limit - M2, M2, R));
            Assert.Equal(ModelResult<ulong>.Ok(G1), model.Map(G1, limit - G1, G1, R));
            AssertFails(ModelError.InvalidPhysAddr, model.Map(0x1000, limit, K4, R));
            AssertFails(ModelError.InvalidPhysAddr, model.Map(2 * G1, limit, G1, R));
        }
    }

    [Fact]
    public void Map_invalid_pa_beats_borrowed_slot()
    {
        var model = new ReferenceModel(ArchSpec.A64);
        Borrow(model, 0);
        AssertFailsUnchanged(model, ModelError.InvalidPhysAddr, m => m.Map(0x1000, 0x1_0000_0000_0000, K4, R));
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.Map(0x1000, 0x1000, K4, R));
    }

    [Fact]
    public void Map_borrowed_beats_huge_page_and_overlap()
    {
        var other = With(X64, (0, 0, M2), (0x40_0000, 0, K4));
        var model = new ReferenceModel(X64);
        Assert.Equal(ModelResult<bool>.Ok(true), model.CopyFrom(other, 0, K4));
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.Map(0x1000, 0, K4, R));     // would be MappedToHugePage
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.Map(0x40_0000, 0, K4, R));  // would be AlreadyMapped
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.Map(G512 - G1, 0, G1, R)); // last 1G of slot 0
        Assert.Equal(ModelResult<ulong>.Ok(G512), model.Map(G512, 0, K4, R));                   // slot 1 is free
    }

    [Fact]
    public void Map_under_a_larger_page_is_mapped_to_huge_page()
    {
        var model = With(X64, (0x20_0000, 0, M2), (0x4000_0000, 0, G1));
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Map(0x20_0000, 0x1000, K4, R)); // at its start
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Map(0x3f_f000, 0x1000, K4, R)); // its last 4K
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Map(0x4000_0000, 0, M2, R));
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Map(0x7fe0_0000, 0, M2, R));
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Map(0x5555_5000, 0, K4, R));
    }

    [Fact]
    public void Map_over_an_equal_or_smaller_page_is_already_mapped()
    {
        var model = With(X64, (0x1000, 0x1000, K4), (0x20_5000, 0, K4), (0xbfe0_0000, 0, M2), (0x1_3fff_f000, 0, K4));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0x1000, 0x9000, K4, RW));   // same va, other pa
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0, 0, M2, R));              // 4K inside at 0x1000
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0x20_0000, 0, M2, R));      // 4K inside at 0x20_5000
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0xbfe0_0000, 0, M2, R));    // same 2M
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0x8000_0000, 0, G1, R));    // 2M at its end
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0x1_0000_0000, 0, G1, R));  // 4K at its end
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0, 0, G1, R));              // 4Ks inside

        // Neighbours touching either side do not overlap.
        Assert.Equal(ModelResult<ulong>.Ok(0x2000), model.Map(0x2000, 0, K4, R));
        Assert.Equal(ModelResult<ulong>.Ok(0xbfdf_f000), model.Map(0xbfdf_f000, 0, K4, R));
        Assert.Equal(ModelResult<ulong>.Ok(0xc000_0000), model.Map(0xc000_0000, 0, M2, R));
        Assert.Equal(ModelResult<ulong>.Ok(0x40_0000), model.Map(0x40_0000, 0, M2, R));
        Assert.Equal(ModelResult<ulong>.Ok(0x1_4000_0000), model.Map(0x1_4000_0000, 0, G1, R));
    }

    [Fact]
    public void Map_overlap_with_many_mappings()
    {
        // 600 4K pages from 0 to 0x25_7000, so the overlap check of a 2M page has fewer candidate start
        // addresses (512 + 1 + 1) than the model has mappings.
        var model = new ReferenceModel(X64);
        Assert.Equal(ModelResult<bool>.Ok(true), model.MapRegion(0, va => va, 600 * K4, R, allowHuge: false));
        Assert.Equal(ModelResult<ulong>.Ok(0xffff_ffff_ffff_f000), model.Map(0xffff_ffff_ffff_f000, 0, K4, R));
        Assert.Equal(601, model.Mappings.Count);

        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0, 0, M2, R));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0x20_0000, 0, M2, R));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0x25_7000, 0, K4, R));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0xffff_ffff_ffe0_0000, 0, M2, R));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0xffff_ffff_c000_0000, 0, G1, R));
        Assert.Equal(ModelResult<ulong>.Ok(0x25_8000), model.Map(0x25_8000, 0, K4, R));
        Assert.Equal(ModelResult<ulong>.Ok(0x40_0000), model.Map(0x40_0000, 0, M2, R));
        Assert.Equal(ModelResult<ulong>.Ok(0xffff_ffff_ffc0_0000), model.Map(0xffff_ffff_ffc0_0000, 0, M2, R));
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Map(0x40_1000, 0, K4, R));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0x40_0000, 0, M2, R));
    }

    [Fact]
    public void Map_high_half()
    {
        var x86 = new ReferenceModel(X64);
        Assert.Equal(ModelResult<ulong>.Ok(0xffff_8000_0000_0000), x86.Map(0xffff_8000_0000_0000, 0x4000_0000, G1, RW));
        Assert.Equal(ModelResult<ulong>.Ok(0x7fff_ffff_f000), x86.Map(0x7fff_ffff_f000, 0x5000, K4, R));
        Assert.Equal(
            ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x5234_5678, RW, G1)),
            x86.Query(0xffff_8000_1234_5678));
        // Sorted as unsigned numbers: the low half first.
        Assert.Equal([M(0x7fff_ffff_f000, 0x5000, K4), M(0xffff_8000_0000_0000, 0x4000_0000, G1, RW)], x86.Mappings);

        var sv39 = new ReferenceModel(ArchSpec.Sv39);
        Assert.Equal(ModelResult<ulong>.Ok(0xffff_ffc0_0000_0000), sv39.Map(0xffff_ffc0_0000_0000, 0, G1, R));
        AssertFails(ModelError.InvalidVirtAddr, sv39.Map(0xffff_ffbf_ffe0_0000, 0, M2, R));
        AssertFails(ModelError.InvalidVirtAddr, sv39.Map(0x40_0000_0000, 0, K4, R));
        Assert.Equal(ModelResult<ulong>.Ok(0x3f_ffff_f000), sv39.Map(0x3f_ffff_f000, 0, K4, R));
        Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x3fff_ffff, R, G1)), sv39.Query(0xffff_ffc0_3fff_ffff));
    }

    [Fact]
    public void Map_at_the_top_of_the_address_space()
    {
        var model = new ReferenceModel(ArchSpec.Sv48);
        Assert.Equal(ModelResult<ulong>.Ok(0xffff_ffff_ffff_f000), model.Map(0xffff_ffff_ffff_f000, 0xa000, K4, R));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0xffff_ffff_ffe0_0000, 0, M2, R));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.Map(0xffff_ffff_c000_0000, 0, G1, R));
        Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0xafff, R, K4)), model.Query(0xffff_ffff_ffff_ffff));
        Assert.Equal(M(0xffff_ffff_ffff_f000, 0xa000, K4), model.Translate(0xffff_ffff_ffff_ffff));

        var huge = new ReferenceModel(ArchSpec.Sv48);
        Assert.Equal(ModelResult<ulong>.Ok(0xffff_ffff_c000_0000), huge.Map(0xffff_ffff_c000_0000, 0, G1, R));
        AssertFailsUnchanged(huge, ModelError.MappedToHugePage, m => m.Map(0xffff_ffff_ffff_f000, 0, K4, R));
        Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x3fff_ffff, R, G1)), huge.Query(0xffff_ffff_ffff_ffff));
    }

    // ---------------------------------------------------------------- Translate and Query

    [Fact]
    public void Translate_finds_the_mapping_covering_any_byte()
    {
        var model = With(X64, (0x1000, 0, K4), (0x20_0000, 0, M2), (0x4000_0000, 0, G1));
        Assert.Null(model.Translate(0));
        Assert.Null(model.Translate(0xfff));
        Assert.Equal(0x1000UL, model.Translate(0x1000)?.Va);
        Assert.Equal(0x1000UL, model.Translate(0x1fff)?.Va);
        Assert.Null(model.Translate(0x2000));
        Assert.Null(model.Translate(0x1f_ffff));
        Assert.Equal(0x20_0000UL, model.Translate(0x3f_ffff)?.Va);
        Assert.Null(model.Translate(0x40_0000));
        Assert.Equal(0x4000_0000UL, model.Translate(0x7fff_ffff)?.Va);
        Assert.Null(model.Translate(0x8000_0000));
        Assert.Null(model.Translate(0xffff_8000_0000_1000));
        Assert.Null(model.Translate(0x0001_0000_0000_1000)); // non-canonical alias of 0x1000
    }

    [Fact]
    public void Query_checks_in_order_and_needs_no_alignment()
    {
        var model = With(X64, (0x20_0000, 0x80_0000, M2));
        AssertFails(ModelError.InvalidVirtAddr, model.Query(0x0000_8000_0020_0000));
        AssertFails(ModelError.InvalidVirtAddr, model.Query(0xfff0_0000_0020_0000));
        AssertFails(ModelError.NotMapped, model.Query(0x1f_ffff));
        AssertFails(ModelError.NotMapped, model.Query(0x40_0000));
        Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x80_0001, R, M2)), model.Query(0x20_0001));
    }

    // ---------------------------------------------------------------- Unmap

    [Fact]
    public void Unmap_checks_in_order()
    {
        var model = With(X64, (0x20_0000, 0x40_0000, M2));
        AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => m.Unmap(0x0000_8000_0000_0001));
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Unmap(0x20_0800));
        AssertFailsUnchanged(model, ModelError.NotMapped, m => m.Unmap(0x1f_f000));
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Unmap(0x20_1000));
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Unmap(0x3f_f000));

        var borrowed = new ReferenceModel(X64);
        Borrow(borrowed, G512);
        AssertFailsUnchanged(borrowed, ModelError.NotAligned, m => m.Unmap(G512 + 1));
        AssertFailsUnchanged(borrowed, ModelError.BorrowedEntry, m => m.Unmap(G512 + K4)); // not NotMapped
    }

    [Fact]
    public void Unmap_removes_the_mapping_and_returns_pa_and_size()
    {
        var model = With(X64, (0x1000, 0x9000, K4), (0x20_0000, 0x40_0000, M2), (0xffff_8000_4000_0000, 0x8000_0000, G1));
        Assert.Equal(ModelResult<(ulong, ulong)>.Ok((0x40_0000, M2)), model.Unmap(0x20_0000));
        Assert.Equal(ModelResult<(ulong, ulong)>.Ok((0x8000_0000, G1)), model.Unmap(0xffff_8000_4000_0000));
        AssertFails(ModelError.NotMapped, model.Unmap(0x20_0000));
        Assert.Equal([M(0x1000, 0x9000, K4)], model.Mappings);
        Assert.Equal(ModelResult<(ulong, ulong)>.Ok((0x9000, K4)), model.Unmap(0x1000));
        Assert.Empty(model.Mappings);
    }

    // ---------------------------------------------------------------- Protect

    [Fact]
    public void Protect_checks_in_order()
    {
        var model = With(X64, (0x20_0000, 0, M2));
        AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => m.Protect(0x0000_8000_0000_0001, ModelFlags.Execute));
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Protect(0x20_0001, ModelFlags.Execute));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.Protect(0x1000, ModelFlags.Write));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.Protect(0x20_0000, R | BadBit));
        AssertFailsUnchanged(model, ModelError.NotMapped, m => m.Protect(0x1000, RW));
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Protect(0x20_1000, RW));

        var borrowed = new ReferenceModel(X64);
        Borrow(borrowed, 0);
        AssertFailsUnchanged(borrowed, ModelError.InvalidFlags, m => m.Protect(0x1000, ModelFlags.Execute));
        AssertFailsUnchanged(borrowed, ModelError.BorrowedEntry, m => m.Protect(0x1000, RW));
    }

    [Fact]
    public void Protect_sets_effective_flags_and_returns_size()
    {
        var model = With(ArchSpec.Sv39, (0x4000_0000, 0x8000_0000, G1));
        Assert.Equal(ModelResult<ulong>.Ok(G1), model.Protect(0x4000_0000, RW | ModelFlags.Device | ModelFlags.User));
        Assert.Equal([M(0x4000_0000, 0x8000_0000, G1, RW | ModelFlags.User)], model.Mappings);

        var arm = With(ArchSpec.A64, (0x1000, 0x2000, K4));
        Assert.Equal(ModelResult<ulong>.Ok(K4), arm.Protect(0x1000, R | ModelFlags.Device | ModelFlags.Uncached));
        Assert.Equal([M(0x1000, 0x2000, K4, R | ModelFlags.Device)], arm.Mappings);
    }

    // ---------------------------------------------------------------- Remap

    [Fact]
    public void Remap_checks_in_order()
    {
        var model = With(ArchSpec.A64, (0x20_0000, 0, M2)); // P = 48
        AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => m.Remap(0x0000_8000_0000_0001, 0x1, ModelFlags.Execute));
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Remap(0x20_0001, 0x1, ModelFlags.Execute));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.Remap(0x20_0000, 0x1, ModelFlags.Execute));
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Remap(0x20_0000, 0x1_0000_0000_0001, R));  // before InvalidPhysAddr
        AssertFailsUnchanged(model, ModelError.InvalidPhysAddr, m => m.Remap(0x1000, 0x1_0000_0000_0000, R)); // before NotMapped
        AssertFailsUnchanged(model, ModelError.NotMapped, m => m.Remap(0x1000, 0x1000, R));
        AssertFailsUnchanged(model, ModelError.MappedToHugePage, m => m.Remap(0x20_1000, 0x40_0000, R));
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.Remap(0x20_0000, 0x1000, R)); // pa % 2M

        var borrowed = new ReferenceModel(ArchSpec.A64);
        Borrow(borrowed, 0);
        AssertFailsUnchanged(borrowed, ModelError.InvalidPhysAddr, m => m.Remap(0x1000, 0x1_0000_0000_0000, R));
        AssertFailsUnchanged(borrowed, ModelError.BorrowedEntry, m => m.Remap(0x1000, 0x1000, R));
    }

    [Fact]
    public void Remap_keeps_va_and_size_and_takes_pa_and_effective_flags()
    {
        var model = With(X64, (0x20_0000, 0, M2), (0x1000, 0x1000, K4));
        Assert.Equal(ModelResult<ulong>.Ok(M2), model.Remap(0x20_0000, 0xffff_ffe0_0000, RW | ModelFlags.Device | ModelFlags.Uncached));
        Assert.Equal(ModelResult<ulong>.Ok(K4), model.Remap(0x1000, 0xf_ffff_ffff_f000, R)); // the last 4K below 2^52
        Assert.Equal(
            [M(0x1000, 0xf_ffff_ffff_f000, K4), M(0x20_0000, 0xffff_ffe0_0000, M2, RW | ModelFlags.Device)],
            model.Mappings);
    }

    // ---------------------------------------------------------------- region argument checks

    [Fact]
    public void Region_argument_checks_in_order()
    {
        foreach (var op in RegionOps())
        {
            var model = With(X64, (0, 0, K4));
            // 1. va non-canonical beats everything
            AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => op(m, 0x0000_8000_0000_0800, 0x800, ModelFlags.Execute));
            // 2. va or size unaligned beats overflow and bad flags
            AssertFailsUnchanged(model, ModelError.NotAligned, m => op(m, 0x800, K4, ModelFlags.Execute));
            AssertFailsUnchanged(model, ModelError.NotAligned, m => op(m, 0, 0x800, ModelFlags.Execute));
            AssertFailsUnchanged(model, ModelError.NotAligned, m => op(m, 0xffff_ffff_ffff_f000, 0x1800, ModelFlags.Execute));
            // 3. overflow past 2^64 beats the last-byte check and bad flags
            AssertFailsUnchanged(model, ModelError.RangeOverflow, m => op(m, 0xffff_ffff_ffff_f000, 0x2000, ModelFlags.Execute));
            AssertFailsUnchanged(model, ModelError.RangeOverflow, m => op(m, 0xffff_8000_0000_0000, 0x8000_0000_0000_0000, ModelFlags.Execute));
            // 4. last byte non-canonical, or in the other half
            AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => op(m, 0x7fff_ffff_f000, 0x2000, ModelFlags.Execute));
            AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => op(m, 0, 0xffff_8000_0000_1000, ModelFlags.Execute));
            AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => op(m, 0x1000, 0xffff_ffff_ffff_f000, ModelFlags.Execute));
        }
    }

    [Fact]
    public void Region_flags_are_checked_after_range_and_before_size_zero()
    {
        var model = With(X64, (0, 0, K4));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.MapRegion(0x1000, va => va, K4, ModelFlags.Write, true));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.MapRegion(0x1000, va => va, 0, ModelFlags.Execute, true));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.ProtectRegion(0, K4, R | BadBit));
        AssertFailsUnchanged(model, ModelError.InvalidFlags, m => m.ProtectRegion(0x5000, 0, ModelFlags.Write));
        // The flags come after the last-byte check.
        AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => m.MapRegion(0x7fff_ffff_f000, va => va, 0x2000, ModelFlags.Execute, true));
    }

    [Fact]
    public void Region_of_size_zero_succeeds_and_changes_nothing()
    {
        var model = With(X64, (0x20_0000, 0, M2));
        Borrow(model, G512);
        var before = model.Mappings;
        int calls = 0;
        Assert.Equal(ModelResult<bool>.Ok(true), model.MapRegion(0x20_0000, va => { calls++; return va; }, 0, R, true));
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(0x20_1000, 0));
        Assert.Equal(ModelResult<bool>.Ok(true), model.ProtectRegion(0x20_1000, 0, RW));
        Assert.Equal(ModelResult<bool>.Ok(true), model.MapRegion(G512, va => { calls++; return va; }, 0, R, true));
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(G512, 0));
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(0xffff_ffff_ffff_f000, 0));
        Assert.Equal(0, calls);
        Assert.Equal(before, model.Mappings);
    }

    private static IEnumerable<Func<ReferenceModel, ulong, ulong, ModelFlags, ModelResult<bool>>> RegionOps()
    {
        yield return (m, va, size, flags) => m.MapRegion(va, p => p, size, flags, true);
        yield return (m, va, size, _) => m.UnmapRegion(va, size);
        yield return (m, va, size, flags) => m.ProtectRegion(va, size, flags);
        yield return (m, va, size, _) => m.CopyFrom(new ReferenceModel(m.Arch), va, size);
    }

    // ---------------------------------------------------------------- MapRegion

    [Fact]
    public void MapRegion_chooses_the_largest_step_that_fits()
    {
        var model = new ReferenceModel(X64);
        var calls = new List<ulong>();
        var result = model.MapRegion(0, va => { calls.Add(va); return 0x4000_0000 + va; }, G1 + M2 + K4, RW, allowHuge: true);
        Assert.Equal(ModelResult<bool>.Ok(true), result);
        Assert.Equal([0UL, 0x4000_0000, 0x4020_0000], calls);
        Assert.Equal(
            [M(0, 0x4000_0000, G1, RW), M(0x4000_0000, 0x8000_0000, M2, RW), M(0x4020_0000, 0x8020_0000, K4, RW)],
            model.Mappings);
    }

    [Fact]
    public void MapRegion_without_huge_pages_maps_4K_steps()
    {
        var model = new ReferenceModel(X64);
        var calls = new List<ulong>();
        Assert.Equal(ModelResult<bool>.Ok(true), model.MapRegion(0x20_0000, va => { calls.Add(va); return va; }, 0x3000, R, allowHuge: false));
        Assert.Equal([0x20_0000UL, 0x20_1000, 0x20_2000], calls);
        Assert.Equal([M(0x20_0000, 0x20_0000, K4), M(0x20_1000, 0x20_1000, K4), M(0x20_2000, 0x20_2000, K4)], model.Mappings);

        var whole = new ReferenceModel(X64);
        Assert.Equal(ModelResult<bool>.Ok(true), whole.MapRegion(0x40_0000, va => va, M2, R, allowHuge: false));
        Assert.Equal(512, whole.Mappings.Count);
        Assert.All(whole.Mappings, m => Assert.Equal(K4, m.Size));
    }

    [Fact]
    public void MapRegion_step_needs_va_pa_and_rest_to_fit()
    {
        // pa is 4K off a 2M boundary: only 4K steps.
        var offPa = new ReferenceModel(X64);
        Assert.Equal(ModelResult<bool>.Ok(true), offPa.MapRegion(0x20_0000, va => va + 0x1000, M2, R, true));
        Assert.Equal(512, offPa.Mappings.Count);

        // va starts 4K below a 2M boundary: 4K, then 2M, then 4K.
        var offVa = new ReferenceModel(X64);
        var calls = new List<ulong>();
        Assert.Equal(ModelResult<bool>.Ok(true), offVa.MapRegion(0x1f_f000, va => { calls.Add(va); return va; }, M2 + 0x2000, R, true));
        Assert.Equal([0x1f_f000UL, 0x20_0000, 0x40_0000], calls);
        Assert.Equal([M(0x1f_f000, 0x1f_f000, K4), M(0x20_0000, 0x20_0000, M2), M(0x40_0000, 0x40_0000, K4)], offVa.Mappings);

        // 2M aligned but 4K short of 2M: all 4K.
        var shortRest = new ReferenceModel(X64);
        Assert.Equal(ModelResult<bool>.Ok(true), shortRest.MapRegion(0x20_0000, va => va, M2 - K4, R, true));
        Assert.Equal(511, shortRest.Mappings.Count);

        // pa 2M-aligned only: 2M steps inside a 1G-aligned va.
        var twoM = new ReferenceModel(X64);
        Assert.Equal(ModelResult<bool>.Ok(true), twoM.MapRegion(0, va => va + M2, G1, R, true));
        Assert.Equal(512, twoM.Mappings.Count);
        Assert.All(twoM.Mappings, m => Assert.Equal(M2, m.Size));
    }

    [Fact]
    public void MapRegion_unaligned_pa_fails_and_undoes()
    {
        var model = With(X64, (0x10_0000, 0x10_0000, K4));
        var calls = new List<ulong>();
        AssertFailsUnchanged(model, ModelError.NotAligned,
            m => m.MapRegion(0, va => { calls.Add(va); return va == 0x2000 ? 0x1800 : va; }, 0x4000, R, true));
        Assert.Equal([0UL, 0x1000, 0x2000], calls); // stops at the failing step
        Assert.Equal([M(0x10_0000, 0x10_0000, K4)], model.Mappings);
    }

    [Fact]
    public void MapRegion_pa_beyond_width_fails_and_undoes()
    {
        var model = new ReferenceModel(ArchSpec.A64);
        AssertFailsUnchanged(model, ModelError.InvalidPhysAddr, m => m.MapRegion(0, va => va + 0xffff_ffff_e000, 0x3000, R, true));
        Assert.Equal(ModelResult<bool>.Ok(true), model.MapRegion(0, va => va + 0xffff_ffff_e000, 0x2000, R, true));
        Assert.Equal(2, model.Mappings.Count);
    }

    [Fact]
    public void MapRegion_state_errors_undo_the_pages_mapped_so_far()
    {
        // AlreadyMapped at the fourth step; the existing page is untouched.
        var model = With(X64, (0x3000, 0xabc000, K4));
        AssertFailsUnchanged(model, ModelError.AlreadyMapped, m => m.MapRegion(0, va => va, 0x5000, RW, true));

        // MappedToHugePage at the third step.
        var huge = With(X64, (0x20_0000, 0, M2));
        AssertFailsUnchanged(huge, ModelError.MappedToHugePage, m => m.MapRegion(0x1f_e000, va => va + K4, 0x4000, R, true));

        // A 2M step over a 4K page: AlreadyMapped, no fallback to 4K steps.
        var inside = With(X64, (0x20_5000, 0, K4));
        AssertFailsUnchanged(inside, ModelError.AlreadyMapped, m => m.MapRegion(0x20_0000, va => va, M2, R, true));

        // BorrowedEntry at the third step, crossing into root slot 1.
        var borrowed = new ReferenceModel(X64);
        Borrow(borrowed, G512);
        var calls = new List<ulong>();
        AssertFailsUnchanged(borrowed, ModelError.BorrowedEntry,
            m => m.MapRegion(G512 - 0x2000, va => { calls.Add(va); return va; }, 0x4000, R, true));
        Assert.Equal([G512 - 0x2000, G512 - 0x1000, G512], calls); // getPaddr comes before the state checks
    }

    [Fact]
    public void MapRegion_up_to_2_pow_64()
    {
        var model = new ReferenceModel(X64);
        Assert.Equal(ModelResult<bool>.Ok(true), model.MapRegion(0xffff_ffff_ffe0_0000, va => va - 0xffff_ffff_ff00_0000, M2, R, true));
        Assert.Equal([M(0xffff_ffff_ffe0_0000, 0xe0_0000, M2)], model.Mappings);

        var small = new ReferenceModel(X64);
        var calls = new List<ulong>();
        Assert.Equal(ModelResult<bool>.Ok(true), small.MapRegion(0xffff_ffff_ffff_d000, va => { calls.Add(va); return 0x1000; }, 0x3000, R, false));
        Assert.Equal([0xffff_ffff_ffff_d000, 0xffff_ffff_ffff_e000, 0xffff_ffff_ffff_f000], calls);
        Assert.Equal(3, small.Mappings.Count);

        var sv39 = new ReferenceModel(ArchSpec.Sv39);
        Assert.Equal(ModelResult<bool>.Ok(true), sv39.MapRegion(0xffff_ffff_8000_0000, va => va & 0xffff_ffff, 2 * G1, R, true));
        Assert.Equal([M(0xffff_ffff_8000_0000, 0x8000_0000, G1), M(0xffff_ffff_c000_0000, 0xc000_0000, G1)], sv39.Mappings);
    }

    // ---------------------------------------------------------------- UnmapRegion and ProtectRegion scans

    [Fact]
    public void UnmapRegion_removes_mappings_that_tile_the_region()
    {
        var model = With(X64, (0x1f_f000, 0, K4), (0x20_0000, 0, M2), (0x40_0000, 0, K4), (0x40_1000, 0, K4));
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(0x1f_f000, M2 + 0x2000));
        Assert.Equal([M(0x40_1000, 0, K4)], model.Mappings);
    }

    [Fact]
    public void Region_scan_errors_in_address_order()
    {
        foreach (var op in ScanOps())
        {
            // A hole at 0x2000.
            var hole = With(X64, (0, 0, K4), (0x1000, 0, K4), (0x3000, 0, K4));
            AssertFailsUnchanged(hole, ModelError.NotMapped, m => op(m, 0, 0x4000));

            // A hole before a 2M page that crosses the end, and one after a 2M page that crosses the start: the
            // hole wins and nothing is split.
            var huge = With(X64, (0x20_0000, 0, M2));
            AssertFailsUnchanged(huge, ModelError.NotMapped, m => op(m, 0x1f_f000, 0x2000));
            AssertFailsUnchanged(huge, ModelError.NotMapped, m => op(m, 0x3f_f000, 0x2000));

            // A borrowed slot after a 1G page that crosses the start: BorrowedEntry, nothing split.
            var hugeThenBorrowed = With(X64, (G512 - G1, 0, G1));
            Borrow(hugeThenBorrowed, G512);
            AssertFailsUnchanged(hugeThenBorrowed, ModelError.BorrowedEntry, m => op(m, G512 - K4 - M2, M2 + 0x2000));

            // Borrowed slot reached after a mapped page; a hole before it wins.
            var borrowed = With(X64, (G512 - K4, 0, K4));
            Borrow(borrowed, G512);
            AssertFailsUnchanged(borrowed, ModelError.BorrowedEntry, m => op(m, G512 - K4, 0x2000));
            AssertFailsUnchanged(borrowed, ModelError.NotMapped, m => op(m, G512 - 0x2000, 0x3000));

            // A borrowed slot with mappings in it still answers BorrowedEntry, not success.
            var other = With(X64, (0, 0, K4));
            var copier = new ReferenceModel(X64);
            Assert.True(copier.CopyFrom(other, 0, K4).IsOk);
            AssertFailsUnchanged(copier, ModelError.BorrowedEntry, m => op(m, 0, K4));
        }
    }

    // ---------------------------------------------------------------- split of huge pages crossing a region end

    [Fact]
    public void UnmapRegion_of_a_4K_page_inside_a_2M_page_leaves_the_other_511_as_4K_pages()
    {
        var model = With(X64, (0x20_0000, 0x60_0000, M2));
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(0x20_3000, K4));
        var left = model.Mappings;
        Assert.Equal(511, left.Count);
        Assert.All(left, m => Assert.Equal(K4, m.Size));
        Assert.Equal(M(0x20_0000, 0x60_0000, K4), left[0]);
        Assert.Equal(M(0x20_2000, 0x60_2000, K4), left[2]);
        Assert.Equal(M(0x20_4000, 0x60_4000, K4), left[3]); // the hole is at 0x20_3000
        Assert.Equal(M(0x3f_f000, 0x7f_f000, K4), left[510]);
        AssertFails(ModelError.NotMapped, model.Query(0x20_3000));
        Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x60_4000, R, K4)), model.Query(0x20_4000));
    }

    [Fact]
    public void A_2M_aligned_range_inside_a_1G_page_is_changed_as_one_2M_page()
    {
        var model = new ReferenceModel(X64);
        Assert.True(model.Map(G1, 2 * G1, G1, RWX).IsOk);
        Assert.Equal(ModelResult<bool>.Ok(true), model.ProtectRegion(G1 + 3 * M2, M2, R));
        var pages = model.Mappings;
        Assert.Equal(512, pages.Count);
        Assert.All(pages, m => Assert.Equal(M2, m.Size));
        Assert.Equal(M(G1, 2 * G1, M2, RWX), pages[0]);
        Assert.Equal(M(G1 + 3 * M2, 2 * G1 + 3 * M2, M2, R), pages[3]);
        Assert.Equal(M(G1 + 4 * M2, 2 * G1 + 4 * M2, M2, RWX), pages[4]);

        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(G1 + 3 * M2, M2));
        Assert.Equal(511, model.Mappings.Count);
        Assert.DoesNotContain(model.Mappings, m => m.Size != M2);
    }

    [Fact]
    public void Only_the_2M_piece_an_end_cuts_becomes_4K_pages()
    {
        // 1G page at 1G; the region [1G + 2M + 4K, 1G + 6M - 4K) cuts piece 1 at its start and piece 2 at its end.
        var model = new ReferenceModel(X64);
        Assert.True(model.Map(G1, 0, G1, RW).IsOk);
        Assert.Equal(ModelResult<bool>.Ok(true), model.ProtectRegion(G1 + M2 + K4, 2 * M2 - 2 * K4, R));
        var pages = model.Mappings;
        Assert.Equal(510 * 1 + 2 * 512, pages.Count);
        Assert.Equal(M(G1, 0, M2, RW), pages[0]);
        Assert.Equal(M(G1 + M2, M2, K4, RW), pages[1]);                  // piece 1, first 4K page: outside
        Assert.Equal(M(G1 + M2 + K4, M2 + K4, K4, R), pages[2]);         // inside
        Assert.Equal(M(G1 + 3 * M2 - 2 * K4, 3 * M2 - 2 * K4, K4, R), pages[1 + 1024 - 2]); // piece 2, last inside
        Assert.Equal(M(G1 + 3 * M2 - K4, 3 * M2 - K4, K4, RW), pages[1 + 1024 - 1]);        // piece 2, last 4K: outside
        Assert.Equal(M(G1 + 3 * M2, 3 * M2, M2, RW), pages[1 + 1024]);    // piece 3 stays 2M
        Assert.Equal(M(2 * G1 - M2, G1 - M2, M2, RW), pages[^1]);
    }

    [Fact]
    public void Both_ends_inside_one_2M_piece_split_that_piece_once()
    {
        var model = new ReferenceModel(X64);
        Assert.True(model.Map(0, 0, G1, R).IsOk);
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(5 * M2 + 0x10_0000, K4)); // a guard page
        Assert.Equal(511 + 511, model.Mappings.Count);
        Assert.Equal(511, model.Mappings.Count(m => m.Size == M2));
        AssertFails(ModelError.NotMapped, model.Query(5 * M2 + 0x10_0000));
        Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((5 * M2 + 0x10_1000, R, K4)), model.Query(5 * M2 + 0x10_1000));
    }

    [Fact]
    public void Two_huge_pages_each_cut_by_one_end()
    {
        var model = With(X64, (0x20_0000, 0x20_0000, M2), (0x40_0000, 0x80_0000, M2));
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(0x3f_e000, 0x4000));
        Assert.Equal(510 + 510, model.Mappings.Count);
        Assert.Equal(M(0x3f_d000, 0x3f_d000, K4), model.Mappings[509]);
        Assert.Equal(M(0x40_2000, 0x80_2000, K4), model.Mappings[510]);
    }

    [Fact]
    public void A_region_ending_at_2_pow_64_cuts_nothing_at_its_end()
    {
        var model = With(X64, (0xffff_ffff_ffe0_0000, 0, M2));
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(0xffff_ffff_fff0_0000, 0x10_0000));
        Assert.Equal(256, model.Mappings.Count);
        Assert.Equal(M(0xffff_ffff_ffef_f000, 0xf_f000, K4), model.Mappings[^1]);

        var sv39 = new ReferenceModel(ArchSpec.Sv39);
        Assert.True(sv39.Map(0xffff_ffff_c000_0000, 0, G1, R).IsOk); // a root-level 1G page on Sv39
        Assert.Equal(ModelResult<bool>.Ok(true), sv39.ProtectRegion(0xffff_ffff_ffe0_0000, M2, RW));
        Assert.Equal(512, sv39.Mappings.Count);
        Assert.Equal(M(0xffff_ffff_ffe0_0000, G1 - M2, M2, RW), sv39.Mappings[^1]);
    }

    [Fact]
    public void A_region_of_size_0_inside_a_huge_page_changes_nothing()
    {
        foreach (var op in ScanOps())
        {
            var model = With(X64, (0x20_0000, 0, M2));
            Assert.Equal(ModelResult<bool>.Ok(true), op(model, 0x20_1000, 0));
            Assert.Equal([M(0x20_0000, 0, M2)], model.Mappings);
        }
    }

    private static IEnumerable<Func<ReferenceModel, ulong, ulong, ModelResult<bool>>> ScanOps()
    {
        yield return (m, va, size) => m.UnmapRegion(va, size);
        yield return (m, va, size) => m.ProtectRegion(va, size, RW);
    }

    [Fact]
    public void UnmapRegion_up_to_2_pow_64()
    {
        var model = With(X64, (0xffff_ffff_ffe0_0000, 0, M2), (0xffff_ffff_ffdf_f000, 0, K4));
        Assert.Equal(ModelResult<bool>.Ok(true), model.UnmapRegion(0xffff_ffff_ffe0_0000, M2));
        Assert.Equal([M(0xffff_ffff_ffdf_f000, 0, K4)], model.Mappings);

        var sv39 = With(ArchSpec.Sv39, (0xffff_ffc0_0000_0000, 0, G1), (0xffff_ffff_ffff_f000, 0, K4));
        AssertFailsUnchanged(sv39, ModelError.NotMapped, m => m.UnmapRegion(0xffff_ffc0_0000_0000, 0x3f_c000_0000));
        Assert.Equal(ModelResult<bool>.Ok(true), sv39.UnmapRegion(0xffff_ffc0_0000_0000, G1));
        Assert.Equal(ModelResult<bool>.Ok(true), sv39.UnmapRegion(0xffff_ffff_ffff_f000, K4));
        Assert.Empty(sv39.Mappings);
    }

    [Fact]
    public void ProtectRegion_sets_effective_flags_on_every_mapping()
    {
        var model = With(ArchSpec.Sv48, (0x1000, 0x1000, K4), (0x20_0000, 0, M2), (0x40_0000, 0, K4));
        // [0x1000, 0x20_1000): 0x2000 is a hole, found before the 2M page that crosses the end.
        AssertFailsUnchanged(model, ModelError.NotMapped, m => m.ProtectRegion(0x1000, 0x20_0000, RWX));

        Assert.Equal(ModelResult<bool>.Ok(true), model.ProtectRegion(0x20_0000, M2 + K4, RWX | ModelFlags.Uncached));
        Assert.Equal([M(0x1000, 0x1000, K4), M(0x20_0000, 0, M2, RWX), M(0x40_0000, 0, K4, RWX)], model.Mappings);

        var loong = With(ArchSpec.La64, (0, 0, K4));
        Assert.Equal(ModelResult<bool>.Ok(true), loong.ProtectRegion(0, K4, R | ModelFlags.Device | ModelFlags.Uncached | ModelFlags.User));
        Assert.Equal([M(0, 0, K4, R | ModelFlags.Device | ModelFlags.User)], loong.Mappings);
    }

    // ---------------------------------------------------------------- CopyFrom

    [Fact]
    public void CopyFrom_checks_in_order()
    {
        var model = new ReferenceModel(X64);
        AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => m.CopyFrom(m, 0x0000_8000_0000_0000, 0x800));
        AssertFailsUnchanged(model, ModelError.NotAligned, m => m.CopyFrom(m, 0, 0x800));
        AssertFailsUnchanged(model, ModelError.RangeOverflow, m => m.CopyFrom(m, 0xffff_ffff_ffff_f000, 0x2000));
        AssertFailsUnchanged(model, ModelError.InvalidVirtAddr, m => m.CopyFrom(m, 0x7fff_ffff_f000, 0x2000));
        AssertFailsUnchanged(model, ModelError.IncompatibleTable, m => m.CopyFrom(m, 0, K4));
        AssertFailsUnchanged(model, ModelError.IncompatibleTable, m => m.CopyFrom(m, 0, 0)); // before size == 0
        AssertFailsUnchanged(model, ModelError.IncompatibleTable, m => m.CopyFrom(new ReferenceModel(ArchSpec.Sv48), 0, K4));
        Assert.Equal(ModelResult<bool>.Ok(true), model.CopyFrom(new ReferenceModel(X64), 0, 0));
        Assert.Empty(model.BorrowedSlots);
    }

    [Fact]
    public void CopyFrom_takes_whole_root_slots()
    {
        var other = With(X64, (0x1000, 0xa000, K4), (G512 - M2, 0, M2), (G512, 0xb000, K4));
        var model = With(X64, (0x5000, 0xc000, K4), (2 * G512, 0xd000, K4));

        // A 4K range in slot 0 copies all of slot 0, and only slot 0.
        Assert.Equal(ModelResult<bool>.Ok(true), model.CopyFrom(other, 0x2000, K4));
        Assert.Equal([M(0x1000, 0xa000, K4), M(G512 - M2, 0, M2), M(2 * G512, 0xd000, K4)], model.Mappings);
        Assert.Equal([0], Slots(model));

        // Reads go through, changes do not.
        Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0xa123, R, K4)), model.Query(0x1123));
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.Unmap(0x1000));
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.Protect(0x1000, RW));
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.Remap(0x1000, 0x2000, R));
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.Map(0x5000, 0, K4, R));
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.MapRegion(0x5000, va => va, K4, R, true));
        Assert.Equal(ModelResult<ulong>.Ok(G512 + K4), model.Map(G512 + K4, 0, K4, R));

        // Two slots: the range crosses from slot 0 into slot 1. Slot 1's own page is dropped.
        var both = With(X64, (G512 + K4, 0, K4));
        Assert.Equal(ModelResult<bool>.Ok(true), both.CopyFrom(other, G512 - K4, 0x2000));
        Assert.Equal([M(0x1000, 0xa000, K4), M(G512 - M2, 0, M2), M(G512, 0xb000, K4)], both.Mappings);
        Assert.Equal([0, 1], Slots(both));

        // The source is unchanged.
        Assert.Equal([M(0x1000, 0xa000, K4), M(G512 - M2, 0, M2), M(G512, 0xb000, K4)], other.Mappings);
        Assert.Empty(other.BorrowedSlots);
    }

    [Fact]
    public void CopyFrom_again_replaces_a_borrowed_slot()
    {
        var first = With(X64, (0x1000, 0x1000, K4));
        var second = With(X64, (0x20_0000, 0x20_0000, M2));
        var model = new ReferenceModel(X64);
        Assert.True(model.CopyFrom(first, 0, K4).IsOk);
        Assert.True(model.CopyFrom(second, 0, K4).IsOk);
        Assert.Equal([M(0x20_0000, 0x20_0000, M2)], model.Mappings);
        Assert.Equal([0], Slots(model));

        // Copying from a model that itself borrowed: what it shows is what is copied.
        var third = new ReferenceModel(X64);
        Assert.True(third.CopyFrom(model, 0x1000, K4).IsOk);
        Assert.Equal([M(0x20_0000, 0x20_0000, M2)], third.Mappings);
    }

    [Fact]
    public void CopyFrom_sv39_slots_are_1G_and_high_half_slots_work()
    {
        var other = With(ArchSpec.Sv39, (G1, 0, G1), (2 * G1 + M2, 0, M2), (0xffff_ffff_c000_0000, G1, G1));
        var model = new ReferenceModel(ArchSpec.Sv39);
        Assert.Equal(ModelResult<bool>.Ok(true), model.CopyFrom(other, G1 + 0x1234_5000, K4));
        Assert.Equal([M(G1, 0, G1)], model.Mappings);
        Assert.Equal([1], Slots(model));
        Assert.Equal(ModelResult<ulong>.Ok(2 * G1), model.Map(2 * G1, 0, M2, R)); // slot 2 is free
        AssertFailsUnchanged(model, ModelError.BorrowedEntry, m => m.UnmapRegion(G1, G1));

        // The last slot, through the end of the address space.
        Assert.Equal(ModelResult<bool>.Ok(true), model.CopyFrom(other, 0xffff_ffff_c000_0000, G1));
        Assert.Equal([1, 511], Slots(model));
        Assert.Equal(ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x7fff_ffff, R, G1)), model.Query(0xffff_ffff_ffff_ffff));

        var x86 = new ReferenceModel(X64);
        Assert.Equal(ModelResult<bool>.Ok(true), x86.CopyFrom(new ReferenceModel(X64), 0xffff_8000_0000_0000, 2 * G512));
        Assert.Equal([256, 257], Slots(x86));
        Assert.Equal(ModelResult<bool>.Ok(true), x86.CopyFrom(new ReferenceModel(X64), 0xffff_ff80_0000_0000, G512));
        Assert.Equal([256, 257, 511], Slots(x86));
    }

    // ---------------------------------------------------------------- Clone and printing

    [Fact]
    public void Clone_is_independent()
    {
        var model = With(X64, (0x1000, 0, K4));
        Borrow(model, G512);
        var copy = model.Clone();
        Assert.Same(model.Arch, copy.Arch);
        Assert.Equal(model.Mappings, copy.Mappings);
        Assert.Equal([1], Slots(copy));

        Assert.True(copy.Map(0x2000, 0, K4, R).IsOk);
        Assert.True(model.Unmap(0x1000).IsOk);
        Borrow(model, 2 * G512);
        Assert.Equal([M(0x1000, 0, K4), M(0x2000, 0, K4)], copy.Mappings);
        Assert.Empty(model.Mappings);
        Assert.Equal([1], Slots(copy));
    }

    [Fact]
    public void Results_and_mappings_print_in_hex()
    {
        Assert.Equal("Ok(0x1000)", ModelResult<ulong>.Ok(0x1000).ToString());
        Assert.Equal("Err(NotMapped)", ModelResult<ulong>.Fail(ModelError.NotMapped).ToString());
        Assert.Equal("Ok((0xabc000, 0x200000))", ModelResult<(ulong, ulong)>.Ok((0xabc000, M2)).ToString());
        Assert.Equal("Ok((0x1000, Read|Write, 0x1000))", ModelResult<(ulong, ModelFlags, ulong)>.Ok((0x1000, RW, K4)).ToString());
        Assert.Equal("Ok(True)", ModelResult<bool>.Ok(true).ToString());
        Assert.Equal(
            "ModelMapping { Va = 0xffff800000000000, Pa = 0x40000000, Size = 0x40000000, Flags = Read|Execute }",
            new ModelMapping(0xffff_8000_0000_0000, G1, G1, ModelFlags.Read | ModelFlags.Execute).ToString());
        Assert.Equal(ModelResult<ulong>.Fail(ModelError.NotMapped), new ModelResult<ulong>(ModelError.NotMapped, 0));
        Assert.True(ModelResult<bool>.Ok(false).IsOk);
        Assert.False(ModelResult<bool>.Fail(ModelError.NoMemory).IsOk);
    }
}
