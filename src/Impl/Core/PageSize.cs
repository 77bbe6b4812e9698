namespace PageTableMultiarch;

/// <summary>The page sizes every supported architecture has (value = size in bytes).</summary>
public enum PageSize : ulong
{
    /// <summary>4 KiB: a leaf entry in the last-level table.</summary>
    Size4K = 0x1000,
    /// <summary>2 MiB: a block/huge leaf one level above the last.</summary>
    Size2M = 0x20_0000,
    /// <summary>1 GiB: a block/huge leaf two levels above the last.</summary>
    Size1G = 0x4000_0000,
}

/// <summary>Helpers on <see cref="PageSize"/> (the original's <c>is_huge</c>, <c>is_aligned</c>, <c>align_offset</c>).</summary>
public static class PageSizeExtensions
{
    /// <summary>Whether this is a huge (2M or 1G) page.</summary>
    public static bool IsHuge(this PageSize size) => size != PageSize.Size4K;

    /// <summary>Whether <paramref name="addr"/> is a multiple of this page size.</summary>
    public static bool IsAligned(this PageSize size, ulong addr) => (addr & ((ulong)size - 1)) == 0;

    /// <summary>The offset of <paramref name="addr"/> inside its page of this size.</summary>
    public static ulong AlignOffset(this PageSize size, ulong addr) => addr & ((ulong)size - 1);

    /// <summary>The size in bytes.</summary>
    public static ulong Bytes(this PageSize size) => (ulong)size;

    /// <summary>Whether <paramref name="size"/> is one of the three defined sizes.</summary>
    public static bool IsDefined(this PageSize size) =>
        size is PageSize.Size4K or PageSize.Size2M or PageSize.Size1G;
}
