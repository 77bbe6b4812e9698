using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace PageTableMultiarch.Benchmarks;

/// <summary>
/// The memory floor of mapping 1 GiB of 4K pages, measured in the same run as the region benchmarks: zero 512 frames
/// (2 MiB, one <c>memset</c>) and write 262,144 entries through a pointer, one after the other — the memory traffic alone,
/// with no table logic. Time per page, like the 4K region benchmarks; the ratio table divides every figure by it.
/// </summary>
[InvocationCount(1)]
[BenchmarkCategory("Region")]
public unsafe class FloorBenchmarks
{
    private const int Frames = 512;
    private ulong* _memory;

    [GlobalSetup]
    public void Setup()
    {
        _memory = (ulong*)NativeMemory.AlignedAlloc(Frames * (nuint)FrameArena.FrameSize, FrameArena.FrameSize);
        NativeMemory.Fill(_memory, Frames * (nuint)FrameArena.FrameSize, 0xff); // touched: no page fault is timed
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_memory);

    [IterationCleanup]
    public void Check()
    {
        ulong last = _memory[Fixture.PagesPerGiB - 1];
        if (last != ((Fixture.RegionPa + Fixture.OneGiB - Fixture.Page) | 3)) throw new InvalidOperationException($"last entry 0x{last:x}");
    }

    [Benchmark(OperationsPerInvoke = Fixture.PagesPerGiB), BenchmarkCategory("Memory floor: zero 512 frames, write 262,144 entries")]
    public void Floor_Memory()
    {
        ulong* entries = _memory;
        NativeMemory.Clear(entries, Frames * (nuint)FrameArena.FrameSize);
        ulong entry = Fixture.RegionPa | 3;
        for (int i = 0; i < Fixture.PagesPerGiB; i++, entry += Fixture.Page) entries[i] = entry;
    }
}
