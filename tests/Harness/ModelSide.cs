using PageTableModel;

namespace PageTableMultiarch.Harness;

/// <summary>Runs operations on the reference model and states its results in the harness's comparable form.</summary>
public static class ModelSide
{
    public static Outcome Apply(ReferenceModel model, PageOp op, ReferenceModel peer)
    {
        switch (op)
        {
            case MapOp m:
                return Plain(model.Map(m.Va, m.Pa, (ulong)m.Size, Tables.ToModel(m.Flags)));
            case UnmapOp u:
            {
                var r = model.Unmap(u.Va);
                return r.Error is { } e ? Outcome.Fail(e.ToString()) : new Outcome(null, r.Value.Pa, r.Value.Size);
            }
            case QueryOp q:
            {
                var r = model.Query(q.Va);
                return r.Error is { } e ? Outcome.Fail(e.ToString()) : new Outcome(null, r.Value.Pa, r.Value.Size, Tables.FlagText(r.Value.Flags));
            }
            case ProtectOp p:
                return Sized(model.Protect(p.Va, Tables.ToModel(p.Flags)));
            case RemapOp rm:
                return Sized(model.Remap(rm.Va, rm.Pa, Tables.ToModel(rm.Flags)));
            case MapRegionOp mr:
                return Plain(model.MapRegion(mr.Va, mr.PaddrOf, mr.Size, Tables.ToModel(mr.Flags), mr.AllowHuge));
            case UnmapRegionOp ur:
                return Plain(model.UnmapRegion(ur.Va, ur.Size));
            case ProtectRegionOp pr:
                return Plain(model.ProtectRegion(pr.Va, pr.Size, Tables.ToModel(pr.Flags)));
            case CopyFromOp c:
                // The model has no arenas: a table from another arena is as incompatible as the table itself.
                return Plain(model.CopyFrom(c.Source == CopySource.Peer ? peer : model, c.Start, c.Size));
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown operation.");
        }
    }

    private static Outcome Plain<T>(ModelResult<T> r) => r.Error is { } e ? Outcome.Fail(e.ToString()) : Outcome.Ok;

    private static Outcome Sized(ModelResult<ulong> r) => r.Error is { } e ? Outcome.Fail(e.ToString()) : new Outcome(null, 0, r.Value);

    /// <summary>
    /// Runs a sequence on the model alone (with the peer of <see cref="Equivalence.PeerSetup"/>) and counts its results:
    /// what Impl gives too wherever the equivalence properties pass. Coverage checks use it, as it is far cheaper.
    /// </summary>
    public static RunStats Outcomes(TableKind kind, IReadOnlyList<PageOp> ops)
    {
        var stats = new RunStats { Sequences = 1 };
        var model = new ReferenceModel(Tables.ModelArch(kind));
        var peer = new ReferenceModel(Tables.ModelArch(kind));
        foreach (var op in Equivalence.PeerSetup(kind)) Apply(peer, op, peer);
        foreach (var op in ops)
        {
            var splits = Coverage.SplitsOf(model, op);
            var before = model.Translate(op.Address);
            stats.Add(kind, op, Apply(model, op, peer), before, splits);
        }
        return stats;
    }

    public static List<Leaf> Leaves(ReferenceModel model) =>
        model.Mappings.Select(m => new Leaf(m.Va, m.Pa, m.Size, m.Flags)).ToList();
}
