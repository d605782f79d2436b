package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ReturnListener;
import dev.warren.ClosedException;
import dev.warren.DeferredConfirm;
import dev.warren.Message;
import dev.warren.PublishNackedException;
import dev.warren.PublishTimeoutException;
import dev.warren.UnroutableException;
import dev.warren.WarrenException;
import dev.warren.WarrenObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Confirmed publishing on one channel, for any number of concurrent publishers.
 *
 * <p>A publisher checks its message, waits for the gate (a blocked connection) and for room
 * under the bound on unconfirmed messages, hands a {@link Confirmation} to the channel's
 * outbound queue and parks on it. The connection's {@link Writer} gives it its sequence number
 * and writes it ({@link #write}); amqp-client's reader completes it from the ack, nack or
 * return; the channel's close fails it. Sequence numbers are Warren's own, counted by the one
 * thread that writes, and taken only by a publish that amqp-client accepted, so they can never
 * drift from the broker's (amqp-client's own counter is never switched on: it counts before it
 * encodes, and a refused header would shift every later confirm).
 */
public final class Publisher {
    /** Permits released on close so that every publisher waiting for room wakes up and fails. */
    private static final int FLUSH_PERMITS = Integer.MAX_VALUE / 2;

    private final ChannelContext ctx;
    private final Telemetry telemetry;
    private final Channel raw;
    private final BlockedGate gate;
    private final Duration defaultTimeout;
    private final int maxUnconfirmed;
    private final Semaphore room;
    private final ConfirmTable unconfirmed;
    private final java.util.function.Consumer<Confirmation> onAck = this::acked;
    private final java.util.function.Consumer<Confirmation> onNack = this::nacked;
    /**
     * Publishes waiting for their confirm with a deadline, and the thread that ends them. A
     * skip list, not a hash set: a hash set locks its bins with monitors, and publishers
     * contending for one pinned their carriers on Java 21.
     */
    private final Set<Confirmation> timed = new ConcurrentSkipListSet<>(Confirmation.BY_ORDER);
    private final Timeouts timeouts;
    /** The sequence number of the next publish; written by the writer thread only. */
    private volatile long nextSeq = 1;

    /**
     * Puts the channel in confirm mode (confirm.select through the writer) and listens for its
     * confirms and returns.
     *
     * @param defaultTimeout the publish timeout of the connection's options, null for none
     */
    public Publisher(ChannelContext ctx, BlockedGate gate, int maxUnconfirmed, Duration defaultTimeout) {
        this.ctx = ctx;
        this.telemetry = ctx.telemetry();
        this.raw = ctx.raw();
        this.gate = gate;
        this.defaultTimeout = defaultTimeout;
        this.maxUnconfirmed = maxUnconfirmed;
        this.room = new Semaphore(maxUnconfirmed);
        this.unconfirmed = new ConfirmTable(maxUnconfirmed);
        this.timeouts = new Timeouts(timed, "warren-ch" + ctx.number() + "-publish-timeouts");
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
        ctx.countOnClose(this::waitingPublishes, () -> 0);
        ctx.rpcUninterruptibly(new AMQP.Confirm.Select.Builder().build());
    }

    /** Whether the thread that ends publishes at their timeout runs (for tests). */
    public boolean timeoutsAlive() {
        return timeouts.thread().isAlive();
    }

    /** Messages published and not yet confirmed (for tests and diagnostics). */
    public int unconfirmedCount() {
        return maxUnconfirmed - room.availablePermits();
    }

    /** The sequence number the next message written gets (what amqp-client's would say). */
    public long nextPublishSeqNo() {
        return nextSeq;
    }

    /** The connection's publish timeout, or null. */
    public Duration defaultTimeout() {
        return defaultTimeout;
    }

    /**
     * Publishes one message and waits for its confirm.
     *
     * @param timeout how long it may take in all, null for no limit
     * @throws IllegalArgumentException when the message cannot be encoded (nothing was sent)
     * @throws PublishNackedException on a nack
     * @throws UnroutableException when a mandatory message was returned
     * @throws PublishTimeoutException when the timeout passed
     * @throws ClosedException when the channel closed first (outcome unknown if it was sent)
     * @throws InterruptedException when interrupted while the channel is open (the message may
     *         or may not have been sent)
     */
    public void publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            boolean mandatory, Duration timeout) throws InterruptedException {
        if (telemetry.publishes()) {
            publishObserved(exchange, routingKey, props, body, mandatory, timeout);
            return;
        }
        long deadline = deadline(timeout);
        Confirmation c = send(exchange, routingKey, props, body, mandatory, deadline, timeout, null, null);
        RuntimeException failure = outcome(c, timeout);
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * {@link #publish} as the observer and JFR see it: timed from the call to the outcome, the
     * tracing hook's headers sent in place of the message's own.
     */
    private void publishObserved(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            boolean mandatory, Duration timeout) throws InterruptedException {
        ObservedPublish observed = new ObservedPublish(exchange, routingKey, props, body.length);
        try {
            long deadline = deadline(timeout);
            Confirmation c = send(exchange, routingKey, observed.sent, body, mandatory, deadline, timeout, null, null);
            RuntimeException f = outcome(c, timeout);
            if (f != null) {
                throw f;
            }
        } catch (InterruptedException | RuntimeException | Error x) {
            observed.accept(x);
            throw x;
        }
        observed.accept(Confirmation.ACKED);
    }

    /**
     * One publish as the observer and JFR see it, from its start to {@link #accept its outcome}
     * (an ack, {@link OneShot#TIMED_OUT} or the failure); the message goes out with
     * {@link #sent}'s properties, which carry the tracing hook's headers beside its own.
     */
    private final class ObservedPublish implements java.util.function.Consumer<Object> {
        private final long start = System.nanoTime();
        private final PublishEvent event = Telemetry.publishEvent();
        private final WarrenObserver.Operation op;
        private final String exchange;
        private final String routingKey;
        private final int size;
        final AMQP.BasicProperties sent;

        ObservedPublish(String exchange, String routingKey, AMQP.BasicProperties props, int size) {
            this.exchange = exchange;
            this.routingKey = routingKey;
            this.size = size;
            if (telemetry.traces) {
                Map<String, Object> headers = Telemetry.copy(props.getHeaders());
                op = telemetry.startPublish(exchange, routingKey, headers, props);
                sent = props.builder().headers(headers).build();
            } else {
                op = null;
                sent = props;
            }
        }

        @Override
        public void accept(Object outcome) {
            WarrenObserver.Outcome o = outcome == Confirmation.ACKED ? WarrenObserver.Outcome.ACK
                    : outcome == OneShot.TIMED_OUT ? WarrenObserver.Outcome.TIMEOUT
                    : Telemetry.outcomeOf((Throwable) outcome);
            telemetry.published(ctx.number(), event, op, exchange, routingKey, size, o,
                    outcome instanceof Throwable t ? t : null, System.nanoTime() - start);
        }
    }

    /**
     * The first half of a publish: checks the message, waits for the gate and for room, then
     * queues it for the writer.
     *
     * @param onFailure told of a failure as soon as it is known (see {@link Confirmation}), or null
     * @param onOutcome told of the outcome, whatever it is, as it is set (on the completing
     *        thread; must not block), or null
     */
    Confirmation send(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body,
            boolean mandatory, long deadline, Duration timeout, Confirmation.FailureListener onFailure,
            java.util.function.Consumer<Object> onOutcome) throws InterruptedException {
        FieldTables.checkProperties(props, ctx.frameMax());
        ctx.ensureOpen();
        if (gate.isBlocked()) {
            awaitUnblocked(deadline, timeout);
        }
        acquireRoom(deadline, timeout);
        Confirmation c = new Confirmation(this, exchange, routingKey, props, body, mandatory, deadline, onFailure,
                onOutcome);
        ctx.send(c);
        return c;
    }

    /**
     * The second half: waits for the outcome; returns the failure to throw, or null on an ack.
     * An interrupted publisher whose message was not written yet withdraws it.
     */
    RuntimeException outcome(Confirmation c, Duration timeout) throws InterruptedException {
        Object o;
        try {
            o = c.deadline == 0 ? c.await(0) : awaitWithin(c, 0);
        } catch (InterruptedException e) {
            withdraw(c);
            throw ctx.closedOr(e);
        }
        return failureOf(c, o, timeout);
    }

    /**
     * Publishes one message without waiting for its confirm: the first half of {@link #publish},
     * with the connection's publish timeout; {@link Confirmation#await()} is the second half.
     *
     * @throws IllegalArgumentException when the message cannot be encoded (nothing was sent)
     * @throws PublishTimeoutException when the publish timeout passed while it waited for the
     *         gate or for room (nothing was sent)
     * @throws ClosedException when the channel is closed
     * @throws InterruptedException when interrupted while it waited for the gate or for room
     *         (nothing was sent)
     */
    public DeferredConfirm publishDeferred(String exchange, String routingKey, AMQP.BasicProperties props,
            byte[] body, boolean mandatory) throws InterruptedException {
        return publishDeferred(exchange, routingKey, props, body, mandatory, defaultTimeout);
    }

    /** As {@link #publishDeferred(String, String, AMQP.BasicProperties, byte[], boolean)} with a timeout of its own. */
    public DeferredConfirm publishDeferred(String exchange, String routingKey, AMQP.BasicProperties props,
            byte[] body, boolean mandatory, Duration timeout) throws InterruptedException {
        Duration defaultTimeout = timeout;
        long deadline = deadline(defaultTimeout);
        if (!telemetry.publishes()) {
            return send(exchange, routingKey, props, body, mandatory, deadline, defaultTimeout, null, null);
        }
        // Observed: reported when the outcome is set, on the thread that sets it, since nobody
        // need ever await a deferred confirm.
        ObservedPublish observed = new ObservedPublish(exchange, routingKey, props, body.length);
        try {
            return send(exchange, routingKey, observed.sent, body, mandatory, deadline, defaultTimeout, null, observed);
        } catch (InterruptedException | RuntimeException | Error x) {
            observed.accept(x);
            throw x;
        }
    }

    /**
     * The second half of a deferred publish: waits for the outcome until {@code until}
     * ({@link System#nanoTime()}; 0 for no limit), then throws what {@link #publish} would.
     * Unlike a publish's wait, an interrupted one leaves the message in flight.
     *
     * @return true on an ack, false when {@code until} passed first
     */
    boolean awaitDeferred(Confirmation c, long until) throws InterruptedException {
        Object o = c.outcome();
        if (o == null) {
            try {
                o = c.deadline == 0 ? c.await(until) : awaitWithin(c, until);
            } catch (InterruptedException e) {
                throw ctx.closedOr(e);
            }
            if (o == null) {
                return false;
            }
        }
        RuntimeException failure = failureOf(c, o, defaultTimeout);
        if (failure != null) {
            throw failure;
        }
        return true;
    }

    /** What a publish with outcome {@code o} throws, or null for an ack. */
    private RuntimeException failureOf(Confirmation c, Object o, Duration timeout) {
        if (o == OneShot.TIMED_OUT) {
            // Taken back now, or by an earlier await of the same deferred confirm.
            boolean sent = !withdraw(c) && !c.withdrawn();
            return new PublishTimeoutException(sent ? "waiting for the broker's confirm"
                    : "waiting for its turn to be written (not sent)", timeout, sent);
        }
        if (o == Confirmation.ACKED) {
            return null;
        }
        // A Warren exception as it is (the close as a copy for this caller), anything else mapped.
        return ctx.translate((Throwable) o);
    }

    /**
     * Whether the writer took a deferred publish's message to write it (then its outcome is
     * unknown until its confirm), as opposed to never sending it.
     */
    public static boolean written(DeferredConfirm d) {
        return d instanceof Confirmation c && c.written();
    }

    /**
     * Takes back a message the writer has not written yet, freeing its room.
     *
     * @return whether it was taken back (it will never be sent)
     */
    boolean withdraw(Confirmation c) {
        if (c.withdraw()) {
            room.release();
            return true;
        }
        return false;
    }

    /**
     * Waits for the confirm until the message's deadline, which the channel's {@link Timeouts}
     * thread keeps, or until {@code until} (0 for no limit of its own; null when it passed).
     */
    private Object awaitWithin(Confirmation c, long until) throws InterruptedException {
        // Only the waiter that put it in takes it out: a second await of the same deferred
        // confirm is refused, and must not leave the first one without its deadline.
        boolean added = timed.add(c);
        try {
            timeouts.start();
            timeouts.register(c.deadline);
            return c.await(until);
        } finally {
            if (added) {
                timed.remove(c);
            }
        }
    }

    /**
     * Publishes several messages, all in flight at once, and collects each one's outcome. Every
     * message is checked before the first is sent, so a message that cannot be encoded fails the
     * whole batch with nothing sent.
     */
    public Map<Integer, WarrenException> publishAll(String exchange, String routingKey, List<Message> messages,
            Duration timeout) throws InterruptedException {
        int frameMax = ctx.frameMax();
        for (Message m : messages) {
            FieldTables.checkProperties(m.properties(), frameMax);
        }
        long deadline = deadline(timeout);
        Confirmation[] sent = new Confirmation[messages.size()];
        Map<Integer, WarrenException> failures = new HashMap<>();
        for (int i = 0; i < sent.length; i++) {
            Message m = messages.get(i);
            try {
                sent[i] = send(exchange, routingKey, m.properties(), m.body(), m.mandatory(), deadline, timeout, null,
                        null);
            } catch (WarrenException e) {
                failures.put(i, e);
            }
        }
        for (int i = 0; i < sent.length; i++) {
            if (sent[i] != null) {
                RuntimeException f = outcome(sent[i], timeout);
                if (f != null) {
                    failures.put(i, f instanceof WarrenException w ? w
                            : ctx.abort("unexpected failure of a publish: " + f, "basic.publish", f));
                }
            }
        }
        return failures;
    }

    /** The deadline of a publish with this timeout ({@link Timeouts#deadlineIn}), 0 for none. */
    static long deadline(Duration timeout) {
        return timeout == null ? 0 : Timeouts.deadlineIn(Durations.saturatedNanos(timeout));
    }

    private void awaitUnblocked(long deadline, Duration timeout) throws InterruptedException {
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

    private void acquireRoom(long deadline, Duration timeout) throws InterruptedException {
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
     * On the writer thread: gives the message its sequence number and writes it, unless it was
     * withdrawn. The number counts only once amqp-client has taken the frame.
     */
    void write(Confirmation c) throws IOException {
        if (!c.claimForWrite()) {
            return;
        }
        long seq = nextSeq;
        unconfirmed.put(seq, c);
        // Written first, read second: either failAll() sees this entry, or this sees the close.
        ClosedException closed = ctx.closedCause();
        if (closed != null) {
            fail(seq, c, closed);
            return;
        }
        raw.basicPublish(c.exchange, c.routingKey, c.mandatory, c.properties, c.body);
        nextSeq = seq + 1;
    }

    /** Its write failed or its channel closed before it: it is no longer waited for by the table. */
    void abandoned(Confirmation c, Throwable cause) {
        if (c.seq != 0) {
            fail(c.seq, c, cause);
        } else {
            c.complete(cause);
        }
    }

    private void fail(long seq, Confirmation c, Throwable t) {
        if (unconfirmed.remove(seq, c)) {
            room.release();
        }
        c.complete(t);
    }

    /**
     * On amqp-client's reader thread: frees the room of the confirmed messages, then completes
     * them, so that a publisher that returns never sees its own message still counted.
     */
    private void settle(long tag, boolean multiple, boolean ack) {
        long sent = unconfirmed.highest();
        if (tag < 1 || tag > sent) {
            ProtocolViolation.closeConnection(ctx, "basic." + (ack ? "ack" : "nack"),
                    "the broker confirmed delivery tag " + tag + (multiple ? " (multiple)" : "")
                            + " on channel " + ctx.number() + ", but the last message sent there has tag " + sent);
            return;
        }
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

    /**
     * On amqp-client's reader thread: marks the returned message, which the broker sends before
     * its ack. Returns come in publish order, and the message is recognised by what it was sent
     * with (exchange, routing key, and its message-id if it has one, else its body), so nothing
     * needs to be added to it: no header that every consumer would see, no copy of the headers
     * per message. Among messages in flight at once that match alike (no message-id, same body)
     * the oldest unmarked one is taken, which can be the wrong one of them when routing told them
     * apart by something else (headers) or the bindings changed between their publishes. Requests of {@code call} match their own
     * returns (by correlation id) and are passed over.
     */
    private ReturnListener returned() {
        return (replyCode, replyText, exchange, routingKey, properties, body) -> {
            // A message-id tells identical messages apart (a robust publish always has one).
            String id = properties == null ? null : properties.getMessageId();
            Confirmation c = unconfirmed.oldestMatching(nextSeq, m -> m.mandatory && m.returnText == null
                    && (m.onFailure == null || !m.onFailure.matchesReturns()) && m.routingKey.equals(routingKey)
                    && m.exchange.equals(exchange)
                    && (id != null ? id.equals(m.properties.getMessageId()) : Arrays.equals(m.body, body)));
            if (c != null) {
                c.returnCode = replyCode;
                c.returnText = replyText;
            }
        };
    }

    /** On close: fails every message waiting for a confirm and frees the room. Never blocks. */
    private void failAll(ClosedException closed) {
        timeouts.stop();
        room.release(FLUSH_PERMITS);
        unconfirmed.drain(unsettled -> unsettled.complete(closed));
    }

    /** Publishes waiting for a confirm or for room, calls' requests left out (they count as calls). */
    private int waitingPublishes() {
        int[] n = {room.getQueueLength()};
        unconfirmed.forEach(c -> {
            if (c.onFailure == null) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** Publishers parked waiting for a confirm or for room (a gauge: read on demand, not counted per message). */
    int parkedCount() {
        return Math.max(0, unconfirmedCount()) + room.getQueueLength();
    }
}
