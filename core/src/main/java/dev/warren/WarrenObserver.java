package dev.warren;

import java.time.Duration;
import java.util.Map;

/**
 * Sees what a connection does, for metrics and traces: set one with
 * {@link ConnectionOptions#withObserver(WarrenObserver)}. Every method has a no-op default, so an
 * observer overrides only what it needs. Warren's optional modules implement it
 * ({@code warren-micrometer}, {@code warren-opentelemetry}); core stays free of their libraries.
 *
 * <p><b>Threads.</b> Its methods run on Warren's threads (publishers, callers, handlers, the
 * connection's writer, timeout threads) and on amqp-client's reader thread (deliveries, the
 * close). They must be quick and must <em>never block</em>: a method that waits stalls every
 * confirm, delivery and reply of the connection. Any of them may run concurrently with any
 * other. A method that throws does not change the operation it observes; its exception is
 * logged as a warning and dropped.
 *
 * <p><b>Cost.</b> Without an observer (and without a JFR recording) Warren makes none of these
 * calls and allocates nothing for them. With one, the metric methods cost one call each; the
 * tracing hooks ({@link #startPublish}, {@link #startCall}, {@link #startHandle}) are made only
 * when {@link #tracesMessages()} says so, because they copy the headers of every message.
 */
public interface WarrenObserver {

    /** How an observed operation ended; {@link #tag()} is its name in metrics and traces. */
    enum Outcome {
        /** A publish was confirmed by the broker; a handler returned (its delivery was acked). */
        ACK,
        /** A call got its reply. */
        REPLY,
        /** The broker nacked the message. */
        NACK,
        /** The broker returned a mandatory message it could not route (312). */
        RETURN,
        /** The operation's timeout passed first. */
        TIMEOUT,
        /** The channel or connection closed first. */
        CLOSED,
        /** The waiting thread was interrupted while the channel was open. */
        INTERRUPTED,
        /** Anything else: a handler threw, a message could not be encoded. */
        FAILED;

        private final String tag = name().toLowerCase(java.util.Locale.ROOT);

        /**
         * The outcome's name in lower case, e.g. {@code ack}, for tags and attributes.
         *
         * @return the outcome's name in lower case
         */
        public String tag() {
            return tag;
        }
    }

    /**
     * An operation that a tracing hook started (a span); ended once, on the thread that
     * started it, when the operation ends.
     */
    interface Operation {
        /**
         * Ends the operation.
         *
         * @param outcome how it ended
         * @param failure what it threw, or null on success
         */
        void end(Outcome outcome, Throwable failure);
    }

    /**
     * A publish ended: confirmed, nacked, returned, timed out or failed by the close. Called on
     * the publishing thread; for {@link BlockingChannel#publishDeferred}, on the thread that
     * set the outcome (often amqp-client's reader: must not block), and {@code nanos} runs from
     * the call to the outcome.
     *
     * @param exchange the exchange it was sent to ({@code ""} for the default exchange)
     * @param routingKey its routing key
     * @param bodySize its body's size in bytes
     * @param outcome how it ended
     * @param nanos from the call to the outcome, in nanoseconds
     */
    default void published(String exchange, String routingKey, int bodySize, Outcome outcome, long nanos) {
    }

    /**
     * A request/reply call ended. Called on the calling thread.
     *
     * @param exchange the exchange the request was sent to
     * @param routingKey the request's routing key
     * @param outcome how it ended ({@link Outcome#REPLY} on success)
     * @param nanos from the call to the outcome, in nanoseconds
     */
    default void called(String exchange, String routingKey, Outcome outcome, long nanos) {
    }

    /**
     * A delivery arrived for a subscription (not for a call's reply). Called on amqp-client's
     * reader thread: must not block.
     *
     * @param queue the subscription's queue
     */
    default void delivered(String queue) {
    }

    /**
     * The application acked a delivery (also {@code handle()} and {@code serve()} on a normal
     * return). Called on the thread that acked it.
     */
    default void acked() {
    }

    /**
     * The application nacked or rejected a delivery (also {@code handle()} when a handler threw).
     * Called on the thread that nacked it.
     *
     * @param requeue whether the broker was asked to requeue it
     */
    default void nacked(boolean requeue) {
    }

    /**
     * A {@code take()}, {@code poll(timeout)} or iteration step of a subscription returned a
     * delivery (not a {@code handle()} run: that is {@link #startHandle}). Called only when
     * {@link #tracesMessages()} says so, on the taking thread, after the wait: a tracer makes a
     * receive span from {@code waitedNanos} ago to now, linked to the context the delivery carries.
     *
     * @param queue the subscription's queue
     * @param delivery what was taken
     * @param waitedNanos from the call to its return, in nanoseconds
     */
    default void received(String queue, Delivery delivery, long waitedNanos) {
    }

