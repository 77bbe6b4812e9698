namespace PageTableModel.Hardware;

/// <summary>The kind of memory access a walker is asked to perform.</summary>
public enum Access
{
    /// <summary>A data load.</summary>
    Read,

    /// <summary>A data store.</summary>
    Write,

    /// <summary>An instruction fetch.</summary>
    Execute,
}
