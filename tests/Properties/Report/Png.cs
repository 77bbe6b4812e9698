using System.Buffers.Binary;
using System.IO.Compression;

namespace PageTableMultiarch.Properties.Report;

/// <summary>
/// A minimal PNG reader for the screenshots of the report test: 8-bit RGB or RGBA, not interlaced (what Chromium
/// writes). Follows the PNG specification (ISO/IEC 15948): chunks, zlib-compressed IDAT, the five row filters.
/// </summary>
public sealed class Png
{
    public int Width { get; }
    public int Height { get; }
    private readonly byte[] _rgb; // 3 bytes per pixel, rows top to bottom

    private Png(int width, int height, byte[] rgb) { Width = width; Height = height; _rgb = rgb; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get { int i = (y * Width + x) * 3; return (_rgb[i], _rgb[i + 1], _rgb[i + 2]); }
    }

    /// <summary>How many pixels in the rectangle satisfy <paramref name="test"/>.</summary>
    public int Count(Func<(byte R, byte G, byte B), bool> test, int x0 = 0, int y0 = 0, int x1 = int.MaxValue, int y1 = int.MaxValue)
    {
        int n = 0;
        for (int y = Math.Max(0, y0); y < Math.Min(Height, y1); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(Width, x1); x++)
                if (test(this[x, y])) n++;
        return n;
    }

    public static Png Read(byte[] file)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a];
        if (file.Length < 8 || !file.AsSpan(0, 8).SequenceEqual(signature)) throw new InvalidDataException("not a PNG file");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (int at = 8; at + 12 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                byte depth = data[8], color = data[9], interlace = data[12];
                if (depth != 8 || interlace != 0 || (color != 2 && color != 6))
                    throw new InvalidDataException($"unsupported PNG: depth {depth}, colour type {color}, interlace {interlace}");
                channels = color == 2 ? 3 : 4;
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        if (channels == 0) throw new InvalidDataException("PNG without IHDR");

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        byte[] raw = inflated.ToArray();
        int stride = width * channels;
        if (raw.Length < height * (stride + 1)) throw new InvalidDataException("PNG image data too short");

        var rgb = new byte[width * height * 3];
        var previous = new byte[stride];
        var row = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            var src = raw.AsSpan(y * (stride + 1) + 1, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? row[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG row filter {filter}"),
                };
                row[i] = (byte)(src[i] + predictor);
            }
            for (int x = 0; x < width; x++)
                for (int k = 0; k < 3; k++) rgb[(y * width + x) * 3 + k] = row[x * channels + k];
            (previous, row) = (row, previous);
        }
        return new Png(width, height, rgb);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
