package dev.warren.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One published message waiting for its confirm: a one-shot latch with an outcome, lighter than
 * a {@code CompletableFuture} (no completion stack, no signaller object), because the publish
 * path creates one per message and the confirm path completes thousands per second from
 * amqp-client's reader thread.
 */
final class Confirmation {
    /** The outcome of an ack. */
    static final Object ACKED = new Object();

    private static final VarHandle OUTCOME;

    static {
        try {
            OUTCOME = MethodHandles.lookup().findVarHandle(Confirmation.class, "outcome", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String exchange;
    final String routingKey;
    final com.rabbitmq.client.AMQP.BasicProperties properties;
    final byte[] body;
    final boolean mandatory;
    /** Told of a failure (anything but an ack) as it is set, or null; see {@link FailureListener}. */
    final FailureListener onFailure;
    /** Set by a basic.return before the ack; read after the ack, on the same thread. */
    int returnCode;
    String returnText;

    private volatile Object outcome;
    private volatile Thread waiter;

    Confirmation(String exchange, String routingKey, com.rabbitmq.client.AMQP.BasicProperties properties,
            byte[] body, boolean mandatory, FailureListener onFailure) {
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.properties = properties;
        this.body = body;
        this.mandatory = mandatory;
        this.onFailure = onFailure;
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
         * Whether the listener matches a returned mandatory message itself (by its own
         * properties); then the Publisher adds no sequence-number header, which saves copying
         * the headers of every message. A return is then not reported as a failure here.
         */
        default boolean matchesReturns() {
            return false;
        }
    }

    /** Sets the outcome once ({@link #ACKED} or a Throwable); wakes the waiter. Never blocks. */
    boolean complete(Object result) {
        if (OUTCOME.compareAndSet(this, null, result)) {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
            if (result != ACKED && onFailure != null) {
                onFailure.failed(result);
            }
            return true;
        }
        return false;
    }

    boolean isDone() {
        return outcome != null;
    }

    /**
     * Waits for the outcome until {@code deadline} ({@link System#nanoTime()}; 0 for none).
     *
     * @return the outcome, or null when the deadline passed first
     */
    Object await(long deadline) throws InterruptedException {
        Object o = outcome;
        if (o != null) {
            return o;
        }
        waiter = Thread.currentThread();
        try {
            while ((o = outcome) == null) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                if (deadline == 0) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    LockSupport.parkNanos(this, left);
                }
            }
            return o;
        } finally {
            waiter = null;
        }
    }
}
