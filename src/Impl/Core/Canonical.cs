namespace PageTableMultiarch;

/// <summary>The canonical-address rule shared by the metadata types.</summary>
public static class Canonical
{
    /// <summary>
    /// Whether bits 63..<paramref name="vaBits"/>-1 of <paramref name="vaddr"/> are all equal, i.e. the
    /// address is the sign extension of its low <paramref name="vaBits"/> bits.
    /// </summary>
    public static bool IsCanonical(ulong vaddr, int vaBits)
    {
        long top = (long)vaddr >> (vaBits - 1); // arithmetic shift: 0 or -1 exactly when the top bits agree
        return top == 0 || top == -1;
    }

    /// <summary>Sign-extends the low <paramref name="vaBits"/> bits of <paramref name="vaddr"/>.</summary>
    public static ulong SignExtend(ulong vaddr, int vaBits)
    {
        int unused = 64 - vaBits;
        return (ulong)((long)(vaddr << unused) >> unused);
    }
}
