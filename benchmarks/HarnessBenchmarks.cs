using BenchmarkDotNet.Attributes;
using FsCheck.Fluent;
using PageTableModel;
using PageTableMultiarch.Harness;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// Throughput of the equivalence check itself: generated sequences (made in the setup, as the properties generate
/// them) run through <see cref="Equivalence.Run"/>, which applies every operation to Impl and the model and compares
/// results, the whole mapping state and frame accounting after each step. Time per checked operation; the
/// <c>Model</c> variant applies the same operations to the model alone, the floor any checker pays.
/// </summary>
[BenchmarkCategory("Harness")]
public class HarnessBenchmarks
{
    private const int SequencesPerSize = 40;
    private const int MaxLength = 40;

    private OpSequence[] _sequences = null!;

    [Params(TableKind.X64, TableKind.Sv39)]
    public TableKind Kind { get; set; }

    /// <summary>The number of operations one invocation checks (the benchmark's <c>OperationsPerInvoke</c>).</summary>
    public const int OpsPerInvoke = 3 * SequencesPerSize * MaxLength;

    [GlobalSetup]
    public void Setup()
    {
        // Sequences of exactly MaxLength operations, so that the operation count per invocation is fixed.
        var list = new List<OpSequence>();
        foreach (var size in Tables.PageSizes)
        {
            var samples = Generators.SequenceGen(Kind, size, null).Sample(MaxLength * 4, SequencesPerSize * 8);
            list.AddRange(samples.Where(s => s.Ops.Length >= MaxLength).Take(SequencesPerSize)
                .Select(s => new OpSequence(s.Table, s.Ops[..MaxLength])));
        }
        if (list.Count != 3 * SequencesPerSize) throw new InvalidOperationException($"only {list.Count} long sequences generated");
        _sequences = [.. list];
    }

    [Benchmark(OperationsPerInvoke = OpsPerInvoke)]
    public long Harness_Checked()
    {
        long ops = 0;
        foreach (var seq in _sequences) ops += Equivalence.Run(seq.Table, seq.Ops).Ops;
        return ops == OpsPerInvoke ? ops : throw new InvalidOperationException($"{ops} ops checked, expected {OpsPerInvoke}");
    }

    [Benchmark(OperationsPerInvoke = OpsPerInvoke, Baseline = true)]
    public int Harness_Model()
    {
        int applied = 0;
        foreach (var seq in _sequences)
        {
            var model = new ReferenceModel(Tables.ModelArch(seq.Table));
            var peer = new ReferenceModel(Tables.ModelArch(seq.Table));
            foreach (var op in seq.Ops)
            {
                ModelSide.Apply(model, op, peer);
                applied++;
            }
        }
        return applied;
    }
}
