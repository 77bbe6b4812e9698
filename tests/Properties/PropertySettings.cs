using FsCheck;
using FsCheck.Xunit;

namespace PageTableMultiarch.Properties;

/// <summary>
/// The one place case counts come from, so CI, local runs and mutation runs each choose theirs:
/// <list type="bullet">
/// <item><c>FSCHECK_MAX_TEST</c> — sequences per property (default 60).</item>
/// <item><c>FSCHECK_END_SIZE</c> — the longest sequence (default 40 operations).</item>
/// <item><c>FSCHECK_REPLAY</c> — <c>seed,gamma</c> or <c>seed,gamma,size</c> from a failure report, to replay it.</item>
/// </list>
/// </summary>
public static class PropertySettings
{
    public static int MaxTest => Read("FSCHECK_MAX_TEST", 60);

    public static int EndSize => Read("FSCHECK_END_SIZE", 40);

    public static string? ReplayText => Environment.GetEnvironmentVariable("FSCHECK_REPLAY") is { Length: > 0 } s ? s : null;

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    /// <summary>The FsCheck configuration for <see cref="FsCheck.Check.One{T}(Config, T)"/> runs.</summary>
    public static Config Config
    {
        get
        {
            var config = Config.QuickThrowOnFailure.WithMaxTest(MaxTest).WithEndSize(EndSize).WithQuietOnSuccess(true);
            if (ReplayText is { } replay)
            {
                ulong[] parts = replay.Trim('(', ')', ' ').Split(',').Select(p => ulong.Parse(p.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                config = parts.Length == 3
                    ? config.WithReplay(parts[0], parts[1], (int)parts[2])
                    : config.WithReplay(parts[0], parts[1]);
            }
            return config;
        }
    }
}

/// <summary>Applies <see cref="PropertySettings"/> to every <c>[Property]</c> in this assembly.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class EnvironmentPropertiesAttribute : PropertiesAttribute
{
    public EnvironmentPropertiesAttribute()
    {
        MaxTest = PropertySettings.MaxTest;
        EndSize = PropertySettings.EndSize;
        QuietOnSuccess = true;
        if (PropertySettings.ReplayText is { } replay) Replay = replay;
    }
}
