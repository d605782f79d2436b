package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.ClosedException;
import dev.warren.ConsumerCancelledException;
import dev.warren.Delivery;
import dev.warren.Message;
import dev.warren.PublishTimeoutException;
import dev.warren.RpcTimeoutException;
import dev.warren.UnroutableException;
import dev.warren.WarrenObserver;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of request/reply on one channel, over direct reply-to.
 *
 * <p>One auto-ack consumer on {@code amq.rabbitmq.reply-to} serves every call of the channel;
 * it is started by the first call. Each call registers a {@link Call} under its own correlation
 * id in one table, publishes the request and parks; the consumer (on amqp-client's reader
 * thread) removes the entry and wakes its caller. Failures of the request publish (return,
 * nack) reach the call through its {@link Confirmation}'s failure listener, so the call does not
 * wait for the confirm on the success path: the reply proves the request arrived. One close
 * hook per channel fails every call in the table. Calls park without a timer of their own: one
 * {@link Timeouts} thread per channel ends those whose deadline passed.
 */
public final class RpcClient {
    private static final Logger LOG = LoggerFactory.getLogger(RpcClient.class);
    /** The pseudo-queue of direct reply-to. */
    public static final String REPLY_TO = "amq.rabbitmq.reply-to";
    /** Longest name (in chars) that is surely within AMQP's 255 bytes, so most need no encoding to check. */
    private static final int SURELY_SHORT = 255 / 3;
    private static final AtomicLong CLIENTS = new AtomicLong();

    private final ChannelContext ctx;
    private final Publisher publisher;
    private final ConsumerRouter router;
    private final ConcurrentHashMap<String, Call> calls = new ConcurrentHashMap<>();
    private final Timeouts timeouts;
    /** Distinguishes this channel's ids from those of other channels in logs and broker traces. */
    private final String idPrefix = Long.toString(CLIENTS.incrementAndGet(), 36) + '.';
    private final AtomicLong nextId = new AtomicLong();
    private final ReentrantLock startLock = new ReentrantLock();
    private final LongAdder dropped = new LongAdder();
    private volatile boolean started;
    /** Guarded by startLock: the close hook is added once, even when a start is retried. */
    private boolean hooked;

    /** Side-effect free, so that a lazily racing construction may be thrown away. */
    public RpcClient(ChannelContext ctx, Publisher publisher, Consumers consumers) {
        this.ctx = ctx;
        this.publisher = publisher;
        this.router = consumers.router();
        this.timeouts = new Timeouts(calls.values(), "warren-ch" + ctx.number() + "-call-timeouts");
    }

    /** Calls waiting for their reply right now. */
    public int pendingCount() {
        return calls.size();
    }

    /** Whether the thread that times out calls runs (it starts with the first call, ends with the channel). */
    public boolean timeoutsAlive() {
        return timeouts.thread().isAlive();
    }

    /** Replies that matched no waiting call (late, after a timeout, or foreign) since the channel opened. */
    public long droppedReplies() {
        return dropped.sum();
    }

    /**
     * Publishes the request (mandatory, with reply-to and a correlation id) and waits for its
     * reply; see {@code BlockingChannel.call} for the contract.
     */
    public Delivery call(String exchange, String routingKey, Message request, Duration timeout)
            throws InterruptedException {
        Telemetry t = ctx.telemetry();
        if (t.calls()) {
            return callObserved(t, exchange, routingKey, request, timeout);
        }
        return call(exchange, routingKey, request, timeout, null);
    }

    /** {@link #call} as the observer and JFR see it, timed from the call to its outcome. */
    private Delivery callObserved(Telemetry t, String exchange, String routingKey, Message request, Duration timeout)
            throws InterruptedException {
        long start = System.nanoTime();
        CallEvent e = Telemetry.callEvent();
        WarrenObserver.Operation[] op = t.traces ? new WarrenObserver.Operation[1] : null;
        WarrenObserver.Outcome outcome = WarrenObserver.Outcome.REPLY;
        Throwable failure = null;
        try {
            return call(exchange, routingKey, request, timeout, op);
        } catch (InterruptedException | RuntimeException | Error x) {
            failure = x;
            outcome = Telemetry.outcomeOf(x);
            throw x;
        } finally {
            t.called(ctx.number(), e, op == null ? null : op[0], exchange, routingKey, outcome, failure,
                    System.nanoTime() - start);
        }
    }

