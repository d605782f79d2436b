package dev.warren;

import java.time.Instant;
import java.util.Date;
import java.util.Objects;

/**
 * Where a consumer of a stream queue ({@link QueueSpec#stream(String)}) starts reading: the
 * {@code x-stream-offset} argument of basic.consume, given with
 * {@link ConsumeOptions#withStreamOffset(StreamOffset)}. Immutable.
 *
 * <pre>{@code
 * try (Subscription s = ch.consume("events", ConsumeOptions.defaults().withStreamOffset(StreamOffset.first()))) { ... }
 * }</pre>
 *
 * A stream keeps its messages after they are read; each delivery carries its offset in the
 * {@code x-stream-offset} header. Streams are consumed with manual acknowledgement and a prefetch
 * (a consumer with auto-ack is refused with 406 PRECONDITION_FAILED), as on RabbitMQ 3.9 and later
 * (3.10 and 4.0 are tested). Without an offset a consumer starts at {@link #next()}.
 *
 * <p>Settle a stream's deliveries with {@link Delivery#ack()} only: the ack just lets the broker
 * send more, since a stream keeps its messages whatever a consumer says; a
 * {@link Delivery#nack(boolean) nack} or {@link Delivery#reject(boolean) reject} is refused with
 * 540 NOT_IMPLEMENTED, which closes the whole <em>connection</em>. Closing the subscription
 * acks what it buffered and nobody took (where it would requeue them on another queue).
 */
public final class StreamOffset {
    private static final StreamOffset FIRST = new StreamOffset("first", "first");
    private static final StreamOffset LAST = new StreamOffset("last", "last");
    private static final StreamOffset NEXT = new StreamOffset("next", "next");

    private final Object value;
    private final String description;

    private StreamOffset(Object value, String description) {
        this.value = value;
        this.description = description;
    }

    /**
     * From the first message the stream still holds.
     *
     * @return the offset {@code first}
     */
    public static StreamOffset first() {
        return FIRST;
    }

    /**
     * From the last chunk the stream has written: its last message and, since the broker reads a
     * stream in chunks (batches of messages written together), possibly some before it.
     *
     * @return the offset {@code last}
     */
    public static StreamOffset last() {
        return LAST;
    }

    /**
     * Only messages written after the consumer starts (the default).
     *
     * @return the offset {@code next}
     */
    public static StreamOffset next() {
        return NEXT;
    }

    /**
     * From the message at this offset (a delivery's {@code x-stream-offset} header); one before
     * the first the stream still holds starts at the first.
     *
     * @param offset the offset, from 0
     * @return the numeric offset
     * @throws IllegalArgumentException if it is negative
     */
    public static StreamOffset offset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("a stream offset must not be negative, not " + offset);
        }
        return new StreamOffset(offset, Long.toString(offset));
    }

    /**
     * From the messages written at or after this time. AMQP sends a timestamp in whole seconds,
     * so the time is truncated to its second, and the broker starts at the first chunk written
     * in or after that second.
     *
     * @param time the time
     * @return the timestamp offset
     * @throws NullPointerException if time is null
     */
    public static StreamOffset timestamp(Instant time) {
        Objects.requireNonNull(time, "time");
        // amqp-client writes a Date as an AMQP timestamp: seconds since the epoch.
        return new StreamOffset(new Date(time.getEpochSecond() * 1000), "timestamp " + Instant.ofEpochSecond(time.getEpochSecond()));
    }

    /** The value of the {@code x-stream-offset} argument: a String, a Long or a Date. */
    Object argumentValue() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StreamOffset other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /** {@code first}, {@code last}, {@code next}, the number, or {@code timestamp <time>}. */
    @Override
    public String toString() {
        return description;
    }
}
