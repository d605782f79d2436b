package dev.warren;

import java.time.Duration;
import java.util.Iterator;

/**
 * A consumer on a queue (basic.consume), opened with {@link BlockingChannel#consume(String)}.
 * Thread-safe: any number of threads may take from it at once; each delivery reaches exactly
 * one of them, in the order the broker sent them.
 *
 * <pre>{@code
 * try (Subscription orders = ch.consume("orders")) {
 *     for (Delivery d : orders) {
 *         process(d.body());
 *         d.ack();
 *     }
 * }
 * }</pre>
 *
 * <h2>How it ends</h2>
 * <ul>
 *   <li>The broker cancels the consumer (typically because the queue was deleted): what was
 *       buffered can still be taken (and settled); then {@link #take()} and
 *       {@link #poll(Duration)} throw {@link ConsumerCancelledException}.</li>
 *   <li>The channel or its connection closes: {@link #take()} and {@link #poll(Duration)}
 *       throw its {@link ClosedException} at once, also in the threads waiting in them, and
 *       even if deliveries are buffered (they can no longer be settled; the broker requeues
 *       them).</li>
 *   <li>The application calls {@link #cancel()}: no new deliveries; what was buffered is
 *       handed out, then it ends as after {@link #close()} (a graceful drain).</li>
 *   <li>The application calls {@link #close()}: the consumer is cancelled, what was buffered
 *       and not taken is requeued, and {@link #take()} throws {@link IllegalStateException};
 *       iteration and {@link #handle} end normally.</li>
 * </ul>
 *
 * <h2>Interrupts</h2>
 * A thread interrupted while waiting in {@link #take()}, {@link #poll(Duration)} or
 * {@link #handle} throws {@link InterruptedException} and leaves the subscription as it was;
 * if the interrupt came from the channel's close (which cancels the channel's subtasks) it
 * throws the {@link ClosedException} instead, with the interrupt status set.
 */
public interface Subscription extends AutoCloseable, Iterable<Delivery> {

    /**
     * The queue consumed.
     *
     * @return the queue consumed
     */
    String queue();

    /**
     * The consumer tag (the broker's choice unless {@link ConsumeOptions#withConsumerTag} set one).
     *
     * @return the consumer tag (the broker's choice unless {@link ConsumeOptions#withConsumerTag} set one)
     */
    String consumerTag();

    /**
     * Whether deliveries may still arrive: neither closed by the application nor cancelled by
     * the broker, and the channel open. Buffered deliveries may remain after it turns false.
     *
     * @return whether deliveries may still arrive: neither closed by the application nor cancelled by the
     *         broker, and the channel open
     */
    boolean isActive();

    /**
     * Takes the next delivery in broker order, waiting for one as long as it takes.
     *
     * @return the next delivery
     * @throws ConsumerCancelledException when the broker cancelled the consumer and nothing buffered is left
     * @throws ClosedException when the channel or connection closed (at once, even if deliveries are
     *         buffered)
     * @throws IllegalStateException when the subscription was closed by the application, or
     *         cancelled by it ({@link #cancel()}) and nothing buffered is left
     * @throws InterruptedException when interrupted while waiting and the channel is open
     */
    Delivery take() throws InterruptedException;

    /**
     * Takes the next delivery, waiting up to {@code timeout} for one; as
     * {@link java.util.concurrent.BlockingQueue#poll(long, java.util.concurrent.TimeUnit)} it
     * returns null when the time ran out. A zero or negative timeout does not wait.
     *
     * @param timeout how long to wait at most
     * @return the delivery, or null if none arrived in time
     * @throws NullPointerException if timeout is null
     * @throws ConsumerCancelledException when the broker cancelled the consumer and nothing buffered is left
     * @throws ClosedException when the channel or connection closed (at once, even if deliveries are
     *         buffered)
     * @throws IllegalStateException when the subscription was closed by the application, or
     *         cancelled by it ({@link #cancel()}) and nothing buffered is left
     * @throws InterruptedException when interrupted while waiting and the channel is open
     */
    Delivery poll(Duration timeout) throws InterruptedException;

    /**
     * Iterates over deliveries as they arrive: {@code hasNext()} waits like {@link #take()}.
     * Iteration ends normally (hasNext is false) when the subscription is closed by the
     * application, or cancelled by it and drained; it throws {@link ConsumerCancelledException} or the {@link ClosedException}
     * when it ended otherwise. The deliveries must still be settled.
     *
     * <p>Since an iterator cannot throw {@link InterruptedException}, an interrupt while
     * {@code hasNext()} waits throws {@link java.util.concurrent.CancellationException} with the
     * thread's interrupt status set (or the {@link ClosedException} when the interrupt came from
     * the channel's close).
     */
    @Override
    Iterator<Delivery> iterator();

