package dev.warren;

import dev.warren.internal.Names;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link BlockingChannel#queueDeclare(QueueSpec)} declares: immutable; start with
 * {@link #named(String)} or {@link #serverNamed()}, then add properties, each method returning a
 * copy.
 *
 * <pre>{@code
 * QueueSpec orders = QueueSpec.named("orders").quorum().deadLetterExchange("orders.dlx");
 * QueueSpec replies = QueueSpec.serverNamed();   // exclusive, auto-delete, server-named
 * }</pre>
 */
public final class QueueSpec {
    private final String name;
    private final boolean durable;
    private final boolean exclusive;
    private final boolean autoDelete;
    private final Map<String, Object> arguments;

    private QueueSpec(String name, boolean durable, boolean exclusive, boolean autoDelete,
            Map<String, Object> arguments) {
        this.name = name;
        this.durable = durable;
        this.exclusive = exclusive;
        this.autoDelete = autoDelete;
        this.arguments = arguments;
    }

    /**
     * A durable, non-exclusive, non-auto-delete queue of this name.
     *
     * @throws NullPointerException if name is null
     * @throws IllegalArgumentException if it is blank or longer than 255 bytes in UTF-8
     */
    public static QueueSpec named(String name) {
        return new QueueSpec(Names.require(name, "queue name"), true, false, false, Map.of());
    }

    /** A queue whose name the broker chooses: non-durable, exclusive and auto-delete. */
    public static QueueSpec serverNamed() {
        return new QueueSpec("", false, true, true, Map.of());
    }

    /** Whether it survives a broker restart. */
    public QueueSpec durable(boolean durable) {
        return new QueueSpec(name, durable, exclusive, autoDelete, arguments);
    }

    /** Whether only this connection may use it (it is deleted when the connection closes). */
    public QueueSpec exclusive(boolean exclusive) {
        return new QueueSpec(name, durable, exclusive, autoDelete, arguments);
    }

    /** Whether it is deleted when its last consumer goes. */
    public QueueSpec autoDelete(boolean autoDelete) {
        return new QueueSpec(name, durable, exclusive, autoDelete, arguments);
    }

    /** Adds an {@code x-} argument (or replaces it). */
    public QueueSpec argument(String key, Object value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Map<String, Object> args = new LinkedHashMap<>(arguments);
        args.put(key, value);
        return new QueueSpec(name, durable, exclusive, autoDelete, Collections.unmodifiableMap(args));
    }

    /** Adds all these arguments. */
    public QueueSpec arguments(Map<String, Object> more) {
        QueueSpec s = this;
        for (Map.Entry<String, Object> e : Objects.requireNonNull(more, "arguments").entrySet()) {
            s = s.argument(e.getKey(), e.getValue());
        }
        return s;
    }

    /** A quorum queue ({@code x-queue-type: quorum}); durable, not exclusive. */
    public QueueSpec quorum() {
        return durable(true).exclusive(false).argument("x-queue-type", "quorum");
    }

    /** A stream queue ({@code x-queue-type: stream}); durable, not exclusive, not auto-delete. */
    public QueueSpec stream() {
        return durable(true).exclusive(false).autoDelete(false).argument("x-queue-type", "stream");
    }

    /** How long a message may stay in the queue ({@code x-message-ttl}). */
    public QueueSpec messageTtl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("message TTL must not be negative");
        }
        return argument("x-message-ttl", ttl.toMillis());
    }

    /** Where rejected and expired messages go ({@code x-dead-letter-exchange}). */
    public QueueSpec deadLetterExchange(String exchange) {
        return argument("x-dead-letter-exchange", Names.allowEmpty(exchange, "dead-letter exchange"));
    }

    /** With which routing key they go there ({@code x-dead-letter-routing-key}). */
    public QueueSpec deadLetterRoutingKey(String routingKey) {
        return argument("x-dead-letter-routing-key", Names.allowEmpty(routingKey, "dead-letter routing key"));
    }

    /** The most messages it holds ({@code x-max-length}); see {@link #overflow(Overflow)}. */
    public QueueSpec maxLength(long messages) {
        if (messages < 0) {
            throw new IllegalArgumentException("max length must not be negative");
        }
        return argument("x-max-length", messages);
    }

    /** The most body bytes it holds ({@code x-max-length-bytes}). */
    public QueueSpec maxLengthBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("max length bytes must not be negative");
        }
        return argument("x-max-length-bytes", bytes);
    }

    /** What happens when it is full ({@code x-overflow}). */
    public QueueSpec overflow(Overflow overflow) {
        return argument("x-overflow", Objects.requireNonNull(overflow, "overflow").value);
    }

    /** The queue's name; empty for a server-named queue. */
    public String name() {
        return name;
    }

    /** Whether it survives a broker restart. */
    public boolean isDurable() {
        return durable;
    }

    /** Whether only the declaring connection may use it. */
    public boolean isExclusive() {
        return exclusive;
    }

    /** Whether it is deleted when its last consumer goes. */
    public boolean isAutoDelete() {
        return autoDelete;
    }

    /** Its {@code x-} arguments, unmodifiable. */
    public Map<String, Object> arguments() {
        return arguments;
    }

    @Override
    public String toString() {
        return "QueueSpec[" + (name.isEmpty() ? "(server-named)" : name) + (durable ? ", durable" : "")
                + (exclusive ? ", exclusive" : "") + (autoDelete ? ", auto-delete" : "")
                + (arguments.isEmpty() ? "" : ", " + arguments) + "]";
    }

    /** What a full queue does with a new message ({@code x-overflow}). */
    public enum Overflow {
        /** Drop the oldest message (the default). */
        DROP_HEAD("drop-head"),
        /** Refuse the new one; a publisher in confirm mode gets a nack. */
        REJECT_PUBLISH("reject-publish"),
        /** Refuse the new one and dead-letter it. */
        REJECT_PUBLISH_DLX("reject-publish-dlx");

        final String value;

        Overflow(String value) {
            this.value = value;
        }
    }
}
