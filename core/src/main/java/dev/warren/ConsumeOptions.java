package dev.warren;

import dev.warren.internal.Names;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * How {@link BlockingChannel#consume(String, ConsumeOptions)} subscribes: immutable; start with
 * {@link #defaults()} and change what you need, each method returning a copy.
 *
 * <pre>{@code
 * ConsumeOptions opts = ConsumeOptions.defaults().withPrefetch(50).withPriority(10);
 * ConsumeOptions fromStart = ConsumeOptions.defaults().withStreamOffset(StreamOffset.first());
 * }</pre>
 *
 * <h2>Prefetch and the buffer</h2>
 * The prefetch is the most deliveries the broker sends to this consumer before they are
 * settled (basic.qos, per consumer). A subscription buffers what has arrived and was not yet
 * taken; with manual acknowledgement that buffer can never hold more than the prefetch, which is
 * what lets amqp-client's reader thread hand deliveries over without ever waiting.
 *
 * <p>With {@linkplain #withAutoAck(boolean) auto-ack} (or prefetch 0, no limit) the broker does
 * no flow control at all: it sends as fast as it can. The buffer then holds at most
 * {@link #UNLIMITED_BUFFER_BOUND} deliveries; one more aborts the channel (the subscription's
 * takers get a {@link ChannelClosedException} that says so, and with auto-ack what was buffered
 * is lost). Use it only for consumers that keep up, or for small queues (for example replies).
 * A broker that sends more than the prefetch with manual acknowledgement (one that ignores
 * basic.qos) aborts the channel the same way: amqp-client's reader thread cannot wait, so there
 * is no back-pressure to give but the close.
 */
public final class ConsumeOptions {
    /** The prefetch of {@link #defaults()}: enough to keep a consumer busy, small enough to share. */
    public static final int DEFAULT_PREFETCH = 250;
    /**
     * The most deliveries a subscription buffers without a prefetch to bound it (auto-ack, or
     * prefetch 0): 10,000, a few seconds of a fast queue, a bound on the memory a broker that
     * sends faster than the application takes can make Warren hold.
     */
    public static final int UNLIMITED_BUFFER_BOUND = 10_000;

    private static final ConsumeOptions DEFAULTS = new ConsumeOptions(DEFAULT_PREFETCH, false, false, "", Map.of(),
            null);

    private final int prefetch;
    private final boolean autoAck;
    private final boolean exclusive;
    private final String consumerTag;
    private final Map<String, Object> arguments;
    private final BiConsumer<Delivery, Throwable> onDropped;

    private ConsumeOptions(int prefetch, boolean autoAck, boolean exclusive, String consumerTag,
            Map<String, Object> arguments, BiConsumer<Delivery, Throwable> onDropped) {
        this.prefetch = prefetch;
        this.autoAck = autoAck;
        this.exclusive = exclusive;
        this.consumerTag = consumerTag;
        this.arguments = arguments;
        this.onDropped = onDropped;
    }

    /**
     * Prefetch {@value #DEFAULT_PREFETCH}, manual acknowledgement, not exclusive, a consumer tag
     * chosen by the broker, no arguments.
     *
     * @return the defaults
     */
    public static ConsumeOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The most unsettled deliveries the broker sends this consumer (basic.qos with
     * {@code global=false}, issued right before basic.consume in the same turn of the channel's
     * slot, so that each subscription of a channel gets its own). 0 means no limit (then the
     * buffer is unbounded, see the class comment). Ignored with auto-ack.
     *
     * @param prefetch the prefetch count
     * @return a copy with this setting
     * @throws IllegalArgumentException if not in 0..65535
     */
    public ConsumeOptions withPrefetch(int prefetch) {
        if (prefetch < 0 || prefetch > 65535) {
            throw new IllegalArgumentException("prefetch must be 0..65535, not " + prefetch);
        }
        return new ConsumeOptions(prefetch, autoAck, exclusive, consumerTag, arguments, onDropped);
    }

    /**
     * Whether the broker considers a message acknowledged as soon as it sends it (at-most-once:
     * a message in flight or buffered when the channel or the subscription closes is lost). Its
     * deliveries need no settling, and settling them throws {@link IllegalStateException}. The
     * buffer is unbounded (see the class comment). Stream queues do not allow it.
     *
     * @param autoAck whether the broker acknowledges on sending
     * @return a copy with this setting
     */
    public ConsumeOptions withAutoAck(boolean autoAck) {
        return new ConsumeOptions(prefetch, autoAck, exclusive, consumerTag, arguments, onDropped);
    }

    /**
     * Whether this must be the queue's only consumer: basic.consume fails with 403
     * ACCESS_REFUSED (closing the channel) if it has another, and others are refused while this
     * one lasts.
     *
     * @param exclusive whether it must be the only one
     * @return a copy with this setting
     */
    public ConsumeOptions withExclusive(boolean exclusive) {
        return new ConsumeOptions(prefetch, autoAck, exclusive, consumerTag, arguments, onDropped);
    }

    /**
     * The consumer tag, unique on the channel; empty (the default) lets the broker choose one.
     * Reusing a tag that is in use on the channel makes the broker close the connection (530
     * NOT_ALLOWED).
     *
     * @param consumerTag the consumer tag
     * @return a copy with this setting
     * @throws NullPointerException if null
     * @throws IllegalArgumentException if longer than 255 bytes in UTF-8
     */
    public ConsumeOptions withConsumerTag(String consumerTag) {
        return new ConsumeOptions(prefetch, autoAck, exclusive, Names.allowEmpty(consumerTag, "consumer tag"),
                arguments, onDropped);
    }

    /**
     * The consumer priority ({@code x-priority}): while consumers of higher priority can take
     * messages, the broker sends none to those of lower priority. Default 0.
     *
     * @param priority the priority
     * @return a copy with this setting
     */
    public ConsumeOptions withPriority(int priority) {
        return withArgument("x-priority", priority);
    }

    /**
     * Where a consumer of a stream queue starts reading ({@code x-stream-offset}): the first
     * message it holds, its last chunk, only new messages, an offset or a time. Streams need
     * manual acknowledgement and a prefetch, as the defaults have.
     *
     * @param offset where to start
     * @return a copy with this argument
     * @throws NullPointerException if offset is null
     */
    public ConsumeOptions withStreamOffset(StreamOffset offset) {
        return withArgument("x-stream-offset", Objects.requireNonNull(offset, "offset").argumentValue());
    }

    /**
     * Adds (or replaces) a basic.consume argument, for example {@code x-priority}, or
     * {@code x-stream-offset} (better given as {@link #withStreamOffset(StreamOffset)}).
     *
     * @param key the argument's name
     * @param value its value
     * @return a copy with this argument
     * @throws NullPointerException if key or value is null
     */
    public ConsumeOptions withArgument(String key, Object value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Map<String, Object> args = new LinkedHashMap<>(arguments);
        args.put(key, value);
        return new ConsumeOptions(prefetch, autoAck, exclusive, consumerTag, Collections.unmodifiableMap(args),
                onDropped);
    }

    /**
     * Adds (or replaces) all these arguments.
     *
     * @param more the arguments
     * @return a copy with these arguments
     * @throws NullPointerException if the map, a key or a value is null
     */
    public ConsumeOptions withArguments(Map<String, Object> more) {
        ConsumeOptions o = this;
        for (Map.Entry<String, Object> e : Objects.requireNonNull(more, "arguments").entrySet()) {
            o = o.withArgument(e.getKey(), e.getValue());
        }
        return o;
    }

    /**
     * What {@link Subscription#handle(int, DeliveryHandler) handle} does when it drops a
     * delivery because its handler threw: it nacked the delivery without requeue (the broker
     * drops it, or dead-letters it if the queue has a
     * {@linkplain QueueSpec#withDeadLetterExchange(String) dead-letter exchange}, the way to
     * keep such messages), or, with auto-ack, the message was lost. The listener runs in the
     * handler's subtask, after the nack, and is given the delivery and the handler's exception.
     * If the listener throws, that subtask fails with its exception: the channel's other
     * subtasks are cancelled (also {@code handle}) and {@link BlockingChannel#join()} throws
     * it, which is how to stop at the first dropped message.
     *
     * <p>Not called for a delivery that was requeued (with {@code requeueOnFailure}, or because
     * the handler was cancelled), settled by the handler itself, or whose channel closed (the
     * broker requeues it). Without a listener (the default) a dropped delivery is logged as a
     * warning through SLF4J, or, when SLF4J has no provider, through {@link System.Logger}.
     *
     * @param onDropped the listener, or null for the default warning
     * @return a copy with this listener
     */
    public ConsumeOptions withOnDropped(BiConsumer<Delivery, Throwable> onDropped) {
        return new ConsumeOptions(prefetch, autoAck, exclusive, consumerTag, arguments, onDropped);
    }

    /**
     * The listener for deliveries that {@code handle} drops, see
     * {@link #withOnDropped(BiConsumer)}.
     *
     * @return the listener, or null for the default warning in the log
     */
    public BiConsumer<Delivery, Throwable> onDropped() {
        return onDropped;
    }

    /**
     * The prefetch count; 0 means no limit.
     *
     * @return the prefetch count
     */
    public int prefetch() {
        return prefetch;
    }

    /**
     * Whether deliveries are acknowledged by the broker on sending.
     *
     * @return whether deliveries are acknowledged by the broker on sending
     */
    public boolean autoAck() {
        return autoAck;
    }

    /**
     * Whether the consumer must be the queue's only one.
     *
     * @return whether the consumer must be the queue's only one
     */
    public boolean exclusive() {
        return exclusive;
    }

    /**
     * The requested consumer tag; empty when the broker chooses.
     *
     * @return the requested consumer tag
     */
    public String consumerTag() {
        return consumerTag;
    }

    /**
     * The basic.consume arguments (including {@code x-priority} if set), unmodifiable.
     *
     * @return the basic.consume arguments (including {@code x-priority} if set), unmodifiable
     */
    public Map<String, Object> arguments() {
        return arguments;
    }

    @Override
    public String toString() {
        return "ConsumeOptions[prefetch " + prefetch + (autoAck ? ", auto-ack" : "") + (exclusive ? ", exclusive" : "")
                + (consumerTag.isEmpty() ? "" : ", tag " + consumerTag) + (arguments.isEmpty() ? "" : ", " + arguments)
                + "]";
    }
}
