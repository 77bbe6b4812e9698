using System.Diagnostics;
using System.Text;

namespace PageTableMultiarch.Hardware;

/// <summary>Finds the tools, builds a checker kernel with make (cached by make's timestamps) and boots QEMU under a timeout.</summary>
public static class Qemu
{
    public const string InstallHint =
        "install the toolchain and QEMU (Debian 12): sudo apt-get install -y clang-19 lld-19 make qemu-system-misc qemu-system-arm qemu-system-x86 " +
        "(.ci/run does this; see docs/hardware-checks.md)";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly object BuildLock = new();

    /// <summary>The repository root: the folder holding Verify.sln above the test assembly.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Verify.sln"))) return dir.FullName;
            throw new InvalidOperationException("Verify.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The full path of <paramref name="tool"/> on PATH, or null.</summary>
    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists);

    /// <summary>Throws with the install command if a tool the boot needs is missing (also, and especially, under CI=true).</summary>
    public static void RequireTools(Layout layout)
    {
        string[] missing = new[] { layout.QemuBinary, "clang-19", "ld.lld-19", "make" }.Where(t => Find(t) is null).ToArray();
        if (missing.Length > 0)
            throw new InvalidOperationException($"{string.Join(", ", missing)} not found on PATH: {InstallHint}");
    }

    /// <summary>Builds kernels/&lt;arch&gt;/build/kernel.elf (make rebuilds only what changed).</summary>
    public static string BuildKernel(Layout layout)
    {
        string folder = Path.Combine(RepoRoot, "tests", "Hardware", "kernels", layout.KernelFolder);
        if (!Directory.Exists(folder)) throw new InvalidOperationException($"no checker kernel sources in {folder}");
        lock (BuildLock)
        {
            var (code, output, _) = RunProcess("make", ["-C", folder, "--no-print-directory", "OUT=build"], TimeSpan.FromMinutes(2), finished: null);
            if (code != 0) throw new InvalidOperationException($"building the {layout.KernelFolder} checker kernel failed:\n{output}");
        }
        return Path.Combine(folder, "build", "kernel.elf");
    }

    /// <summary>
    /// Boots the kernel with the check list and the table image placed by loader devices; returns the serial output.
    /// The serial port goes to a file, not a pipe: QEMU 7.2's 16550 drops a byte after four failed writes to a full pipe.
    /// </summary>
    public static (string Serial, bool TimedOut, TimeSpan Elapsed) Boot(Layout layout, string kernel, string listFile, TableImage image, string tablesFile, string serialFile)
    {
        File.Delete(serialFile);
        var args = new List<string>(layout.QemuArguments)
        {
            "-serial", $"file:{serialFile}",
            "-kernel", kernel,
            "-device", $"loader,file={listFile},addr=0x{layout.List:x},force-raw=on",
            "-device", image.QemuLoaderDevice(tablesFile),
        };
        var clock = Stopwatch.StartNew();
        bool Finished() => SerialText(serialFile).Split('\n').Any(l => l.StartsWith("HWC END", StringComparison.Ordinal) || l.StartsWith("HWC ERROR", StringComparison.Ordinal));
        var (_, output, timedOut) = RunProcess(layout.QemuBinary, args, Timeout, Finished);
        string serial = SerialText(serialFile);
        if (output.Length > 0) serial += "\n[qemu] " + output;
        return (serial, timedOut, clock.Elapsed);
    }

    private static string SerialText(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Replace("\r", "", StringComparison.Ordinal);
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    /// <summary>Runs a process with stdin closed, collecting stdout and stderr; kills it once <paramref name="finished"/>
    /// holds (polled every 50 ms) or on timeout.</summary>
    private static (int Code, string Output, bool TimedOut) RunProcess(string file, IEnumerable<string> args, TimeSpan timeout, Func<bool>? finished)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (output) output.Append(line.TrimEnd('\r')).Append('\n');
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        bool timedOut = false;
        while (!process.WaitForExit(50))
        {
            if (finished?.Invoke() == true) break;
            if (clock.Elapsed > timeout)
            {
                timedOut = true;
                break;
            }
        }
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        lock (output) return (process.ExitCode, output.ToString(), timedOut);
    }
}
