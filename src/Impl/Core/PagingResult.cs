using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace PageTableMultiarch;

/// <summary>
/// The outcome of an operation that yields a value: either the value or a <see cref="PagingError"/>.
/// Expected failures are values, never exceptions (the original's <c>PagingResult&lt;T&gt;</c>).
/// </summary>
/// <typeparam name="T">The value on success.</typeparam>
public readonly struct PagingResult<T> : IEquatable<PagingResult<T>>
{
    private readonly T _value;
    private readonly PagingError _error; // 0 means success

    private PagingResult(T value, PagingError error)
    {
        _value = value;
        _error = error;
    }

    /// <summary>A success carrying <paramref name="value"/>.</summary>
    public static PagingResult<T> Ok(T value) => Make(value, 0);

    /// <summary>A failure with <paramref name="error"/>.</summary>
    public static PagingResult<T> Err(PagingError error) => Make(default!, error);

    /// <summary>
    /// The result, built in a register when it is two bytes (a one-byte value such as <see cref="TlbFlushAll{TMeta}"/>,
    /// then the error, in declaration order). Through the constructor the JIT writes the two fields to the stack one byte
    /// at a time and reads them back as one wider word, a read the store buffer cannot forward: about 5 ns on every
    /// return of the region operations, twice per call (BENCHMARKS.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PagingResult<T> Make(T value, PagingError error)
    {
        if (Unsafe.SizeOf<PagingResult<T>>() == 2) // a one-byte T: no reference in it
            return Unsafe.BitCast<ushort, PagingResult<T>>((ushort)(Unsafe.As<T, byte>(ref value) | ((uint)error << 8)));
        return new PagingResult<T>(value, error);
    }

    /// <summary>Whether the operation succeeded.</summary>
    public bool IsOk => _error == 0;

    /// <summary>Whether the operation failed.</summary>
    public bool IsErr => _error != 0;

    /// <summary>The value; throws <see cref="InvalidOperationException"/> on a failure (a caller bug, not an expected error).</summary>
    /// <exception cref="InvalidOperationException">The operation failed: there is no value.</exception>
    public T Value => _error == 0 ? _value : ThrowHelper.NoValue<T>(_error);

    /// <summary>The error; throws <see cref="InvalidOperationException"/> on a success.</summary>
    /// <exception cref="InvalidOperationException">The operation succeeded: there is no error.</exception>
    public PagingError Error => _error != 0 ? _error : ThrowHelper.NoError();

    /// <summary>The error, or null on success.</summary>
    public PagingError? ErrorOrNull => _error != 0 ? _error : null;

    /// <summary>Gets the value without throwing.</summary>
    public bool TryGetValue([MaybeNullWhen(false)] out T value)
    {
        value = _value;
        return _error == 0;
    }

    /// <summary>Wraps a value as success.</summary>
    public static implicit operator PagingResult<T>(T value) => Ok(value);

    /// <summary>Wraps an error as failure.</summary>
    public static implicit operator PagingResult<T>(PagingError error) => Err(error);

    /// <inheritdoc />
    public bool Equals(PagingResult<T> other) =>
        _error == other._error && (_error != 0 || EqualityComparer<T>.Default.Equals(_value, other._value));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PagingResult<T> r && Equals(r);

    /// <inheritdoc />
    public override int GetHashCode() => _error != 0 ? (int)_error : HashCode.Combine(_value);

    /// <summary>Equality of outcome.</summary>
    public static bool operator ==(PagingResult<T> a, PagingResult<T> b) => a.Equals(b);

    /// <summary>Inequality of outcome.</summary>
    public static bool operator !=(PagingResult<T> a, PagingResult<T> b) => !a.Equals(b);

    /// <summary><c>Ok(value)</c> or <c>Err(error)</c>.</summary>
    public override string ToString() => _error == 0 ? $"Ok({_value})" : $"Err({_error})";
}

/// <summary>The outcome of an operation that yields nothing but success or a <see cref="PagingError"/>.</summary>
public readonly struct PagingResult : IEquatable<PagingResult>
{
    private readonly PagingError _error;

    private PagingResult(PagingError error) => _error = error;

    /// <summary>Success.</summary>
    public static PagingResult Ok => default;

    /// <summary>A failure with <paramref name="error"/>.</summary>
    public static PagingResult Err(PagingError error) => new(error);

    /// <summary>Whether the operation succeeded.</summary>
    public bool IsOk => _error == 0;

    /// <summary>Whether the operation failed.</summary>
    public bool IsErr => _error != 0;

    /// <summary>The error; throws <see cref="InvalidOperationException"/> on a success.</summary>
    /// <exception cref="InvalidOperationException">The operation succeeded: there is no error.</exception>
    public PagingError Error => _error != 0 ? _error : ThrowHelper.NoError();

    /// <summary>The error, or null on success.</summary>
    public PagingError? ErrorOrNull => _error != 0 ? _error : null;

    /// <summary>Wraps an error as failure.</summary>
    public static implicit operator PagingResult(PagingError error) => new(error);

    /// <inheritdoc />
    public bool Equals(PagingResult other) => _error == other._error;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PagingResult r && Equals(r);

    /// <inheritdoc />
    public override int GetHashCode() => (int)_error;

    /// <summary>Equality of outcome.</summary>
    public static bool operator ==(PagingResult a, PagingResult b) => a.Equals(b);

    /// <summary>Inequality of outcome.</summary>
    public static bool operator !=(PagingResult a, PagingResult b) => !a.Equals(b);

    /// <summary><c>Ok</c> or <c>Err(error)</c>.</summary>
    public override string ToString() => _error == 0 ? "Ok" : $"Err({_error})";
}

/// <summary>Throws kept out of line so the hot paths that guard them stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static T NoValue<T>(PagingError error) =>
        throw new InvalidOperationException($"The operation failed with {error}; there is no value.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static PagingError NoError() =>
        throw new InvalidOperationException("The operation succeeded; there is no error.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Disposed(string name) => throw new ObjectDisposedException(name);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void OutsideArena(ulong paddr, ulong start, ulong end) =>
        throw new ArgumentOutOfRangeException(nameof(paddr),
            $"Physical address 0x{paddr:x} is outside the arena [0x{start:x}, 0x{end:x}).");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void BadFree(ulong paddr, string why) =>
        throw new InvalidOperationException($"Freeing frame 0x{paddr:x}: {why}.");
}
