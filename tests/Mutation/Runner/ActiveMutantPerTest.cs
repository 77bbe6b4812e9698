using System.Buffers.Binary;
using System.Reflection;
using Xunit.v3;

[assembly: PageTableMultiarch.Properties.ActiveMutantPerTest]

namespace PageTableMultiarch.Properties;

/// <summary>
/// Reads Stryker's active mutant once per test instead of at every mutation point.
/// </summary>
/// <remarks>
/// <para>
/// Stryker compiles every mutant into <c>src/Impl</c> at once, each behind a check <c>MutantControl.IsActive(id)</c>
/// (a class it adds to the mutated assembly). With the "mtp" runner the test server stays alive from one mutant to the
/// next, and <c>IsActive</c> reads the active mutant's id from a memory-mapped file (<c>STRYKER_MUTANT_FILE</c>) on every
/// call: a checked read through a <c>MemoryMappedViewAccessor</c>, tens of nanoseconds. The table code passes hundreds of
/// mutation points per page, so a test that runs in milliseconds in the build <c>dotnet test</c> uses ran 50 times slower
/// in the mutated build (measured: the whole runner with no mutant active, 11 s unmutated, over 600 s mutated). Stryker
/// gives each mutant the time its tests took in its first run (which reads no file) times 1.5 plus
/// <c>additional-timeout</c>, so a mutant that no test failed within that budget ended as a timeout, counted as killed.
/// </para>
/// <para>
/// Before each test this attribute reads the id from the same file once, stores it in <c>MutantControl.ActiveMutant</c>,
/// and tells <c>MutantControl</c> that it has no file to read (its VSTest mode, where the id is a field): <c>IsActive</c>
/// is then a comparison with that field. The mutant under test is the same; only where its id is read changes. Stryker
/// writes the file before it asks the server to run a mutant's tests, and runs one mutant at a time per server, so the
/// id read at the start of a test is the one that test belongs to. It does nothing while Stryker records coverage
/// (<c>MutantControl.CaptureCoverage</c>), outside a Stryker run (no <c>STRYKER_MUTANT_FILE</c>), or if a later Stryker
/// version renames the fields it sets (then every mutation point reads the file again, slower but just as correct).
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class ActiveMutantPerTestAttribute : BeforeAfterTestAttribute
{
    private const BindingFlags Statics = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly string? MutantFile = Environment.GetEnvironmentVariable("STRYKER_MUTANT_FILE");
    // Stryker puts the class in a namespace of its own per run ("Stryker" and a random suffix).
    private static readonly Type? Control = Array.Find(typeof(PageTable64<,,>).Assembly.GetTypes(), t => t.Name == "MutantControl");
    private static readonly FieldInfo? CaptureCoverage = Control?.GetField("CaptureCoverage", Statics);
    private static readonly FieldInfo? ActiveMutant = Control?.GetField("ActiveMutant", Statics);
    private static readonly FieldInfo? FilePath = Control?.GetField("_cachedMutantFilePath", Statics);
    private static readonly FieldInfo? FilePathRead = Control?.GetField("_mutantFilePathCached", Statics);

    /// <inheritdoc />
    public override void Before(MethodInfo methodUnderTest, IXunitTest test)
    {
        if (string.IsNullOrEmpty(MutantFile) || CaptureCoverage is null || ActiveMutant is null || FilePath is null || FilePathRead is null)
            return;
        if (CaptureCoverage.GetValue(null) is true) return;
        Span<byte> id = stackalloc byte[sizeof(int)];
        using (var stream = new FileStream(MutantFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            stream.ReadExactly(id);
        ActiveMutant.SetValue(null, BinaryPrimitives.ReadInt32LittleEndian(id));
        FilePath.SetValue(null, string.Empty);
        FilePathRead.SetValue(null, true);
    }
}
