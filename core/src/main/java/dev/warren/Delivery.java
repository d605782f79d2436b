package dev.warren;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import java.nio.charset.StandardCharsets;

/**
 * A message the broker delivered: from a {@link Subscription} (basic.deliver) or from
 * {@link BlockingChannel#get(String)} (basic.get). Thread-safe: it may be taken by one virtual
 * thread and settled by another.
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
 * message. Settling does not block on futures, so it has nothing to say about interrupts.
 */
public interface Delivery {

    /**
     * The message body. This is the array the client received, not a copy: treat it as
     * read-only.
     */
    byte[] body();

    /** The body decoded as UTF-8. */
    default String bodyAsString() {
        return new String(body(), StandardCharsets.UTF_8);
    }

    /** The message properties (content type, headers, correlation id, reply-to ...); never null. */
    AMQP.BasicProperties properties();

    /** The delivery tag, the redelivered flag, the exchange and the routing key it was published with. */
    Envelope envelope();

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
     * @throws IllegalStateException if it was settled already, or delivered with auto-ack
     * @throws ClosedException if its channel is closed (the broker has requeued it)
     */
    void nack(boolean requeue);

    /**
     * Rejects the delivery (basic.reject); the same effect as {@link #nack(boolean)} for one
     * delivery, in the method AMQP 0-9-1 defines.
     *
     * @throws IllegalStateException if it was settled already, or delivered with auto-ack
     * @throws ClosedException if its channel is closed (the broker has requeued it)
     */
    void reject(boolean requeue);

    /**
     * Whether nothing is left to settle: it was acked, nacked or rejected, or it was delivered
     * with auto-ack. A delivery whose channel closed unsettled stays unsettled (and settling it
     * throws the {@link ClosedException}).
     */
    boolean isSettled();
}