    /**
     * The observer for one connection's operations: called once per connection as it opens,
     * before anything else, with the connection's gauges; every later call for that connection
     * (including {@link #connectionOpened}) goes to the observer returned. A tracer returns a copy
     * that knows the broker's address ({@link ConnectionStats#serverAddress()}) for its spans;
     * the default returns this observer.
     *
     * @param connection the connection's gauges and broker address
     * @return the observer for this connection, never null
     */
    default WarrenObserver forConnection(ConnectionStats connection) {
        return this;
    }

    /**
     * A connection with this observer opened; {@code stats} reads its gauges at any time (until
     * and after it closes, when they read 0). Called once per connection, before it is used.
     *
     * @param stats the connection's gauges
     */
    default void connectionOpened(ConnectionStats stats) {
    }

    /**
     * The connection closed (by the application or lost); its gauges now read 0.
     *
     * @param stats the connection's gauges, as given to {@link #connectionOpened}
     */
    default void connectionClosed(ConnectionStats stats) {
    }

    /**
     * A channel closed. Called on the thread that closed it (often amqp-client's reader): must
     * not block.
     *
     * @param replyCode the reply code (200 for a normal close, 0 for one Warren made itself)
     * @param replyText the reply text
     * @param failedMethod the AMQP method the close refers to (e.g. {@code queue.declare}), or null
     * @param initiatedByBroker whether the broker closed it
     * @param failedOperations how many pending operations the close failed
     * @param cancelledSubtasks how many of the channel's subtasks it interrupted
     */
    default void channelClosed(int replyCode, String replyText, String failedMethod, boolean initiatedByBroker,
            int failedOperations, int cancelledSubtasks) {
    }

    /**
     * A connection that recovery replaces was lost (called by connection recovery).
     *
     * @param connectionName the connection's name, or null
     * @param cause what closed it
     */
    default void connectionLost(String connectionName, ClosedException cause) {
    }

    /**
     * A lost connection was replaced by a new one (called by connection recovery).
     *
     * @param connectionName the connection's name, or null
     * @param attempts the connection attempts it took
     * @param outage from the loss to the new connection
     */
    default void recovered(String connectionName, int attempts, Duration outage) {
    }

    /**
     * Whether Warren calls the tracing hooks ({@link #startPublish}, {@link #startCall},
     * {@link #startHandle}). Read once when a connection opens.
     *
     * @return whether to call the tracing hooks; false by default
     */
    default boolean tracesMessages() {
        return false;
    }

    /**
     * A publish starts, on the publishing thread, before the message is checked and queued: the
     * hook may add headers (e.g. W3C {@code traceparent}) to {@code headers}, a mutable copy of
     * the message's headers that is sent in their place.
     *
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param headers the message's headers, mutable; what it holds when this returns is sent
     * @param properties the message's properties as given (message id, correlation id, ...), read
     *                   only; their headers are {@code headers}'s source
     * @return the operation to end with the publish's outcome, or null
     */
    default Operation startPublish(String exchange, String routingKey, Map<String, Object> headers,
            com.rabbitmq.client.AMQP.BasicProperties properties) {
        return null;
    }

    /**
     * A request/reply call starts, on the calling thread: as {@link #startPublish} for its
     * request; ended when the reply (or the failure) comes.
     *
     * @param exchange the exchange
     * @param routingKey the routing key
     * @param headers the request's headers, mutable; what it holds when this returns is sent
     * @param properties the request's properties, with the correlation id Warren gave it, read only
     * @return the operation to end with the call's outcome, or null
     */
    default Operation startCall(String exchange, String routingKey, Map<String, Object> headers,
            com.rabbitmq.client.AMQP.BasicProperties properties) {
        return null;
    }

    /**
     * A {@code handle()} handler (or a {@code serve()} request handler) starts on one delivery,
     * on the handler's own thread; the operation ends on the same thread when the handler
     * returns or throws, so a hook may make a context current for the handler's run.
     *
     * @param queue the queue the delivery came from
     * @param delivery the delivery (its headers may carry a {@code traceparent})
     * @param serve whether it is a {@code serve()} request
     * @return the operation to end with the handler's outcome, or null
     */
    default Operation startHandle(String queue, Delivery delivery, boolean serve) {
        return null;
    }

    /**
     * Several observers as one, for a connection, which takes one (metrics and traces side by
     * side): each event goes to every observer in the order given; the tracing hooks go to those
     * whose {@link #tracesMessages()} is true, and their operations end together, the last
     * started first.
     *
     * @param observers the observers; none gives an observer that does nothing, one gives itself
     * @return the observers as one
     * @throws NullPointerException if {@code observers} or one of them is null
     */
    static WarrenObserver combine(WarrenObserver... observers) {
        WarrenObserver combined = dev.warren.internal.CombinedObserver.of(java.util.List.of(observers));
        return combined != null ? combined : new WarrenObserver() { };
    }
}
