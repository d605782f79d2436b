package dev.warren;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.internal.BlockedGate;
import dev.warren.internal.CloseListeners;
import dev.warren.internal.Closes;
import dev.warren.internal.Connector;
import dev.warren.internal.InsecureTls;
import dev.warren.internal.Durations;
import dev.warren.internal.Offload;
import dev.warren.internal.SubscriptionImpl;
import dev.warren.internal.Telemetry;
import dev.warren.internal.Writer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to RabbitMQ, opened with {@link Warren#connect(String)}. Thread-safe: any thread
 * may open channels on it.
 *
 * <p>When the broker or the network closes the connection, every channel of it is closed with a
 * {@link ConnectionClosedException} that carries the broker's reply code and text: every pending
 * operation on those channels fails with it, and every subtask is cancelled. A
 * {@code BlockingConnection} never reconnects by itself; {@link RobustConnection} does, one
 * level up ({@link Warren#connectRobust(ConnectionOptions)}).
 */
public final class BlockingConnection implements AutoCloseable {
    private static final AtomicLong WRITERS = new AtomicLong();
    private static final Logger LOG = LoggerFactory.getLogger(BlockingConnection.class);
    /** How often a drain looks again at what still runs (handlers, confirms, calls). */
    private static final long DRAIN_POLL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(5);

    private final Connection raw;
    private final ConnectionOptions options;
    private final Set<BlockingChannel> channels = ConcurrentHashMap.newKeySet();
    private final AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Set by a graceful close: publishes and calls from threads outside the running work are refused. */
    private volatile boolean draining;
    /** During a drain, what else counts as the running work (a robust connection's supervised works). */
    private volatile java.util.function.BooleanSupplier alsoWork = () -> false;
    private final BlockedGate gate = new BlockedGate();
    private final Writer writer;
    private final CloseListeners closeListeners = new CloseListeners("warren-connection-on-close");
    private final Telemetry telemetry;
    private final Gauges gauges;
    private final AtomicBoolean closeReported = new AtomicBoolean();
    /** Numbers unnamed connections in JFR events. */
    private static final AtomicLong UNNAMED = new AtomicLong();
    /** The address connected to, as configured ({@code host:port}, host name unresolved). */
    private final String address;

    BlockingConnection(Connection raw, ConnectionOptions options, Writer writer, String address) {
        this.raw = raw;
        this.address = address;
        this.options = options;
        this.writer = writer;
        this.gauges = new Gauges(this, channels);
        WarrenObserver observer = options.observer() == null ? null : Telemetry.forConnection(options.observer(), gauges);
        this.telemetry = Telemetry.of(observer, jfrName(raw, options), InsecureTls.of(options));
        telemetry.connectionOpened(gauges);
        raw.addBlockedListener(new BlockedListener() {
            @Override
            public void handleBlocked(String reason) {
                gate.block(reason);
            }

            @Override
            public void handleUnblocked() {
                gate.unblock();
            }
        });
        raw.addShutdownListener(this::onShutdown);
        if (!raw.isOpen() && raw.getCloseReason() != null) {
            onShutdown(raw.getCloseReason());
        }
    }

    /** The connection's name, or for an unnamed one a name its JFR events can be told apart by. */
    private static String jfrName(Connection raw, ConnectionOptions options) {
        if (options.connectionName() != null) {
            return options.connectionName();
        }
        java.net.InetAddress a = raw.getAddress();
        return "unnamed-" + UNNAMED.incrementAndGet() + (a == null ? "" : " to " + a.getHostAddress() + ":" + raw.getPort());
    }

    private void onShutdown(ShutdownSignalException s) {
        if (Closes.from(s, 0, options.connectionName()) instanceof ConnectionClosedException c) {
            closed.compareAndSet(null, c);
            closeListeners.fire(closed.get());
        }
        // Publishers waiting for an unblock must wake up and see the close.
        gate.unblock();
        // Its channels abandon what they queued as they hear of the close; nothing more is written.
        writer.stop();
        reportClosed();
    }

    /** Tells the observer, once, that the connection is closed. */
    private void reportClosed() {
        if (closeReported.compareAndSet(false, true)) {
            telemetry.connectionClosed(gauges);
        }
    }

    Telemetry telemetry() {
        return telemetry;
    }

    /**
     * Opens a new channel, in publisher-confirm mode, owned by the calling thread (only the owner
     * may {@link BlockingChannel#join()} and {@link BlockingChannel#close()} it). Blocks for two
     * round trips (channel.open, confirm.select); these waits of amqp-client cannot be
     * interrupted, and end when the broker answers or the connection closes. While the broker
     * holds the connection blocked (a resource alarm: it reads nothing more from it) it first
     * waits for the unblock; a channel open that times out because the connection was blocked
     * meanwhile is tried again after the unblock, and never closes the connection. One that times
     * out on a connection that is not blocked means the connection is unusable: it is closed, as
     * lost, and {@link #onClose} listeners are told.
     *
     * @return the new channel
     * @throws ConnectionClosedException when the connection is closed, or was found unusable
     * @throws ChannelClosedException (reply code 0, not initiated by the broker) when interrupted
     *         while it waited for the broker to unblock the connection; the interrupt status is set
     * @throws IllegalStateException when the connection has no free channel number left
     */
    public BlockingChannel openChannel() {
        ensureOpen();
        Channel opened;
        while (true) {
            // A blocked connection is not a lost one: the broker reads no channel.open before it
            // unblocks the connection, so wait for that rather than let the open time out.
            awaitUnblocked();
            long blocks = gate.blocks();
            // On a thread of Warren's: channel.open is written and awaited by amqp-client itself,
            // and a write from an interrupted caller would close the connection's socket.
            try {
                opened = Offload.await(Offload.start("open-channel", raw::createChannel));
                break;
            } catch (IOException | ShutdownSignalException e) {
                if (Closes.signalOf(e) == null && (gate.isBlocked() || gate.blocks() != blocks)) {
                    continue; // timed out because the broker blocked the connection meanwhile: open again
                }
                throw closedOr(e);
            }
        }
        Channel ch = opened;
        if (ch == null) {
            throw new IllegalStateException("no free channel number on this connection (channel max "
                    + raw.getChannelMax() + ")");
        }
        BlockingChannel c;
        try {
            c = new BlockingChannel(this, ch, options);
        } catch (RuntimeException e) {
            Offload.start("abort-channel", () -> {
                ch.abort();
                return null;
            });
            throw e;
        }
        channels.add(c);
        if (closing.get() || !raw.isOpen()) {
            // The connection closed while this channel was opened: it must not outlive it.
            c.closeFromConnection();
            ensureOpen();
        }
        return c;
    }

    /**
     * Whether the connection is open: neither closed by the application nor lost.
     *
     * @return whether the connection is open: neither closed by the application nor lost
     */
    public boolean isOpen() {
        return closed.get() == null && !closing.get() && raw.isOpen();
    }

    /**
     * Whether Warren has not seen this connection close: as {@link #isOpen()} without asking
     * amqp-client, whose flag sits behind a monitor (a pinned carrier on Java 21). For hot paths.
     */
    boolean isKnownOpen() {
        return closed.get() == null && !closing.get();
    }

    /** The address connected to, as configured ({@code host:port}, host name unresolved). */
    String address() {
        return address;
    }

    /**
     * Runs {@code listener} once when this connection closes: lost (socket error, missed
     * heartbeats), closed by the broker (e.g. 320 CONNECTION_FORCED), or closed by the
     * application's {@link #close()} (then with a {@link ConnectionClosedException} 200 whose
     * {@link ClosedException#initiatedByBroker()} is false, after its channels have closed). It
     * runs in a new virtual thread, never on amqp-client's threads, so it may block (for
     * example to connect again); at once (in a virtual thread too) if the connection is closed
     * already. An exception it throws goes to its thread's uncaught exception handler.
     *
     * @param listener what to run, given the {@link ConnectionClosedException}
     * @throws NullPointerException if listener is null
     */
    public void onClose(Consumer<ClosedException> listener) {
        closeListeners.add(listener);
    }

    /**
     * Whether the broker has blocked this connection because of a resource alarm (memory or
     * disk): publishes wait (up to the publish timeout) until it is unblocked.
     *
     * @return whether the broker has blocked this connection because of a resource alarm (memory or disk):
     *         publishes wait (up to the publish timeout) until it is unblocked
     */
    public boolean isBlocked() {
        return gate.isBlocked();
    }

    /**
     * The broker's reason for blocking this connection, if it is blocked.
     *
     * @return the broker's reason for blocking this connection, if it is blocked
     */
    public Optional<String> blockedReason() {
        return Optional.ofNullable(gate.reason());
    }

    /**
     * The client-provided name of this connection, or null.
     *
     * @return the client-provided name of this connection, or null
     */
    public String name() {
        return options.connectionName();
    }

    /**
     * The options this connection was opened with.
     *
     * @return the options this connection was opened with
     */
    public ConnectionOptions options() {
        return options;
    }

    /**
     * The amqp-client connection underneath, for what Warren does not cover. Closing it, or
     * blocking in its callbacks, has the same effects as on any amqp-client connection.
     *
     * @return the amqp-client connection underneath, for what Warren does not cover
     */
    public Connection unwrap() {
        return raw;
    }

    /**
     * Closes every open channel (cancelling their subtasks and waiting for them), then the
     * connection. Idempotent and quiet: on a connection the broker already closed it only waits
     * for the subtasks, and it never throws for the close itself. May be called from any thread
     * but a subtask of its channels (which would wait for itself). When interrupted meanwhile it
     * finishes anyway and keeps the interrupt status set.
     *
     * @throws WrongThreadException when called from a subtask of one of its channels
     */
    @Override
    public void close() {
        ensureNotSubtask();
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        // In parallel: each waits for its subtasks and for the broker, and one slow channel must
        // not add its wait to the others'.
        List<Thread> closers = new ArrayList<>();
        for (BlockingChannel c : List.copyOf(channels)) {
            closers.add(Thread.ofVirtual().name("warren-close-ch" + c.channelNumber()).start(c::closeFromConnection));
        }
        boolean interrupted = joinAll(closers);
        closed.compareAndSet(null, new ConnectionClosedException(options.connectionName(), 200,
                "closed by the application", false, null, null));
        closeListeners.fire(closed.get());
        if (raw.isOpen()) {
            Offload.awaitQuietly(Offload.start("close-connection", () -> {
                try {
                    raw.close((int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
                } catch (IOException | ShutdownSignalException ignored) {
                    // Closed meanwhile by the broker or the network: nothing is left to release.
                }
                return null;
            }), options.connectTimeout().plusSeconds(1));
        }
        writer.stop();
        gate.unblock();
        reportClosed();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Closes gracefully: stops taking new work, lets the running work finish for up to
     * {@code grace}, then {@linkplain #close() closes}. In order:
     * <ol>
     *   <li>publishes and calls are refused ({@link ConnectionClosedException}, 200) from every
     *       thread but the owners of the connection's channels and their subtasks, so that
     *       running handlers and consumer loops can still publish what their work produces;</li>
     *   <li>every subscription of every channel is {@linkplain Subscription#cancel() cancelled}:
     *       no new deliveries, what is buffered is handed out, {@code handle} and {@code serve}
     *       return once their handlers have finished and settled;</li>
     *   <li>it waits, up to {@code grace} in all, until no subtask of the channels runs, no
     *       publish waits for its confirm and no call for its reply;</li>
     *   <li>it closes as {@link #close()} does: what is still buffered is requeued, what still
     *       runs is cancelled, and what still waits fails with the {@link ClosedException}
     *       (never silently).</li>
     * </ol>
     * The report says what was still running when the grace ran out; it is logged too (INFO
     * when everything finished, WARN otherwise). On a connection closed already it does
     * nothing and reports zeros. If interrupted meanwhile it stops waiting, closes, and keeps
     * the interrupt status set.
     *
     * @param grace how long to wait at most for the running work (zero: cancel, then close at once)
     * @return what the drain did and what was still running when it closed
     * @throws NullPointerException if grace is null
     * @throws IllegalArgumentException if grace is negative
     * @throws WrongThreadException when called from a subtask of one of its channels
     */
    public DrainReport close(Duration grace) {
        java.util.Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative, not " + grace);
        }
        ensureNotSubtask();
        if (closing.get() || closed.get() != null) {
            close();
            return DrainReport.nothing();
        }
        DrainReport r = drain(System.nanoTime() + Durations.saturatedNanos(grace), () -> 0, () -> false);
        close();
        log(LOG, "connection " + (options.connectionName() != null ? "'" + options.connectionName() + "'"
                : options.redactedUri()), r);
        return r;
    }

    /**
     * The graceful close's steps before the close: refuse new publishes and calls, cancel every
     * subscription, wait until {@code deadline} (System.nanoTime) for what runs, counting also
     * {@code worksRunning}; then requeue what is still buffered. Does not close. Threads for
     * which {@code isWork} is true may still publish and call.
     */
    DrainReport drain(long deadline, IntSupplier worksRunning, java.util.function.BooleanSupplier isWork) {
        long start = System.nanoTime();
        alsoWork = isWork;
        draining = true;
        List<SubscriptionImpl> subs = new ArrayList<>();
        for (BlockingChannel c : List.copyOf(channels)) {
            subs.addAll(c.parts().consumers().liveSubscriptions());
        }
        // In parallel: each cancel waits for its channel's slot and the broker's cancel-ok.
        List<Thread> cancels = new ArrayList<>();
        for (SubscriptionImpl s : subs) {
            cancels.add(Thread.ofVirtual().name("warren-drain-cancel").start(s::cancel));
        }
        boolean interrupted = joinAll(cancels);
        int handlers;
        int works;
        int unconfirmed;
        int calls;
        for (;;) {
            handlers = 0;
            unconfirmed = 0;
            calls = 0;
            for (BlockingChannel c : List.copyOf(channels)) {
                handlers += c.scope().liveCount();
                unconfirmed += c.unconfirmedCount();
                calls += c.pendingCallCount();
            }
            works = worksRunning.getAsInt();
            long left = deadline - System.nanoTime();
            if (handlers + works + unconfirmed + calls == 0 || left <= 0 || interrupted) {
                break;
            }
            // A short look-again: the things waited for (subtasks, confirms, replies, works) have no common signal.
            LockSupport.parkNanos(this, Math.min(left, DRAIN_POLL_NANOS));
            interrupted = Thread.interrupted();
        }
        int requeued = 0;
        for (SubscriptionImpl s : subs) {
            requeued += s.buffered();
            s.close();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return new DrainReport(Duration.ofNanos(System.nanoTime() - start), subs.size(), requeued, handlers, works,
                unconfirmed, calls);
    }

    /** Logs a drain's report: INFO when it was complete, WARN when something was cut off. */
    static void log(Logger log, String what, DrainReport r) {
        if (r.complete()) {
            log.info("{} drained in {} ms: {} subscription(s) cancelled, {} buffered delivery(ies) requeued",
                    what, r.elapsed().toMillis(), r.subscriptionsCancelled(), r.deliveriesRequeued());
        } else {
            log.warn("{} closed after a {} ms drain with work still running: {}", what, r.elapsed().toMillis(), r);
        }
    }

    /**
     * Refuses a publish or a call while a graceful close drains, unless it comes from the
     * running work: an owner of one of the channels or one of their subtasks.
     */
    void refuseIfDraining(String what) {
        if (draining && !isWorkerThread() && !alsoWork.getAsBoolean()) {
            throw refused(options.connectionName(), what);
        }
    }

    /** What a publish or call gets while a graceful close drains. */
    static ConnectionClosedException refused(String connectionName, String what) {
        return new ConnectionClosedException(connectionName, 200, "closing gracefully: no new " + what + " accepted",
                false, null, null);
    }

    /** Whether a graceful close has begun; package-private for tests. */
    boolean isDraining() {
        return draining;
    }

    /** Whether the calling thread owns one of the channels or is one of their subtasks. */
    boolean isWorkerThread() {
        Thread me = Thread.currentThread();
        for (BlockingChannel c : channels) {
            if (c.scope().owner() == me || c.scope().isSubtaskThread()) {
                return true;
            }
        }
        return false;
    }

    private static boolean joinAll(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread t : threads) {
            for (;;) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        return interrupted;
    }

    private void ensureNotSubtask() {
        for (BlockingChannel c : channels) {
            if (c.scope().isSubtaskThread()) {
                throw new WrongThreadException("a subtask of " + c + " cannot close its own connection: it would wait"
                        + " for itself");
            }
        }
    }

    @Override
    public String toString() {
        return "BlockingConnection[" + options.redactedUri()
                + (options.connectionName() != null ? ", " + options.connectionName() : "")
                + (isOpen() ? "" : ", closed") + "]";
    }

    /** The writer of a connection about to be opened with these options. */
    static Writer newWriter(ConnectionOptions options) {
        return new Writer(Connector.THREAD_PREFIX + "writer-" + WRITERS.incrementAndGet()
                + (options.connectionName() != null ? "-" + options.connectionName() : ""));
    }

    BlockedGate gate() {
        return gate;
    }

    Writer writer() {
        return writer;
    }

    void removed(BlockingChannel c) {
        channels.remove(c);
    }

    /** Channels not yet closed by their owner or this connection, for tests and diagnostics. */
    int openChannelCount() {
        return channels.size();
    }

    private void ensureOpen() {
        ConnectionClosedException c = closed.get();
        if (c != null) {
            throw c.forCaller();
        }
        if (closing.get()) {
            throw new ConnectionClosedException(options.connectionName(), 200, "closed by the application",
                    false, null, null);
        }
    }

    private RuntimeException closedOr(Exception e) {
        ShutdownSignalException s = Closes.signalOf(e);
        if (s != null) {
            onShutdown(s);
            ClosedException c = Closes.from(s, 0, options.connectionName());
            return c.forCaller();
        }
        // Not a close: a channel open that timed out, or the socket failed under amqp-client.
        // The connection cannot be vouched for: it is lost, and goes the way every loss goes
        // (its close listeners, which a RobustConnection waits on, then the socket closed).
        lose(new ConnectionClosedException(options.connectionName(), 0, "network failure: " + e, true, null, e));
        return closed.get().forCaller();
    }

    /** Ends a connection found unusable: recorded as lost, listeners told, the socket aborted. */
    private void lose(ConnectionClosedException c) {
        closed.compareAndSet(null, c);
        closeListeners.fire(closed.get());
        gate.unblock();
        writer.stop();
        reportClosed();
        Offload.start("abort-connection", () -> {
            raw.abort((int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
            return null;
        });
    }

    /** Waits while the broker holds the connection blocked; ends early when it closes. */
    private void awaitUnblocked() {
        if (!gate.isBlocked()) {
            return;
        }
        try {
            // The gate opens on the unblock and on the connection's close.
            gate.whenOpen().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ChannelClosedException(0, 0, "not opened: interrupted while the broker blocked the connection ("
                    + gate.reason() + ")", false, "channel.open", null);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        ensureOpen();
    }
}
