using System.Globalization;
using System.Text;

namespace PageTableMultiarch.Harness;

/// <summary>The operations a generated sequence is made of.</summary>
public enum OpKind { Map, Unmap, Query, Protect, Remap, MapRegion, UnmapRegion, ProtectRegion, CopyFrom }

/// <summary>
/// One step of a generated sequence. Each record prints itself as the C# expression that builds it, so a
/// shrunk counterexample pastes straight into a regression test.
/// </summary>
public abstract record PageOp
{
    public abstract OpKind Kind { get; }

    /// <summary>The virtual address the operation starts at (its <c>va</c>, or <c>start</c> for CopyFrom).</summary>
    public abstract ulong Address { get; }

    public sealed override string ToString() => ToCSharp();

    public abstract string ToCSharp();

    internal static string Hex(ulong v) => v < 10 ? v.ToString(CultureInfo.InvariantCulture) : "0x" + GroupHex(v);

    private static string GroupHex(ulong v)
    {
        string s = v.ToString("x", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (i > 0 && (s.Length - i) % 4 == 0) sb.Append('_');
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    internal static string FlagsCode(MappingFlags f)
    {
        if (f == MappingFlags.None) return "MappingFlags.None";
        if ((f & ~MappingFlags.All) != 0) return $"(MappingFlags)0x{(byte)f:x2}";
        var parts = new List<string>();
        foreach (MappingFlags one in new[] { MappingFlags.Read, MappingFlags.Write, MappingFlags.Execute, MappingFlags.User, MappingFlags.Device, MappingFlags.Uncached })
            if ((f & one) != 0) parts.Add("MappingFlags." + one);
        return string.Join(" | ", parts);
    }

    internal static string Bool(bool b) => b ? "true" : "false";
}

public sealed record MapOp(ulong Va, ulong Pa, PageSize Size, MappingFlags Flags) : PageOp
{
    public override OpKind Kind => OpKind.Map;
    public override ulong Address => Va;
    public override string ToCSharp() => $"new MapOp({Hex(Va)}, {Hex(Pa)}, PageSize.{Size}, {FlagsCode(Flags)})";
}

public sealed record UnmapOp(ulong Va) : PageOp
{
    public override OpKind Kind => OpKind.Unmap;
    public override ulong Address => Va;
    public override string ToCSharp() => $"new UnmapOp({Hex(Va)})";
}

public sealed record QueryOp(ulong Va) : PageOp
{
    public override OpKind Kind => OpKind.Query;
    public override ulong Address => Va;
    public override string ToCSharp() => $"new QueryOp({Hex(Va)})";
}

public sealed record ProtectOp(ulong Va, MappingFlags Flags) : PageOp
{
    public override OpKind Kind => OpKind.Protect;
    public override ulong Address => Va;
    public override string ToCSharp() => $"new ProtectOp({Hex(Va)}, {FlagsCode(Flags)})";
}

public sealed record RemapOp(ulong Va, ulong Pa, MappingFlags Flags) : PageOp
{
    public override OpKind Kind => OpKind.Remap;
    public override ulong Address => Va;
    public override string ToCSharp() => $"new RemapOp({Hex(Va)}, {Hex(Pa)}, {FlagsCode(Flags)})";
}

/// <summary>
/// Maps a region; page <c>cur</c> goes to <c>PaBase + ((cur - Va) ^ Scramble)</c> (wrapping). With
/// <see cref="Contiguous"/> (and <c>Scramble == 0</c>) Impl's contiguous overload is used, otherwise the callback.
/// </summary>
public sealed record MapRegionOp(ulong Va, ulong PaBase, ulong Size, MappingFlags Flags, bool AllowHuge, bool FlushByPage, ulong Scramble, bool Contiguous) : PageOp
{
    public override OpKind Kind => OpKind.MapRegion;
    public override ulong Address => Va;

    public ulong PaddrOf(ulong va) => unchecked(PaBase + ((va - Va) ^ Scramble));

    public override string ToCSharp() =>
        $"new MapRegionOp({Hex(Va)}, {Hex(PaBase)}, {Hex(Size)}, {FlagsCode(Flags)}, AllowHuge: {Bool(AllowHuge)}, FlushByPage: {Bool(FlushByPage)}, Scramble: {Hex(Scramble)}, Contiguous: {Bool(Contiguous)})";
}

public sealed record UnmapRegionOp(ulong Va, ulong Size, bool FlushByPage) : PageOp
{
    public override OpKind Kind => OpKind.UnmapRegion;
    public override ulong Address => Va;
    public override string ToCSharp() => $"new UnmapRegionOp({Hex(Va)}, {Hex(Size)}, FlushByPage: {Bool(FlushByPage)})";
}

public sealed record ProtectRegionOp(ulong Va, ulong Size, MappingFlags Flags, bool FlushByPage) : PageOp
{
    public override OpKind Kind => OpKind.ProtectRegion;
    public override ulong Address => Va;
    public override string ToCSharp() => $"new ProtectRegionOp({Hex(Va)}, {Hex(Size)}, {FlagsCode(Flags)}, FlushByPage: {Bool(FlushByPage)})";
}

/// <summary>Where <see cref="CopyFromOp"/> copies from: the prepared peer table, the table itself, or a table in another arena.</summary>
public enum CopySource { Peer, Self, Foreign }

public sealed record CopyFromOp(ulong Start, ulong Size, CopySource Source) : PageOp
{
    public override OpKind Kind => OpKind.CopyFrom;
    public override ulong Address => Start;
    public override string ToCSharp() => $"new CopyFromOp({Hex(Start)}, {Hex(Size)}, CopySource.{Source})";
}

/// <summary>
/// A generated sequence for one table type. Its <see cref="ToString"/> is a paste-ready xunit regression test,
/// which is what FsCheck prints for a shrunk counterexample.
/// </summary>
public sealed record OpSequence(TableKind Table, PageOp[] Ops)
{
    /// <summary>
    /// The pasted test's name: table, length and a hash of the steps (FNV-1a of their C# text), so two different
    /// counterexamples never collide in <c>Regressions.cs</c>, and the same one always gets the same name.
    /// </summary>
    public string TestName
    {
        get
        {
            uint hash = 2166136261;
            foreach (var op in Ops)
                foreach (char ch in op.ToCSharp() + ";")
                    hash = (hash ^ ch) * 16777619;
            return $"Regression_{Table}_{Ops.Length}ops_{hash:x8}";
        }
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine("    // Paste into tests/Properties/Regressions.cs:");
        sb.AppendLine("    [Fact]");
        sb.AppendLine($"    public void {TestName}() => Replay.Run(TableKind.{Table},");
        for (int i = 0; i < Ops.Length; i++)
            sb.AppendLine($"        {Ops[i].ToCSharp()}{(i + 1 < Ops.Length ? "," : ");")}");
        if (Ops.Length == 0) sb.AppendLine("        );");
        return sb.ToString();
    }
}
