package dev.warren.internal;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** Checks of AMQP names (queues, exchanges, routing keys, consumer tags): shortstr, 255 bytes at most. */
public final class Names {
    private static final int MAX_BYTES = 255;

    private Names() {}

    /**
     * A queue or exchange name that must name something.
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if blank or over 255 bytes in UTF-8
     */
    public static String require(String name, String what) {
        Objects.requireNonNull(name, what);
        if (name.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        return checkLength(name, what);
    }

    /**
     * A name that may be empty (the default exchange {@code ""}, an empty routing key).
     *
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if over 255 bytes in UTF-8
     */
    public static String allowEmpty(String name, String what) {
        Objects.requireNonNull(name, what);
        return checkLength(name, what);
    }

    private static String checkLength(String name, String what) {
        // A char is at most 3 bytes in UTF-8: short names (every routing key on the publish
        // path, typically) need no encoding to be checked.
        if (name.length() * 3 <= MAX_BYTES) {
            return name;
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException(what + " is " + bytes + " bytes long in UTF-8; AMQP allows at most "
                    + MAX_BYTES);
        }
        return name;
    }
}
