namespace PageTableMultiarch.Properties.EntryBits;

/// <summary>
/// How the entry-format contract theories (every flag set x every page size, 96 or 24 rows each) are listed. `dotnet test`
/// lists one test per row. The build for Stryker (tests/Mutation/Runner, which defines MUTATION_RUNNER) lists one
/// test per theory that runs all its rows: Stryker's runner records coverage by running each listed test on its own,
/// which costs about a third of a second per test, and these rows would be 2,000 of them. Every row still runs, and
/// a failing row is still named in the failure.
/// </summary>
internal static class TheoryRows
{
#if MUTATION_RUNNER
    public const bool OneTestPerTheory = true;
#else
    public const bool OneTestPerTheory = false;
#endif
}
