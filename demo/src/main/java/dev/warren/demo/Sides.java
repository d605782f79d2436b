package dev.warren.demo;

/**
 * The raw and the Warren contender of one throughput scenario.
 *
 * @param raw the raw client's best technique; never null
 * @param warren Warren's implementation, or null while it does not exist (the output then
 *               says n/a rather than inventing a number)
 * @param <S> the scenario's setup
 */
public record Sides<S>(Contender<S> raw, Contender<S> warren) {

    /** Both sides. */
    public static <S> Sides<S> of(Contender<S> raw, Contender<S> warren) {
        if (raw == null || warren == null) {
            throw new IllegalArgumentException("both sides are needed; use rawOnly(raw) for the raw side alone");
        }
        return new Sides<>(raw, warren);
    }

    /** The raw side alone, until Warren's exists. */
    public static <S> Sides<S> rawOnly(Contender<S> raw) {
        if (raw == null) {
            throw new IllegalArgumentException("raw side missing");
        }
        return new Sides<>(raw, null);
    }

    /** The contender of {@code side}, or null when there is none. */
    public Contender<S> get(Side side) {
        return side == Side.RAW ? raw : warren;
    }
}