    /** @param traced where the tracing hook's operation goes, or null when there is no hook */
    private Delivery call(String exchange, String routingKey, Message request, Duration timeout,
            WarrenObserver.Operation[] traced) throws InterruptedException {
        checkName(exchange, "exchange name");
        checkName(routingKey, "routing key");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, not " + timeout);
        }
        AMQP.BasicProperties props = request.properties();
        if (props.getReplyTo() != null) {
            throw new IllegalArgumentException("the request must not have a reply-to (" + props.getReplyTo()
                    + "): call sets it to direct reply-to");
        }
        if (props.getCorrelationId() != null) {
            throw new IllegalArgumentException("the request must not have a correlation id ("
                    + props.getCorrelationId() + "): call sets its own");
        }
        long deadline = Timeouts.deadlineIn(Durations.saturatedNanos(timeout));
        ensureStarted();
        String id = idPrefix + nextId.incrementAndGet();
        Call call = new Call(deadline);
        calls.put(id, call);
        try {
            // Put first, close read second: either failAll() sees the entry, or this sees the close.
            ClosedException closed = ctx.closedCause();
            if (closed != null) {
                throw closed.forCaller();
            }
            timeouts.register(deadline);
            AMQP.BasicProperties.Builder b = props.builder().replyTo(REPLY_TO).correlationId(id);
            if (traced != null) {
                Map<String, Object> headers = Telemetry.copy(props.getHeaders());
                traced[0] = ctx.telemetry().startCall(exchange, routingKey, headers, b.build());
                b.headers(headers);
            }
            AMQP.BasicProperties withReply = b.build();
            Confirmation sent;
            try {
                sent = publisher.send(exchange, routingKey, withReply, request.body(), true, deadline, timeout, call,
                        null);
            } catch (PublishTimeoutException e) {
                throw new RpcTimeoutException(what(exchange, routingKey, id) + " (not sent: " + e.getMessage() + ")",
                        timeout);
            }
            Object o;
            try {
                // No deadline of its own: the timeouts thread ends the wait (see Timeouts).
                o = call.await(0);
            } catch (InterruptedException e) {
                publisher.withdraw(sent);
                throw ctx.closedOr(e);
            }
            if (o == OneShot.TIMED_OUT) {
                // Still queued behind others' frames: then it is never sent at all.
                boolean unsent = publisher.withdraw(sent);
                throw new RpcTimeoutException(what(exchange, routingKey, id) + (unsent ? " (not sent)" : ""), timeout);
            }
            if (o instanceof Delivery reply) {
                return reply;
            }
            throw ctx.translate((Throwable) o);
        } finally {
            calls.remove(id);
        }
    }

    private static String what(String exchange, String routingKey, String id) {
        return "the request to exchange '" + exchange + "' with routing key '" + routingKey + "' (correlation id "
                + id + ")";
    }

    private static void checkName(String name, String what) {
        if (Objects.requireNonNull(name, what).length() > SURELY_SHORT) {
            Names.allowEmpty(name, what);
        }
    }

    /**
     * Starts the reply consumer once; concurrent first callers wait for the one that does it.
     * The consumer must exist before any request names direct reply-to, or the broker closes the
     * channel (406 PRECONDITION_FAILED).
     */
    private void ensureStarted() throws InterruptedException {
        if (started) {
            return;
        }
        try {
            startLock.lockInterruptibly();
        } catch (InterruptedException e) {
            throw ctx.closedOr(e);
        }
        try {
            if (started) {
                return;
            }
            ctx.ensureOpen();
            if (!hooked) {
                hooked = true;
                timeouts.start();
                ctx.onClose(this::failAll);
                ctx.countOnClose(calls::size, () -> 0);
                ctx.raw().addReturnListener(this::returned);
            }
            String tag = ConsumerRouter.newTag();
            router.register(tag, new ReplyConsumer());
            try {
                ctx.rpc(new AMQP.Basic.Consume.Builder().queue(REPLY_TO).consumerTag(tag).noAck(true).build());
            } catch (RuntimeException | InterruptedException e) {
                router.unregister(tag);
                throw e;
            }
            started = true;
        } finally {
            startLock.unlock();
        }
    }

    /**
     * On amqp-client's reader thread: a returned request fails its call. Matched by correlation
     * id rather than by the Publisher's sequence-number header, which would cost a copy of the
     * request's headers per call; the broker rewrites the reply-to to the channel's own
     * {@code amq.rabbitmq.reply-to.*} address, which tells requests from other mandatory messages.
     */
    private void returned(int replyCode, String replyText, String exchange, String routingKey,
            AMQP.BasicProperties properties, byte[] body) {
        String replyTo = properties == null ? null : properties.getReplyTo();
        String id = properties == null ? null : properties.getCorrelationId();
        if (replyTo != null && id != null && replyTo.startsWith(REPLY_TO)) {
            Call c = calls.get(id);
            if (c != null) {
                c.complete(new UnroutableException(replyCode, replyText, exchange, routingKey));
            }
        }
    }

    /** On close, on the closing thread: fails every waiting call. Never blocks. */
    private void failAll(ClosedException cause) {
        timeouts.stop();
        for (Call c : calls.values()) {
            c.complete(cause);
        }
    }

    /** The reply consumer, on amqp-client's reader thread (see InlineDispatch): hands replies over, never blocks. */
    private final class ReplyConsumer implements Consumer {
        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            String id = properties == null ? null : properties.getCorrelationId();
            Call c = id == null ? null : calls.remove(id);
            if (c == null || !c.complete(new InboundDelivery(ctx, envelope, properties, body, true))) {
                dropped.increment();
                LOG.debug("dropped a reply with correlation id {} on channel {}: no call waits for it (timed out?)",
                        id, ctx.number());
            }
        }

        @Override
        public void handleCancel(String tag) {
            // The broker gave up the reply consumer (it should not): no waiting call can get its
            // reply any more, and the next call starts a new consumer.
            started = false;
            ConsumerCancelledException e = new ConsumerCancelledException(REPLY_TO, tag);
            for (Call c : calls.values()) {
                c.complete(e);
            }
        }

        @Override
        public void handleShutdownSignal(String tag, ShutdownSignalException sig) {
            // Normally the channel's close hook got here first; this covers the order being reversed.
            if (ctx.closedCause() == null) {
                ctx.shutdown(Closes.from(sig, ctx.number(), ctx.connectionName()));
            }
        }

        @Override
        public void handleConsumeOk(String tag) {
        }

        @Override
        public void handleCancelOk(String tag) {
        }

        @Override
        public void handleRecoverOk(String tag) {
        }
    }

    /**
     * One call waiting for its reply: a one-shot latch, like {@link Confirmation}, whose outcome
     * is the reply {@link Delivery} or a failure. It is also its request's failure listener, so
     * hooking the confirm costs no allocation.
     */
    static final class Call extends OneShot implements Confirmation.FailureListener {
        Call(long deadline) {
            super(deadline);
        }

        @Override
        public void failed(Object failure) {
            complete(failure);
        }

        @Override
        public boolean matchesReturns() {
            return true;
        }
    }
}
