namespace PageTableModel;

/// <summary>Placeholder until the model lands.</summary>
public static class Placeholder
{
}