    /**
     * Handles deliveries until the subscription ends, each in a new subtask of the channel, at
     * most {@code concurrency} at once; a delivery is taken from the buffer only when a handler
     * may start on it, so the rest stay requeueable by {@link #close()}. A normal return of the
     * handler acks its delivery (unless the handler settled it itself); an exception nacks it
     * with {@code requeue=false}, see {@link #handle(int, DeliveryHandler, boolean)}. May be
     * called from any thread.
     *
     * <p>It returns normally when the subscription is closed by the application (from another
     * thread, or from a handler), after the running handlers have finished; at once if it was
     * closed already. After {@link #cancel()} it first hands what is buffered to handlers, then
     * returns once they have finished and settled.
     *
     * @param concurrency how many may run at once
     * @param handler what handles each one
     * @throws IllegalArgumentException if concurrency is less than 1
     * @throws NullPointerException if handler is null
     * @throws ConsumerCancelledException when the broker cancelled the consumer; the running
     *         handlers finish (and settle) first
     * @throws ClosedException when the channel or connection closed; the running handlers are
     *         cancelled (interrupted) by the close and this waits for them
     * @throws java.util.concurrent.CancellationException when the channel's subtasks were
     *         cancelled because one of them failed (its failure is what {@code join()} throws);
     *         the delivery taken meanwhile is requeued
     * @throws InterruptedException when the calling thread was interrupted; the running handlers
     *         are interrupted too (their deliveries are nacked with requeue) and this waits for them
     */
    void handle(int concurrency, DeliveryHandler handler) throws InterruptedException;

    /**
     * As {@link #handle(int, DeliveryHandler)}, choosing what a handler's exception does.
     *
     * <p>The default, {@code requeueOnFailure=false}, nacks without requeue: the message is
     * dropped, or dead-lettered if its queue has a dead-letter exchange (configure one to keep
     * failures). Requeueing would hand a message that always fails (a poison message) back to
     * the front of the queue at once, forever, at full speed. Pass {@code true} for failures
     * that are transient (a database down), ideally with a delivery limit on a quorum queue.
     * Whatever the policy, a handler cancelled by interrupt ({@link InterruptedException}) has
     * its delivery requeued.
     *
     * <p>With auto-ack there is nothing to settle: a handler's exception loses its message.
     *
     * <p>A dropped message is never silent: every delivery nacked without requeue (or lost with
     * auto-ack) because its handler threw is reported to the subscription's
     * {@link ConsumeOptions#withOnDropped(java.util.function.BiConsumer) onDropped} listener, or
     * logged as a warning when it has none. To keep such messages rather than drop them, give
     * the queue a {@linkplain QueueSpec#withDeadLetterExchange(String) dead-letter exchange}.
     *
     * @param requeueOnFailure whether an exception from the handler requeues the delivery
     * @param concurrency how many may run at once
     * @param handler what handles each one
     * @throws IllegalArgumentException if concurrency is less than 1
     * @throws NullPointerException if handler is null
     * @throws ConsumerCancelledException when the broker cancelled the consumer
     * @throws ClosedException when the channel or connection closed
     * @throws InterruptedException when the calling thread was interrupted
     */
    void handle(int concurrency, DeliveryHandler handler, boolean requeueOnFailure) throws InterruptedException;

    /**
     * Stops new deliveries and lets what is buffered drain: sends basic.cancel (waiting in the
     * channel's slot for the broker's cancel-ok, after which no delivery follows), and then
     * {@link #take()}, {@link #poll(Duration)}, the iterator and {@link #handle} hand out what is
     * still buffered, in order, and end: {@code take()} and {@code poll} throw
     * {@link IllegalStateException}, {@code hasNext()} returns false, and {@code handle} returns
     * normally once its running handlers have finished and settled. Every delivery handed out,
     * before or after, can still be settled while the channel is open. Use it for a graceful stop
     * (a redeploy); {@link BlockingConnection#close(Duration)} does it for every subscription.
     *
     * <p>Deliveries nobody takes stay buffered (unacknowledged) until {@link #close()} requeues
     * them, or the channel's close does. When the broker cancelled the consumer first, this does
     * nothing and the subscription still ends with {@link ConsumerCancelledException}; when the
     * subscription or its channel is closed already, it does nothing either. Idempotent; may be
     * called from any thread, but not from amqp-client's (it waits for the broker). If
     * interrupted meanwhile it finishes anyway and keeps the interrupt status set.
     */
    void cancel();

    /**
     * Cancels the consumer (basic.cancel, waiting in the channel's slot for the broker's
     * answer), then requeues (basic.nack with requeue) every delivery that was buffered and not
     * taken, in order (a stream's deliveries are acked instead, since a stream refuses a nack:
     * see {@link StreamOffset}). Deliveries already taken are the takers' to settle. Threads waiting in
     * {@link #take()} wake and throw {@link IllegalStateException}; iteration and
     * {@link #handle} end normally.
     *
     * <p>With auto-ack the buffered deliveries cannot be given back and are dropped.
     *
     * <p>Idempotent and quiet: when the broker already cancelled the consumer it only requeues
     * the buffer; when the channel is closed it does nothing (the broker requeued everything
     * unsettled). If interrupted meanwhile it finishes anyway and keeps the interrupt status set.
     */
    @Override
    void close();
}
