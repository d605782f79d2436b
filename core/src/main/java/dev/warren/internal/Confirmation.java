package dev.warren.internal;

import dev.warren.DeferredConfirm;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One published message, from its queueing to its confirm: the frame the writer writes and the
 * latch its publisher waits on. Its outcome is {@link #ACKED} or the failure (a Warren
 * exception, or the close).
 */
final class Confirmation extends OneShot implements Outbound, DeferredConfirm {
    /** The outcome of an ack. */
    static final Object ACKED = new Object();
    /** Orders confirmations with a deadline by {@link #order}, for a lock-free sorted set of them. */
    static final java.util.Comparator<Confirmation> BY_ORDER = java.util.Comparator.comparingLong(c -> c.order);
    private static final java.util.concurrent.atomic.AtomicLong ORDERS = new java.util.concurrent.atomic.AtomicLong();

    private static final int QUEUED = 0;
    private static final int WRITTEN = 1;
    private static final int WITHDRAWN = 2;
    private static final VarHandle PHASE;

    static {
        try {
            PHASE = MethodHandles.lookup().findVarHandle(Confirmation.class, "phase", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Publisher publisher;
    final String exchange;
    final String routingKey;
    final com.rabbitmq.client.AMQP.BasicProperties properties;
    final byte[] body;
    final boolean mandatory;
    /** Told of a failure (anything but an ack) as it is set, or null; see {@link FailureListener}. */
    final FailureListener onFailure;
    /** Told of the outcome, whatever it is, as it is set (an observed deferred publish), or null. */
    final Consumer<Object> onOutcome;
    /** Unique among confirmations with a deadline (0 for those without): see {@link #BY_ORDER}. */
    final long order;
    private volatile int phase;
    /** Its sequence number, set by the writer when it is written; 0 before. */
    long seq;
    /** Set by a basic.return before the ack; read after the ack, on the same thread. */
    int returnCode;
    String returnText;

    Confirmation(Publisher publisher, String exchange, String routingKey,
            com.rabbitmq.client.AMQP.BasicProperties properties, byte[] body, boolean mandatory, long deadline,
            FailureListener onFailure, Consumer<Object> onOutcome) {
        super(deadline);
        this.publisher = publisher;
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.properties = properties;
        this.body = body;
        this.mandatory = mandatory;
        this.onFailure = onFailure;
        this.onOutcome = onOutcome;
        this.order = deadline == 0 ? 0 : ORDERS.incrementAndGet();
    }

    @Override
    public void await() throws InterruptedException {
        publisher.awaitDeferred(this, 0);
    }

    @Override
    public boolean await(Duration timeout) throws InterruptedException {
        long nanos = Durations.saturatedNanos(java.util.Objects.requireNonNull(timeout, "timeout"));
        if (nanos <= 0) {
            return isDone() && publisher.awaitDeferred(this, 0);
        }
        return publisher.awaitDeferred(this, Timeouts.deadlineIn(nanos));
    }

    @Override
    public void write() throws IOException {
        publisher.write(this);
    }

    @Override
    public void abandon(Throwable cause) {
        publisher.abandoned(this, cause);
    }

    /** On the writer: whether it may be written (it was not withdrawn); after this, it cannot be. */
    boolean claimForWrite() {
        return PHASE.compareAndSet(this, QUEUED, WRITTEN);
    }

    /** Whether the writer took it to write it. */
    boolean written() {
        return phase == WRITTEN;
    }

    /** Whether it was taken back (then it was never written). */
    boolean withdrawn() {
        return phase == WITHDRAWN;
    }

    /** Whether it was taken back before the writer got to it; after this it is never written. */
    boolean withdraw() {
        return PHASE.compareAndSet(this, QUEUED, WITHDRAWN);
    }

    /**
     * Learns of a message's failure (nack, return, the channel's close) as soon as it is known,
     * for a caller that waits on something else (a request/reply call waits for the reply, not
     * the confirm). Called once, on the completing thread (often amqp-client's reader): must
     * not block. An ack calls nothing, so the success path costs no allocation.
     */
    interface FailureListener {
        void failed(Object failure);

        /**
         * Whether the listener matches a returned mandatory message itself (a request/reply call
         * by its correlation id); the Publisher then leaves that message's returns to it.
         */
        default boolean matchesReturns() {
            return false;
        }
    }

    @Override
    void completed(Object result) {
        if (result != ACKED && result != TIMED_OUT && onFailure != null) {
            onFailure.failed(result);
        }
        if (onOutcome != null) {
            onOutcome.accept(result);
        }
    }
}
