using PageTableMultiarch.Harness;
using Xunit;

namespace PageTableMultiarch.Properties.Report;

/// <summary>
/// The campaign's report opened in a real browser: headless Chromium renders report.html to a screenshot and a DOM,
/// and both must show what the report is for (verdict, totals, the rate plot drawn, the counts table, the coverage
/// table; for a failing run the counterexample and its replay command). Needs Debian's <c>chromium</c>.
/// </summary>
public sealed class ReportRenderingTests : IDisposable
{
    private const int Width = 1600, Height = 1400;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "report-render-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The rate plot's line colour in report.html (#1565c0), allowing for anti-aliasing.</summary>
    private static bool PlotBlue((byte R, byte G, byte B) p) => Math.Abs(p.R - 0x15) < 40 && Math.Abs(p.G - 0x65) < 40 && Math.Abs(p.B - 0xc0) < 40;

    private static bool Dark((byte R, byte G, byte B) p) => p.R < 100 && p.G < 100 && p.B < 100;

    /// <summary>The background of a failing coverage row or counterexample marker (#fbb).</summary>
    private static bool Pink((byte R, byte G, byte B) p) => p.R == 0xff && p.G == 0xbb && p.B == 0xbb;

    [Fact]
    public void APassingReportRendersWithItsPlotAndTables()
    {
        Chromium.Find(); // fail first, with the install command, when the browser is missing
        var options = new CampaignOptions
        {
            Tables = [TableKind.X64, TableKind.Sv39],
            Seed = 3,
            Seconds = 3,
            Batch = 5,
            MaxLength = 12,
            Workers = 1,
            ProgressSeconds = 0.5,
            ReportDirectory = _dir,
        };
        var result = Campaign.Run(options, TextWriter.Null, terminal: false);
        Assert.Null(result.Failure);
        Assert.True(result.Timeline.Count >= 3, $"the plot needs samples; got {result.Timeline.Count}");
        string html = CampaignReport.Write(result, _dir);

        var (shot, dom) = Chromium.Render(html, Width, Height);

        Assert.Equal((Width, Height), (shot.Width, shot.Height));
        Assert.Contains("id=\"verdict\"", dom, StringComparison.Ordinal);
        Assert.Contains("No difference found", dom, StringComparison.Ordinal);
        Assert.Contains("<polyline", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"counts\"", dom, StringComparison.Ordinal);
        Assert.Contains("Coverage requirements", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"counterexample\"", dom, StringComparison.Ordinal);
        // The plot sits in the first screen: its line is drawn (hundreds of blue pixels), and there is text.
        Assert.InRange(shot.Count(PlotBlue), 200, Width * Height / 20);
        Assert.True(shot.Count(Dark) > 5_000, "the page shows text");
        Assert.Equal(0, shot.Count(Pink));
    }

    [Fact]
    public void AFailingReportRendersTheCounterexampleAndTheReplayCommand()
    {
        Chromium.Find();
        var options = new CampaignOptions
        {
            Tables = [TableKind.X64],
            Seed = 11,
            Seconds = 90,
            Batch = 20,
            MaxLength = 20,
            Workers = 2,
            Walkers = false,
            ReportDirectory = _dir,
        };
        var result = Campaign.Run(options, TextWriter.Null, terminal: false, CampaignReplayTests.Faulty);
        var failure = Assert.IsType<CampaignFailure>(result.Failure);
        string html = CampaignReport.Write(result, _dir);

        var (shot, dom) = Chromium.Render(html, Width, Height);

        Assert.Contains("Impl and Model differ", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"counterexample\"", dom, StringComparison.Ordinal);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(failure.ReplayCommand), dom, StringComparison.Ordinal);
        Assert.True(shot.Count(Dark) > 5_000, "the page shows text");
    }

    [Fact]
    public void ThePngReaderReadsWhatItIsGiven()
    {
        // A 2x1 RGB image: a red and a blue pixel, row filter 1 (Sub), built by hand.
        byte[] raw = [1, 0xff, 0, 0, 0x01, 0, 0xff]; // second pixel stored as the difference from the first
        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]);
        void Chunk(string type, byte[] data)
        {
            var len = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
            file.Write(len); file.Write(System.Text.Encoding.ASCII.GetBytes(type)); file.Write(data); file.Write(new byte[4]); // CRC unchecked
        }
        Chunk("IHDR", [0, 0, 0, 2, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        Chunk("IDAT", compressed.ToArray());
        Chunk("IEND", []);

        var png = Png.Read(file.ToArray());

        Assert.Equal((2, 1), (png.Width, png.Height));
        Assert.Equal(((byte)0xff, (byte)0, (byte)0), png[0, 0]);
        Assert.Equal(((byte)0, (byte)0, (byte)0xff), png[1, 0]);
        Assert.Throws<InvalidDataException>(() => Png.Read([1, 2, 3]));
    }
}
