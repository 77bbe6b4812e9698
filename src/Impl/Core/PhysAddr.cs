using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

/// <summary>
/// A guest-physical address: the address a page-table entry stores and the MMU emits.
/// The counterpart of <c>memory_addr::PhysAddr</c> in the original crate.
/// </summary>
/// <remarks>
/// Alignment helpers take a power-of-two alignment (a <see cref="PageSize"/> or a byte count);
/// a non-power-of-two alignment gives meaningless results, as in the original.
/// <see cref="Add"/> wraps on overflow; use <see cref="TryAdd"/> where overflow is an error.
/// </remarks>
public readonly record struct PhysAddr(ulong Value) : IComparable<PhysAddr>
{
    /// <summary>Wraps a raw address.</summary>
    public static PhysAddr From(ulong value) => new(value);

    /// <summary>The raw address.</summary>
    public ulong AsUInt64 => Value;

    /// <summary>Rounds down to a multiple of <paramref name="align"/> (a power of two).</summary>
    public PhysAddr AlignDown(ulong align) => new(Value & ~(align - 1));

    /// <summary>Rounds down to the start of the page of <paramref name="size"/> that holds this address.</summary>
    public PhysAddr AlignDown(PageSize size) => AlignDown((ulong)size);

    /// <summary>Rounds up to a multiple of <paramref name="align"/> (a power of two); wraps past 2^64.</summary>
    public PhysAddr AlignUp(ulong align) => new((Value + align - 1) & ~(align - 1));

    /// <summary>Rounds up to a page boundary of <paramref name="size"/>; wraps past 2^64.</summary>
    public PhysAddr AlignUp(PageSize size) => AlignUp((ulong)size);

    /// <summary>The offset of this address inside its <paramref name="align"/>-sized block.</summary>
    public ulong AlignOffset(ulong align) => Value & (align - 1);

    /// <summary>Whether this address is a multiple of <paramref name="align"/> (a power of two).</summary>
    public bool IsAligned(ulong align) => (Value & (align - 1)) == 0;

    /// <summary>Whether this address starts a page of <paramref name="size"/>.</summary>
    public bool IsAligned(PageSize size) => IsAligned((ulong)size);

    /// <summary>Whether this address starts a 4 KiB frame.</summary>
    public bool IsAligned4K => IsAligned(0x1000);

    /// <summary>This address plus <paramref name="offset"/>, wrapping past 2^64.</summary>
    public PhysAddr Add(ulong offset) => new(unchecked(Value + offset));

    /// <summary>This address plus <paramref name="offset"/>; false when the sum passes 2^64.</summary>
    public bool TryAdd(ulong offset, out PhysAddr sum)
    {
        ulong s = unchecked(Value + offset);
        sum = new PhysAddr(s);
        return s >= Value;
    }

    /// <summary>The distance from <paramref name="origin"/> up to this address (wrapping).</summary>
    public ulong OffsetFrom(PhysAddr origin) => unchecked(Value - origin.Value);

    /// <inheritdoc />
    public int CompareTo(PhysAddr other) => Value.CompareTo(other.Value);

    /// <summary>Adds a byte offset, wrapping past 2^64.</summary>
    public static PhysAddr operator +(PhysAddr a, ulong offset) => a.Add(offset);

    /// <summary>The raw address.</summary>
    public static explicit operator ulong(PhysAddr a) => a.Value;

    /// <summary>Wraps a raw address.</summary>
    public static explicit operator PhysAddr(ulong v) => new(v);

    /// <summary>Orders by address.</summary>
    public static bool operator <(PhysAddr a, PhysAddr b) => a.Value < b.Value;

    /// <summary>Orders by address.</summary>
    public static bool operator >(PhysAddr a, PhysAddr b) => a.Value > b.Value;

    /// <summary>Orders by address.</summary>
    public static bool operator <=(PhysAddr a, PhysAddr b) => a.Value <= b.Value;

    /// <summary>Orders by address.</summary>
    public static bool operator >=(PhysAddr a, PhysAddr b) => a.Value >= b.Value;

    /// <summary>Hexadecimal, as <c>PA:0x…</c>.</summary>
    public override string ToString() => $"PA:0x{Value:x}";
}
