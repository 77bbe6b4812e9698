using System.Diagnostics;

namespace PageTableMultiarch.Properties.Report;

/// <summary>Headless Chromium (Debian's <c>chromium</c> package): a screenshot and the parsed DOM of a local page.</summary>
public static class Chromium
{
    public const string Install = "install it (Debian 12): sudo apt-get install -y chromium  (.ci/run does this when it is missing)";

    /// <summary>The browser's path, or an exception that says how to install it (on a developer machine and under CI=true alike).</summary>
    public static string Find()
    {
        foreach (string name in new[] { "chromium", "chromium-browser", "google-chrome" })
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                string path = Path.Combine(dir, name);
                if (File.Exists(path)) return path;
            }
        throw new InvalidOperationException($"The report rendering test needs headless Chromium, which is not on PATH; {Install}.");
    }

    /// <summary>Renders <paramref name="html"/> at the given window size; returns the screenshot and the DOM after parsing.</summary>
    public static (Png Screenshot, string Dom) Render(string html, int width, int height)
    {
        string browser = Find();
        string png = Path.Combine(Path.GetDirectoryName(html)!, "screenshot.png");
        string uri = new Uri(Path.GetFullPath(html)).AbsoluteUri;
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", $"--window-size={width},{height}"];
        Run(browser, [.. common, $"--screenshot={png}", uri]);
        string dom = Run(browser, [.. common, "--dump-dom", uri]);
        return (Png.Read(File.ReadAllBytes(png)), dom);
    }

    private static string Run(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"{file} did not finish in 120 s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} exited with {p.ExitCode}: {stderr.Result}");
        return stdout;
    }
}
