using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

/// <summary>
/// A virtual address as the page table sees it. The counterpart of <c>memory_addr::VirtAddr</c>.
/// Whether an address is valid (canonical) depends on the architecture:
/// see <see cref="IPagingMetaData.VaddrIsValid"/>.
/// </summary>
public readonly record struct VirtAddr(ulong Value) : IComparable<VirtAddr>
{
    /// <summary>Wraps a raw address.</summary>
    public static VirtAddr From(ulong value) => new(value);

    /// <summary>The raw address.</summary>
    public ulong AsUInt64 => Value;

    /// <summary>Rounds down to a multiple of <paramref name="align"/> (a power of two).</summary>
    public VirtAddr AlignDown(ulong align) => new(Value & ~(align - 1));

    /// <summary>Rounds down to the start of the page of <paramref name="size"/> that holds this address.</summary>
    public VirtAddr AlignDown(PageSize size) => AlignDown((ulong)size);

    /// <summary>Rounds up to a multiple of <paramref name="align"/> (a power of two); wraps past 2^64.</summary>
    public VirtAddr AlignUp(ulong align) => new((Value + align - 1) & ~(align - 1));

    /// <summary>Rounds up to a page boundary of <paramref name="size"/>; wraps past 2^64.</summary>
    public VirtAddr AlignUp(PageSize size) => AlignUp((ulong)size);

    /// <summary>The offset of this address inside its <paramref name="align"/>-sized block.</summary>
    public ulong AlignOffset(ulong align) => Value & (align - 1);

    /// <summary>Whether this address is a multiple of <paramref name="align"/> (a power of two).</summary>
    public bool IsAligned(ulong align) => (Value & (align - 1)) == 0;

    /// <summary>Whether this address starts a page of <paramref name="size"/>.</summary>
    public bool IsAligned(PageSize size) => IsAligned((ulong)size);

    /// <summary>Whether this address starts a 4 KiB page.</summary>
    public bool IsAligned4K => IsAligned(0x1000);

    /// <summary>This address plus <paramref name="offset"/>, wrapping past 2^64.</summary>
    public VirtAddr Add(ulong offset) => new(unchecked(Value + offset));

    /// <summary>This address plus <paramref name="offset"/>; false when the sum passes 2^64.</summary>
    public bool TryAdd(ulong offset, out VirtAddr sum)
    {
        ulong s = unchecked(Value + offset);
        sum = new VirtAddr(s);
        return s >= Value;
    }

    /// <summary>The distance from <paramref name="origin"/> up to this address (wrapping).</summary>
    public ulong OffsetFrom(VirtAddr origin) => unchecked(Value - origin.Value);

    /// <inheritdoc />
    public int CompareTo(VirtAddr other) => Value.CompareTo(other.Value);

    /// <summary>Adds a byte offset, wrapping past 2^64.</summary>
    public static VirtAddr operator +(VirtAddr a, ulong offset) => a.Add(offset);

    /// <summary>The raw address.</summary>
    public static explicit operator ulong(VirtAddr a) => a.Value;

    /// <summary>Wraps a raw address.</summary>
    public static explicit operator VirtAddr(ulong v) => new(v);

    /// <summary>Orders by address.</summary>
    public static bool operator <(VirtAddr a, VirtAddr b) => a.Value < b.Value;

    /// <summary>Orders by address.</summary>
    public static bool operator >(VirtAddr a, VirtAddr b) => a.Value > b.Value;

    /// <summary>Orders by address.</summary>
    public static bool operator <=(VirtAddr a, VirtAddr b) => a.Value <= b.Value;

    /// <summary>Orders by address.</summary>
    public static bool operator >=(VirtAddr a, VirtAddr b) => a.Value >= b.Value;

    /// <summary>Hexadecimal, as <c>VA:0x…</c>.</summary>
    public override string ToString() => $"VA:0x{Value:x}";
}
