using System.Globalization;

namespace PageTableMultiarch.Hardware;

/// <summary>One result line of docs/hardware-checks.md section 6.</summary>
public readonly record struct Observed(bool Ok, ulong Value, ulong Cause, ulong Tval)
{
    public override string ToString() => Ok ? $"OK {Value:x16}" : $"FAULT cause {Cause:x} at {Tval:x16}";
}

/// <summary>The parsed serial output of one boot.</summary>
public sealed class SerialLog
{
    public Dictionary<int, Observed> Results { get; } = [];

    public string? Begin { get; private set; }

    public int? End { get; private set; }

    public string? Error { get; private set; }

    public List<string> Malformed { get; } = [];

    public static SerialLog Parse(string serial)
    {
        var log = new SerialLog();
        foreach (string raw in serial.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (!line.StartsWith("HWC ", StringComparison.Ordinal)) continue;
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[1] == "BEGIN") log.Begin = line;
            else if (f[1] == "PHASE") { }
            else if (f[1] == "END" && f.Length == 3 && int.TryParse(f[2], CultureInfo.InvariantCulture, out int n)) log.End = n;
            else if (f[1] == "ERROR") log.Error = line;
            else if (int.TryParse(f[1], CultureInfo.InvariantCulture, out int index) && f.Length >= 4 && f[2] == "OK" && Hex(f[3]) is { } v)
                log.Results[index] = new Observed(true, v, 0, 0);
            else if (int.TryParse(f[1], CultureInfo.InvariantCulture, out index) && f.Length >= 5 && f[2] == "FAULT" && Hex(f[3]) is { } c && Hex(f[4]) is { } t)
                log.Results[index] = new Observed(false, 0, c, t);
            else log.Malformed.Add(line);
        }
        return log;
    }

    private static ulong? Hex(string s) =>
        s.Length == 16 && ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong v) ? v : null;
}
