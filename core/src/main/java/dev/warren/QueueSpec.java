package dev.warren;

import dev.warren.internal.Names;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link BlockingChannel#queueDeclare(QueueSpec)} declares: immutable; start with
 * {@link #named(String)}, {@link #quorum(String)}, {@link #stream(String)} or
 * {@link #serverNamed()}, then change what you need with the {@code with...} methods, each of
 * which returns a copy; read a setting back with the method of the same name without
 * {@code with} ({@link #durable()}, {@link #arguments()} ...).
 *
 * <pre>{@code
 * QueueSpec orders = QueueSpec.quorum("orders").withDeadLetterExchange("orders.dlx");
 * QueueSpec replies = QueueSpec.serverNamed();   // exclusive, auto-delete, server-named
 * }</pre>
 *
 * <h2>Defaults differ from amqp-client's</h2>
 * {@link #named(String)} is <em>durable</em>, where amqp-client's {@code queueDeclare(name,
 * false, ...)} idioms (and RabbitMQ's tutorials) declare transient queues. Declaring an existing
 * queue with other properties closes the channel with 406 PRECONDITION_FAILED
 * ({@code inequivalent arg 'durable'}): to share a queue with a program that declares it
 * transient, use {@code QueueSpec.named(name).withDurable(false)}.
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
     * A <em>durable</em>, non-exclusive, non-auto-delete classic queue of this name. Durable
     * unlike amqp-client's usual declarations (see the class comment): use
     * {@code .withDurable(false)} to share a transient queue with an amqp-client program.
     *
     * @param name the queue's name
     * @return the spec
     * @throws NullPointerException if name is null
     * @throws IllegalArgumentException if it is blank or longer than 255 bytes in UTF-8
     */
    public static QueueSpec named(String name) {
        return new QueueSpec(Names.require(name, "queue name"), true, false, false, Map.of());
    }

    /**
     * A quorum queue of this name ({@code x-queue-type: quorum}): replicated, durable, not
     * exclusive.
     *
     * @param name the queue's name
     * @return the spec
     * @throws NullPointerException if name is null
     * @throws IllegalArgumentException if it is blank or longer than 255 bytes in UTF-8
     */
    public static QueueSpec quorum(String name) {
        return named(name).withArgument("x-queue-type", "quorum");
    }

    /**
     * A stream of this name ({@code x-queue-type: stream}): durable, not exclusive, not
     * auto-delete.
     *
     * @param name the stream's name
     * @return the spec
     * @throws NullPointerException if name is null
     * @throws IllegalArgumentException if it is blank or longer than 255 bytes in UTF-8
     */
    public static QueueSpec stream(String name) {
        return named(name).withArgument("x-queue-type", "stream");
    }

    /**
     * A queue whose name the broker chooses: non-durable, exclusive and auto-delete (as
     * amqp-client's {@code queueDeclare()}).
     *
     * @return the spec
     */
    public static QueueSpec serverNamed() {
        return new QueueSpec("", false, true, true, Map.of());
    }

    /**
     * With or without surviving a broker restart.
     *
     * <p>A transient queue that is not {@linkplain #withExclusive(boolean) exclusive} is a
     * deprecated feature of RabbitMQ 4.x ({@code transient_nonexcl_queues}): 4.0 declares it and
     * writes a deprecation warning in the broker's log only (AMQP 0-9-1 has no method to tell the
     * client, so Warren cannot pass it on), and 4.3 denies it by default, failing the declare
     * with a channel error. Make a transient queue exclusive, or durable.
     *
     * @param durable whether it survives a broker restart
     * @return a copy with this setting
     */
    public QueueSpec withDurable(boolean durable) {
        return new QueueSpec(name, durable, exclusive, autoDelete, arguments);
    }

    /**
     * Exclusive or not: an exclusive queue may be used only by the declaring connection, and is
     * deleted when that connection closes.
     *
     * @param exclusive whether only this connection may use it
     * @return a copy with this setting
     */
    public QueueSpec withExclusive(boolean exclusive) {
        return new QueueSpec(name, durable, exclusive, autoDelete, arguments);
    }

    /**
     * With or without being deleted when its last consumer goes.
     *
     * @param autoDelete whether it is deleted when its last consumer goes
     * @return a copy with this setting
     */
    public QueueSpec withAutoDelete(boolean autoDelete) {
        return new QueueSpec(name, durable, exclusive, autoDelete, arguments);
    }

    /**
     * With an {@code x-} argument added (or replaced).
     *
     * @param key the argument's name, e.g. {@code x-max-priority}
     * @param value its value
     * @return a copy with this argument
     * @throws NullPointerException if key or value is null
     */
    public QueueSpec withArgument(String key, Object value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Map<String, Object> args = new LinkedHashMap<>(arguments);
        args.put(key, value);
        return new QueueSpec(name, durable, exclusive, autoDelete, Collections.unmodifiableMap(args));
    }

    /**
     * With all these arguments added (or replaced).
     *
     * @param more the arguments
     * @return a copy with these arguments
     * @throws NullPointerException if the map, a key or a value is null
     */
    public QueueSpec withArguments(Map<String, Object> more) {
        QueueSpec s = this;
        for (Map.Entry<String, Object> e : Objects.requireNonNull(more, "arguments").entrySet()) {
            s = s.withArgument(e.getKey(), e.getValue());
        }
        return s;
    }

    /**
     * With a bound on how long a message may stay in the queue ({@code x-message-ttl}).
     *
     * @param ttl the time to live, whole milliseconds
     * @return a copy with this argument
     * @throws NullPointerException if ttl is null
     * @throws IllegalArgumentException if it is negative
     */
    public QueueSpec withMessageTtl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("message TTL must not be negative");
        }
        return withArgument("x-message-ttl", ttl.toMillis());
    }

    /**
     * With an exchange where rejected and expired messages go ({@code x-dead-letter-exchange}):
     * how to keep the messages a {@link Subscription#handle handler} fails on, which are nacked
     * without requeue.
     *
     * @param exchange the dead-letter exchange; empty for the default exchange
     * @return a copy with this argument
     * @throws NullPointerException if exchange is null
     * @throws IllegalArgumentException if it is longer than 255 bytes in UTF-8
     */
    public QueueSpec withDeadLetterExchange(String exchange) {
        return withArgument("x-dead-letter-exchange", Names.allowEmpty(exchange, "dead-letter exchange"));
    }

    /**
     * With the routing key dead-lettered messages are published with
     * ({@code x-dead-letter-routing-key}; by default their own).
     *
     * @param routingKey the routing key
     * @return a copy with this argument
     * @throws NullPointerException if routingKey is null
     * @throws IllegalArgumentException if it is longer than 255 bytes in UTF-8
     */
    public QueueSpec withDeadLetterRoutingKey(String routingKey) {
        return withArgument("x-dead-letter-routing-key", Names.allowEmpty(routingKey, "dead-letter routing key"));
    }

    /**
     * With the most times a message of this quorum queue may be delivered and returned (nacked
     * or rejected with requeue, or left unacknowledged by a consumer that went away) before the
     * broker takes it out ({@code x-delivery-limit}): a message returned more than
     * {@code deliveries} times is <em>dead-lettered</em> if the queue has a
     * {@linkplain #withDeadLetterExchange(String) dead-letter exchange}, else <em>dropped</em>.
     *
     * <p>RabbitMQ 4.0 gives every quorum queue a limit of 20 unless told otherwise, so a message
     * that a consumer keeps requeueing is dropped after 21 deliveries where 3.x would redeliver
     * it for ever; give the queue a dead-letter exchange to keep such messages, or lift the
     * limit with {@link #withUnlimitedDeliveries()}. Only quorum queues have a delivery limit
     * (classic queues ignore the argument).
     *
     * @param deliveries how many returns a message may have, at least 0
     * @return a copy with this argument
     * @throws IllegalArgumentException if negative
     */
    public QueueSpec withDeliveryLimit(int deliveries) {
        if (deliveries < 0) {
            throw new IllegalArgumentException("delivery limit must not be negative, not " + deliveries
                    + " (withUnlimitedDeliveries() lifts it)");
        }
        return withArgument("x-delivery-limit", deliveries);
    }

    /**
     * With no delivery limit on this quorum queue ({@code x-delivery-limit: -1}), lifting
     * RabbitMQ 4.0's default of 20 (see {@link #withDeliveryLimit(int)}): a message is
     * redelivered for as long as consumers return it. <strong>RabbitMQ 4.0 and later
     * only</strong>: 3.x has no default limit (a quorum queue is unlimited without the argument),
     * accepts -1 and takes it as a limit below every count, so that each message is
     * dead-lettered (or dropped) on its <em>first</em> return; against 3.x, leave the limit out.
     *
     * @return a copy with this argument
     */
    public QueueSpec withUnlimitedDeliveries() {
        return withArgument("x-delivery-limit", -1);
    }

    /**
     * With a bound on the messages it holds ({@code x-max-length}); see
     * {@link #withOverflow(Overflow)}.
     *
     * @param messages the most messages
     * @return a copy with this argument
     * @throws IllegalArgumentException if negative
     */
    public QueueSpec withMaxLength(long messages) {
        if (messages < 0) {
            throw new IllegalArgumentException("max length must not be negative");
        }
        return withArgument("x-max-length", messages);
    }

    /**
     * With a bound on the body bytes it holds ({@code x-max-length-bytes}).
     *
     * @param bytes the most body bytes
     * @return a copy with this argument
     * @throws IllegalArgumentException if negative
     */
    public QueueSpec withMaxLengthBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("max length bytes must not be negative");
        }
        return withArgument("x-max-length-bytes", bytes);
    }

    /**
     * With what happens when it is full ({@code x-overflow}).
     *
     * @param overflow what a full queue does with a new message
     * @return a copy with this argument
     * @throws NullPointerException if overflow is null
     */
    public QueueSpec withOverflow(Overflow overflow) {
        return withArgument("x-overflow", Objects.requireNonNull(overflow, "overflow").value);
    }

    /**
     * The queue's name.
     *
     * @return the name; empty for a server-named queue
     */
    public String name() {
        return name;
    }

    /**
     * Whether it survives a broker restart.
     *
     * @return the durable flag
     */
    public boolean durable() {
        return durable;
    }

    /**
     * Whether only the declaring connection may use it.
     *
     * @return the exclusive flag
     */
    public boolean exclusive() {
        return exclusive;
    }

    /**
     * Whether it is deleted when its last consumer goes.
     *
     * @return the auto-delete flag
     */
    public boolean autoDelete() {
        return autoDelete;
    }

    /**
     * Its {@code x-} arguments.
     *
     * @return the arguments, unmodifiable
     */
    public Map<String, Object> arguments() {
        return arguments;
    }

    // ---------------------------------------------------------------- the names before withX/x()

    /**
     * Deprecated name of {@link #withDurable(boolean)}.
     *
     * @param durable whether it survives a broker restart
     * @return a copy with this setting
     * @deprecated use {@link #withDurable(boolean)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec durable(boolean durable) {
        return withDurable(durable);
    }

    /**
     * Deprecated name of {@link #withExclusive(boolean)}.
     *
     * @param exclusive whether only this connection may use it
     * @return a copy with this setting
     * @deprecated use {@link #withExclusive(boolean)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec exclusive(boolean exclusive) {
        return withExclusive(exclusive);
    }

    /**
     * Deprecated name of {@link #withAutoDelete(boolean)}.
     *
     * @param autoDelete whether it is deleted when its last consumer goes
     * @return a copy with this setting
     * @deprecated use {@link #withAutoDelete(boolean)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec autoDelete(boolean autoDelete) {
        return withAutoDelete(autoDelete);
    }

    /**
     * Deprecated name of {@link #withArgument(String, Object)}.
     *
     * @param key the argument's name
     * @param value its value
     * @return a copy with this argument
     * @deprecated use {@link #withArgument(String, Object)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec argument(String key, Object value) {
        return withArgument(key, value);
    }

    /**
     * Deprecated name of {@link #withArguments(Map)}.
     *
     * @param more the arguments
     * @return a copy with these arguments
     * @deprecated use {@link #withArguments(Map)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec arguments(Map<String, Object> more) {
        return withArguments(more);
    }

    /**
     * Deprecated: this queue as a quorum queue; durable, not exclusive.
     *
     * @return a copy declared as a quorum queue
     * @deprecated use the factory {@link #quorum(String)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec quorum() {
        return withDurable(true).withExclusive(false).withArgument("x-queue-type", "quorum");
    }

    /**
     * Deprecated: this queue as a stream; durable, not exclusive, not auto-delete.
     *
     * @return a copy declared as a stream
     * @deprecated use the factory {@link #stream(String)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec stream() {
        return withDurable(true).withExclusive(false).withAutoDelete(false).withArgument("x-queue-type", "stream");
    }

    /**
     * Deprecated name of {@link #withMessageTtl(Duration)}.
     *
     * @param ttl the time to live
     * @return a copy with this argument
     * @deprecated use {@link #withMessageTtl(Duration)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec messageTtl(Duration ttl) {
        return withMessageTtl(ttl);
    }

    /**
     * Deprecated name of {@link #withDeadLetterExchange(String)}.
     *
     * @param exchange the dead-letter exchange
     * @return a copy with this argument
     * @deprecated use {@link #withDeadLetterExchange(String)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec deadLetterExchange(String exchange) {
        return withDeadLetterExchange(exchange);
    }

    /**
     * Deprecated name of {@link #withDeadLetterRoutingKey(String)}.
     *
     * @param routingKey the routing key
     * @return a copy with this argument
     * @deprecated use {@link #withDeadLetterRoutingKey(String)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec deadLetterRoutingKey(String routingKey) {
        return withDeadLetterRoutingKey(routingKey);
    }

    /**
     * Deprecated name of {@link #withMaxLength(long)}.
     *
     * @param messages the most messages
     * @return a copy with this argument
     * @deprecated use {@link #withMaxLength(long)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec maxLength(long messages) {
        return withMaxLength(messages);
    }

    /**
     * Deprecated name of {@link #withMaxLengthBytes(long)}.
     *
     * @param bytes the most body bytes
     * @return a copy with this argument
     * @deprecated use {@link #withMaxLengthBytes(long)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec maxLengthBytes(long bytes) {
        return withMaxLengthBytes(bytes);
    }

    /**
     * Deprecated name of {@link #withOverflow(Overflow)}.
     *
     * @param overflow what a full queue does with a new message
     * @return a copy with this argument
     * @deprecated use {@link #withOverflow(Overflow)}
     */
    @Deprecated(forRemoval = false)
    public QueueSpec overflow(Overflow overflow) {
        return withOverflow(overflow);
    }

    /**
     * Deprecated name of {@link #durable()}.
     *
     * @return the durable flag
     * @deprecated use {@link #durable()}
     */
    @Deprecated(forRemoval = false)
    public boolean isDurable() {
        return durable;
    }

    /**
     * Deprecated name of {@link #exclusive()}.
     *
     * @return the exclusive flag
     * @deprecated use {@link #exclusive()}
     */
    @Deprecated(forRemoval = false)
    public boolean isExclusive() {
        return exclusive;
    }

    /**
     * Deprecated name of {@link #autoDelete()}.
     *
     * @return the auto-delete flag
     * @deprecated use {@link #autoDelete()}
     */
    @Deprecated(forRemoval = false)
    public boolean isAutoDelete() {
        return autoDelete;
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
