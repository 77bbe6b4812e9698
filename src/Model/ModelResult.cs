using System.Runtime.CompilerServices;
using System.Text;

namespace PageTableModel;

/// <summary>
/// The outcome of a model operation: either an error, or success with a value. Two results are equal
/// when both errors and values are equal; a failure always carries <c>default</c> as its value.
/// </summary>
/// <typeparam name="T">The value of a successful operation.</typeparam>
/// <param name="Error">The error, or <c>null</c> on success.</param>
/// <param name="Value">The value on success; <c>default</c> on failure.</param>
public readonly record struct ModelResult<T>(ModelError? Error, T Value)
{
    /// <summary>A successful result carrying <paramref name="value"/>.</summary>
    /// <param name="value">The value of the operation.</param>
    /// <returns>The result.</returns>
    public static ModelResult<T> Ok(T value) => new(null, value);

    /// <summary>A failed result carrying <paramref name="error"/>.</summary>
    /// <param name="error">The error of the operation.</param>
    /// <returns>The result.</returns>
    public static ModelResult<T> Fail(ModelError error) => new(error, default!);

    /// <summary>Whether the operation succeeded.</summary>
    public bool IsOk => Error is null;

    /// <summary>Prints <c>Ok(value)</c> with numbers in hex, or <c>Err(error)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        Error is { } error ? $"Err({error})" : $"Ok({ModelText.Format(Value)})";
}

/// <summary>Formatting shared by the model's printable types: numbers in hex, tuples element by element.</summary>
internal static class ModelText
{
    /// <summary>Formats a value for a person reading a failed property: unsigned numbers in hex.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Format(object? value)
    {
        switch (value)
        {
            case null:
                return "null";
            case ulong number:
                return Hex(number);
            case ModelFlags flags:
                return Flags(flags);
            case ITuple tuple:
                var text = new StringBuilder("(");
                for (int i = 0; i < tuple.Length; i++)
                {
                    if (i > 0)
                    {
                        text.Append(", ");
                    }

                    text.Append(Format(tuple[i]));
                }

                return text.Append(')').ToString();
            default:
                return value.ToString() ?? "";
        }
    }

    /// <summary>Formats flags as <c>Read|Write</c> (the enum's own text separates them with commas).</summary>
    /// <param name="flags">The flags.</param>
    /// <returns>The text.</returns>
    public static string Flags(ModelFlags flags) => flags.ToString().Replace(", ", "|", StringComparison.Ordinal);

    /// <summary>Formats a number as <c>0x</c> followed by lowercase hex digits.</summary>
    /// <param name="number">The number.</param>
    /// <returns>The text.</returns>
    public static string Hex(ulong number) => "0x" + number.ToString("x");
}
