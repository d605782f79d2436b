package dev.warren;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import dev.warren.internal.PropertyValues;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A message the broker delivered: from a {@link Subscription} (basic.deliver) or from
 * {@link BlockingChannel#get(String)} (basic.get). Thread-safe: it may be taken by one virtual
 * thread and settled by another.
 *
 * <h2>Reading it</h2>
 * The accessors mirror {@link Message}'s names and types ({@link #contentType()},
 * {@link #headers()}, {@link #correlationId()} ...), so what one program publishes with
 * {@code Message.withX(...)} another reads with {@code x()}; {@link #exchange()},
 * {@link #routingKey()}, {@link #redelivered()} and {@link #deliveryTag()} come from the
 * envelope. The raw amqp-client objects stay at hand as {@link #properties()} and
 * {@link #envelope()}.
 *
 * <h2>Settling</h2>
 * Unless it was delivered with auto-ack, a delivery must be settled exactly once, on the
 * channel it came from, with {@link #ack()}, {@link #nack(boolean)} or {@link #reject(boolean)};
 * until then the broker counts it against the consumer's prefetch and redelivers it to someone
 * when the channel closes (at-least-once). Settling is an asynchronous AMQP method: it is
 * written to the socket and returns, without waiting for the broker.
 *
 * <p>Settling a second time (also from another thread) throws {@link IllegalStateException} and
 * sends nothing: a second frame for the same delivery tag would make the broker close the
 * channel (406 PRECONDITION_FAILED unknown delivery tag). Settling after the channel closed
 * throws its {@link ClosedException} and sends nothing: the broker has already requeued the
 * message. Settling waits for nothing but the socket write, so interrupts do not stop it; it
 * may be called by an interrupted thread (a cancelled handler's cleanup), and leaves the
 * interrupt status as it found it.
 */
public interface Delivery {

    /**
     * The message body. This is the array the client received, not a copy: treat it as
     * read-only.
     *
     * @return the body; empty, never null, for a message without one
     */
    byte[] body();

    /**
     * The body decoded as UTF-8.
     *
     * @return the body as text
     */
    default String bodyAsString() {
        return new String(body(), StandardCharsets.UTF_8);
    }

    /**
     * The raw amqp-client message properties; the typed accessors below read the same values.
     *
     * @return the properties; never null
     */
    AMQP.BasicProperties properties();

    /**
     * The raw amqp-client envelope: delivery tag, redelivered flag, exchange and routing key.
     *
     * @return the envelope
     */
    Envelope envelope();

    // ---------------------------------------------------------------- envelope

    /**
     * The exchange the message was published to.
     *
     * @return the exchange's name; empty for the default exchange
     */
    default String exchange() {
        return envelope().getExchange();
    }

    /**
     * The routing key the message was published with.
     *
     * @return the routing key
     */
    default String routingKey() {
        return envelope().getRoutingKey();
    }

    /**
     * Whether the broker delivered this message before, to this or another consumer, without it
     * being acknowledged (a consumer's channel closed, or it was nacked with requeue): the
     * application may have processed it already.
     *
     * @return the redelivered flag
     */
    default boolean redelivered() {
        return envelope().isRedeliver();
    }

    /**
     * The delivery tag: what identifies the delivery on its channel when it is settled.
     *
     * @return the delivery tag
     */
    default long deliveryTag() {
        return envelope().getDeliveryTag();
    }

    // ---------------------------------------------------------------- properties

    /**
     * The headers, with every string as a {@link String}, also in nested tables and arrays
     * (amqp-client reads them as its {@code LongString}); numbers, booleans, byte arrays,
     * {@link java.util.Date}s, {@link java.util.List}s and {@link Map}s as sent.
     *
     * @return the headers, unmodifiable; empty when there are none
     */
    default Map<String, Object> headers() {
        return PropertyValues.readableHeaders(properties().getHeaders());
    }

    /**
     * One header, as {@link #headers()} gives it.
     *
     * @param name the header's name
     * @return its value; empty when the message has no such header (or it is a void field)
     * @throws NullPointerException if name is null
     */
    default Optional<Object> header(String name) {
        Objects.requireNonNull(name, "name");
        return Optional.ofNullable(headers().get(name));
    }

    /**
     * The MIME content type, e.g. {@code application/json}.
     *
     * @return the content type, or null
     */
    default String contentType() {
        return properties().getContentType();
    }

    /**
     * The content encoding, e.g. {@code gzip} or {@code utf-8}.
     *
     * @return the content encoding, or null
     */
    default String contentEncoding() {
        return properties().getContentEncoding();
    }

    /**
     * Whether it was published persistent (delivery mode 2).
     *
     * @return true for delivery mode 2
     */
    default boolean persistent() {
        return PropertyValues.persistent(properties());
    }

    /**
     * The application's message id.
     *
     * @return the message id, or null
     */
    default String messageId() {
        return properties().getMessageId();
    }

    /**
     * The correlation id (request/reply).
     *
     * @return the correlation id, or null
     */
    default String correlationId() {
        return properties().getCorrelationId();
    }

    /**
     * The address to reply to (request/reply).
     *
     * @return the reply-to address, or null
     */
    default String replyTo() {
        return properties().getReplyTo();
    }

    /**
     * The per-message TTL it was published with.
     *
     * @return the TTL, or null
     * @throws IllegalStateException if the expiration is not a number of milliseconds (RabbitMQ
     *         refuses such a message, so only another broker could deliver one)
     */
    default Duration expiration() {
        return PropertyValues.expiration(properties());
    }

    /**
     * The message priority.
     *
     * @return the priority, or null
     */
    default Integer priority() {
        return properties().getPriority();
    }

    /**
     * The timestamp (whole seconds, as AMQP keeps it).
     *
     * @return the timestamp, or null
     */
    default Instant timestamp() {
        return PropertyValues.timestamp(properties());
    }

    /**
     * The application's message type name.
     *
     * @return the type, or null
     */
    default String type() {
        return properties().getType();
    }

    /**
     * The user id the publisher gave (RabbitMQ checks it is the publishing connection's user).
     *
     * @return the user id, or null
     */
    default String userId() {
        return properties().getUserId();
    }

    /**
     * The publishing application's id.
     *
     * @return the app id, or null
     */
    default String appId() {
        return properties().getAppId();
    }

    // ---------------------------------------------------------------- settling

    /**
     * Acknowledges the delivery (basic.ack): the broker forgets the message.
     *
     * @throws IllegalStateException if it was settled already, or delivered with auto-ack
     * @throws ClosedException if its channel is closed (the broker has requeued it)
     */
    void ack();

    /**
     * Negatively acknowledges the delivery (basic.nack, single): the broker requeues it when
     * {@code requeue}, else drops it or dead-letters it if its queue has a dead-letter exchange.
     *
     * @param requeue whether the broker puts it back in its queue
     * @throws IllegalStateException if it was settled already, or delivered with auto-ack
     * @throws ClosedException if its channel is closed (the broker has requeued it)
     */
    void nack(boolean requeue);

    /**
     * Rejects the delivery (basic.reject); the same effect as {@link #nack(boolean)} for one
     * delivery, in the method AMQP 0-9-1 defines.
     *
     * @param requeue whether the broker puts it back in its queue
     * @throws IllegalStateException if it was settled already, or delivered with auto-ack
     * @throws ClosedException if its channel is closed (the broker has requeued it)
     */
    void reject(boolean requeue);

    /**
     * Whether nothing is left to settle: it was acked, nacked or rejected, or it was delivered
     * with auto-ack. A delivery whose channel closed unsettled stays unsettled (and settling it
     * throws the {@link ClosedException}).
     *
     * @return whether it is settled
     */
    boolean isSettled();
}
