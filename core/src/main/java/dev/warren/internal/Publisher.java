package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ReturnListener;
import dev.warren.ClosedException;
import dev.warren.PublishNackedException;
import dev.warren.PublishTimeoutException;
import dev.warren.UnroutableException;
import dev.warren.WarrenException;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Confirmed publishing on one channel, for any number of concurrent publishers.
 *
 * <p>Publishers never wait for each other's socket writes: each hands its message to a queue,
 * and whichever publisher gets the write lock writes everything queued (taking the sequence
 * number and writing the frame together, as confirm mode requires), so a burst of publishers
 * costs one lock acquisition, not one hand-off per message. Each then waits for its own
 * {@link Confirmation}, which amqp-client's reader thread completes from the ack, nack or
 * return, or the channel's close fails.
 */
public final class Publisher {
    /** Permits released on close so that every publisher waiting for room wakes up and fails. */
    private static final int FLUSH_PERMITS = Integer.MAX_VALUE / 2;
    /** The header that carries the sequence number of a mandatory message, to match its return. */
    static final String SEQ_HEADER = "x-warren-publish-seq";

    private final ChannelContext ctx;
    private final Channel raw;
    private final BlockedGate gate;
    private final Duration timeout;
    private final int maxUnconfirmed;
    private final Semaphore room;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Confirmation> toWrite = new ConcurrentLinkedQueue<>();
    private final ConfirmTable unconfirmed;
    private final java.util.function.Consumer<Confirmation> onAck = this::acked;
    private final java.util.function.Consumer<Confirmation> onNack = this::nacked;
    /** Publishes waiting for their confirm with a deadline, and the thread that ends them; null without a timeout. */
    private final Set<Confirmation> timed;
    private final Timeouts timeouts;

    public Publisher(ChannelContext ctx, BlockedGate gate, int maxUnconfirmed, Duration timeout) {
        this.ctx = ctx;
        this.raw = ctx.raw();
        this.gate = gate;
        this.timeout = timeout;
        this.maxUnconfirmed = maxUnconfirmed;
        this.room = new Semaphore(maxUnconfirmed);
        this.unconfirmed = new ConfirmTable(maxUnconfirmed);
        this.timed = timeout == null ? null : ConcurrentHashMap.newKeySet();
        this.timeouts = timeout == null ? null
                : new Timeouts(timed, "warren-ch" + ctx.number() + "-publish-timeouts");
        raw.addConfirmListener(new ConfirmListener() {
            @Override
            public void handleAck(long tag, boolean multiple) {
                settle(tag, multiple, true);
            }

            @Override
            public void handleNack(long tag, boolean multiple) {
                settle(tag, multiple, false);
            }
        });
        raw.addReturnListener(returned());
        ctx.onClose(this::failAll);
    }

    /** Whether the thread that ends publishes at their timeout runs (for tests). */
    public boolean timeoutsAlive() {
        return timeouts != null && timeouts.thread().isAlive();
    }

    /** Messages published and not yet confirmed (for tests and diagnostics). */
    public int unconfirmedCount() {
        return maxUnconfirmed - room.availablePermits();
    }

    /**
     * Publishes one message and waits for its confirm.
     *
     * @throws PublishNackedException on a nack
     * @throws UnroutableException when a mandatory message was returned
     * @throws PublishTimeoutException when the publish timeout passed
     * @throws ClosedException when the channel closed first (outcome unknown if it was sent)
     * @throws InterruptedException when interrupted while the channel is open (the message may
     *         or may not have been sent)
     */
    public void publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            boolean mandatory) throws InterruptedException {
        long deadline = deadline();
        Confirmation c = send(exchange, routingKey, props, body, mandatory, deadline);
        RuntimeException failure = outcome(c, deadline);
        if (failure != null) {
            throw failure;
        }
    }

    /** The first half of a publish: waits for the gate and for room, then queues and writes. */
    Confirmation send(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            boolean mandatory, long deadline) throws InterruptedException {
        return send(exchange, routingKey, props, body, mandatory, deadline, null);
    }

    /** As above, telling {@code onFailure} of a failure as soon as it is known (see {@link Confirmation}). */
    Confirmation send(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            boolean mandatory, long deadline, Confirmation.FailureListener onFailure) throws InterruptedException {
        ctx.ensureOpen();
        if (gate.isBlocked()) {
            awaitUnblocked(deadline);
        }
        acquireRoom(deadline);
        Confirmation c = new Confirmation(exchange, routingKey, props, body, mandatory, deadline, onFailure);
        toWrite.offer(c);
        drain();
        return c;
    }

    /** The second half: waits for the outcome; returns the failure to throw, or null on an ack. */
    RuntimeException outcome(Confirmation c, long deadline) throws InterruptedException {
        Object o;
        try {
            o = deadline == 0 ? c.await(0) : awaitWithin(c);
        } catch (InterruptedException e) {
            throw ctx.closedOr(e);
        }
        if (o == OneShot.TIMED_OUT) {
            return new PublishTimeoutException("waiting for the broker's confirm", timeout, true);
        }
        if (o == Confirmation.ACKED) {
            return null;
        }
        // A Warren exception as it is (the close as a copy for this caller), anything else mapped.
        return ctx.translate((Throwable) o);
    }

    /** Waits for the confirm until the message's deadline, which the channel's {@link Timeouts} thread keeps. */
    private Object awaitWithin(Confirmation c) throws InterruptedException {
        timed.add(c);
        try {
            timeouts.start();
            timeouts.register(c.deadline);
            return c.await(0);
        } finally {
            timed.remove(c);
        }
    }

    /** Publishes several messages, all in flight at once, and collects each one's outcome. */
    public Map<Integer, WarrenException> publishAll(String exchange, String routingKey,
            java.util.List<dev.warren.Message> messages) throws InterruptedException {
        long deadline = deadline();
        Confirmation[] sent = new Confirmation[messages.size()];
        Map<Integer, WarrenException> failures = new HashMap<>();
        for (int i = 0; i < sent.length; i++) {
            dev.warren.Message m = messages.get(i);
            try {
                sent[i] = send(exchange, routingKey, m.properties(), m.body(), m.mandatory(), deadline);
            } catch (WarrenException e) {
                failures.put(i, e);
            }
        }
        for (int i = 0; i < sent.length; i++) {
            if (sent[i] != null) {
                RuntimeException f = outcome(sent[i], deadline);
                if (f instanceof WarrenException w) {
                    failures.put(i, w);
                } else if (f != null) {
                    throw f;
                }
            }
        }
        return failures;
    }

    private long deadline() {
        if (timeout == null) {
            return 0;
        }
        return Timeouts.deadlineIn(timeout.toNanos());
    }

    private void awaitUnblocked(long deadline) throws InterruptedException {
        try {
            if (deadline == 0) {
                ctx.await(gate.whenOpen());
            } else {
                ctx.await(gate.whenOpen(), Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (TimeoutException e) {
            throw new PublishTimeoutException("while the broker blocked the connection (" + gate.reason() + ")",
                    timeout, false);
        }
        ctx.ensureOpen();
    }

    private void acquireRoom(long deadline) throws InterruptedException {
        try {
            if (deadline == 0) {
                room.acquire();
            } else if (!room.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new PublishTimeoutException("waiting for room under the bound of " + maxUnconfirmed
                        + " unconfirmed messages", timeout, false);
            }
        } catch (InterruptedException e) {
            throw ctx.closedOr(e);
        }
        ClosedException closed = ctx.closedCause();
        if (closed != null) {
            throw closed.forCaller();
        }
    }

    /**
     * Writes everything queued, by whichever publisher holds the lock. The loop re-checks the
     * queue after unlocking, so a message queued while the holder was finishing is never left
     * behind.
     */
    private void drain() {
        while (!toWrite.isEmpty() && writeLock.tryLock()) {
            try {
                Confirmation c;
                while ((c = toWrite.poll()) != null) {
                    write(c);
                }
            } finally {
                writeLock.unlock();
            }
        }
    }

    private void write(Confirmation c) {
        long seq = raw.getNextPublishSeqNo();
        unconfirmed.put(seq, c);
        // Written first, read second: either failAll() sees this entry, or this sees the close.
        ClosedException closed = ctx.closedCause();
        if (closed != null) {
            fail(seq, c, closed);
            return;
        }
        AMQP.BasicProperties props = c.properties;
        if (c.mandatory && (c.onFailure == null || !c.onFailure.matchesReturns())) {
            props = withSeqHeader(props, seq);
        }
        AMQP.BasicProperties p = props;
        try {
            Scope.shielded(() -> {
                raw.basicPublish(c.exchange, c.routingKey, c.mandatory, p, c.body);
                return null;
            });
        } catch (IOException | RuntimeException e) {
            RuntimeException mapped = ctx.translate(e);
            fail(seq, c, mapped);
        }
    }

    private void fail(long seq, Confirmation c, Throwable t) {
        if (unconfirmed.remove(seq, c)) {
            room.release();
        }
        c.complete(t);
    }

    private static AMQP.BasicProperties withSeqHeader(AMQP.BasicProperties props, long seq) {
        Map<String, Object> headers = new HashMap<>();
        if (props.getHeaders() != null) {
            headers.putAll(props.getHeaders());
        }
        headers.put(SEQ_HEADER, seq);
        return props.builder().headers(headers).build();
    }

    /**
     * On amqp-client's reader thread: frees the room of the confirmed messages, then completes
     * them, so that a publisher that returns never sees its own message still counted.
     */
    private void settle(long tag, boolean multiple, boolean ack) {
        if (multiple) {
            unconfirmed.removeUpTo(tag, ack ? onAck : onNack);
        } else {
            Confirmation c = unconfirmed.removeOne(tag);
            if (c != null) {
                room.release();
                resolve(c, ack);
            }
        }
    }

    private void acked(Confirmation c) {
        room.release();
        resolve(c, true);
    }

    private void nacked(Confirmation c) {
        room.release();
        resolve(c, false);
    }

    private static void resolve(Confirmation c, boolean ack) {
        if (c.returnText != null) {
            // A returned mandatory message is acked after its basic.return.
            c.complete(new UnroutableException(c.returnCode, c.returnText, c.exchange, c.routingKey));
        } else if (ack) {
            c.complete(Confirmation.ACKED);
        } else {
            c.complete(new PublishNackedException(c.exchange, c.routingKey));
        }
    }

    private ReturnListener returned() {
        return (replyCode, replyText, exchange, routingKey, properties, body) -> {
            Object seq = properties.getHeaders() == null ? null : properties.getHeaders().get(SEQ_HEADER);
            if (seq instanceof Long s) {
                Confirmation c = unconfirmed.get(s);
                if (c != null) {
                    c.returnCode = replyCode;
                    c.returnText = replyText;
                }
            }
        };
    }

    /** On close: fails every message waiting for room, a write, or a confirm. Never blocks. */
    private void failAll(ClosedException closed) {
        if (timeouts != null) {
            timeouts.stop();
        }
        room.release(FLUSH_PERMITS);
        Confirmation c;
        while ((c = toWrite.poll()) != null) {
            c.complete(closed);
        }
        unconfirmed.drain(unsettled -> unsettled.complete(closed));
    }
}
