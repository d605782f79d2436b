package dev.warren;

import dev.warren.internal.Addresses;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection that recovers: when the connection is lost (socket error, missed heartbeats, a
 * forced close, a node going down) a supervisor makes a new one, with backoff, trying the
 * {@link ConnectionOptions#withAddresses(String...) addresses} in turn, and the work is run again
 * on it. Opened by {@link Warren#connectRobust(ConnectionOptions)}. Thread-safe.
 *
 * <p>What it recovers, and how, in one place:
 * <ul>
 * <li>{@link #publish} is at least once: a message whose outcome a lost connection left unknown
 *     is sent again on the next connection, with the same {@code message-id} (one is set when the
 *     message has none), until it is confirmed or its deadline passes. Consumers may therefore
 *     see a message twice, with the same id.</li>
 * <li>{@link #call} waits for a connection but is never sent twice.</li>
 * <li>{@link #supervise} runs a {@link Work} on the current connection and again from its start
 *     on the next one, so the work declares its own topology and subscribes again. Nothing is
 *     recorded and replayed.</li>
 * </ul>
 * Pending calls on the lost connection still fail loudly with the {@link ClosedException}, as on
 * any {@link BlockingConnection}; recovery happens one level up.
 *
 * <p>What is not recovered: the application's own {@link #close()}; credentials or a virtual
 * host the broker refuses (it gives up at once); the policy's
 * {@link RecoveryPolicy#withMaxAttempts(int) attempts} used up. After it gives up it is closed:
 * waiting and later calls fail with a {@link ConnectionClosedException} whose cause is the last
 * {@link ConnectFailedException}.
 *
 * <p>Every loss and recovery is logged (slf4j, logger {@code dev.warren.RobustConnection}, never
 * with a password) and told to the {@link RecoveryListener}s.
 */
public final class RobustConnection implements AutoCloseable {
    /** The publish deadline when the options set none. */
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(RobustConnection.class);
    /** Publishing threads spread over this many channels, so the broker's channel processes share the load. */
    private static final int PUBLISH_CHANNELS = 1;
    private static final int CALL_SLOT = PUBLISH_CHANNELS;
    private static final Duration MIN_ATTEMPT = Duration.ofSeconds(5);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final ConnectionOptions options;
    private final Duration publishTimeout;
    /** How long one attempt waits for its confirm before its channel counts as stuck. */
    private final Duration attemptTimeout;
    private final RecoveryPolicy policy;
    private final String name;
    /** JFR events and the observer of the options, for losses and recoveries. */
    private final dev.warren.internal.Telemetry telemetry;
    private final String idPrefix;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong resends = new AtomicLong();
    private final AtomicInteger recoveries = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<RecoveryListener> listeners = new CopyOnWriteArrayList<>();
    private final Set<Supervised> supervised = ConcurrentHashMap.newKeySet();
    /** Owns every channel this class opens itself: only a channel's owner may close it. */
    private final ExecutorService channelKeeper;
    private final Thread supervisor;
    private volatile Generation current;
    /** Set once, when closed by the application or after giving up; what every later call throws. */
    private volatile ConnectionClosedException terminal;
    private volatile boolean closedByApplication;
    /** Set by {@link #close(Duration)}: publishes and calls from outside the supervised works are refused. */
    private volatile boolean draining;

    /** One connection and the channels this class opened on it. */
    static final class Generation {
        final BlockingConnection connection;
        final String address;
        final CompletableFuture<ClosedException> lost = new CompletableFuture<>();
        final AtomicReferenceArray<CompletableFuture<BlockingChannel>> channels =
                new AtomicReferenceArray<>(PUBLISH_CHANNELS + 1);

        Generation(BlockingConnection connection) {
            this.connection = connection;
            var raw = connection.unwrap();
            this.address = Addresses.format(raw.getAddress().getHostAddress(), raw.getPort());
            connection.onClose(lost::complete);
        }

        boolean isOpen() {
            return connection.isOpen();
        }
    }

    private RobustConnection(ConnectionOptions options) {
        this.options = options;
        this.publishTimeout = options.publishTimeout() != null ? options.publishTimeout() : DEFAULT_PUBLISH_TIMEOUT;
        Duration quarter = publishTimeout.dividedBy(4);
        this.attemptTimeout = publishTimeout.compareTo(MIN_ATTEMPT) <= 0 ? publishTimeout
                : quarter.compareTo(MIN_ATTEMPT) >= 0 ? quarter : MIN_ATTEMPT;
        this.policy = options.recovery();
        int n = INSTANCES.incrementAndGet();
        this.name = options.connectionName() != null ? options.connectionName() : "robust-" + n;
        this.telemetry = dev.warren.internal.Telemetry.of(options.observer(), name);
        this.idPrefix = "warren-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "-";
        // The first connection is made on the caller's thread, so that a wrong address or
        // password fails here rather than in the background.
        this.current = new Generation(Warren.connect(perConnection(options.addresses())));
        this.channelKeeper = Executors.newSingleThreadExecutor(
                Thread.ofVirtual().name("warren-robust-" + n + "-channels").factory());
        this.supervisor = Thread.ofVirtual().name("warren-robust-" + n + "-supervisor").unstarted(this::supervise);
        supervisor.start();
        LOG.info("robust connection '{}' connected to {}", name, current.address);
    }

    static RobustConnection open(ConnectionOptions options) {
        return new RobustConnection(Objects.requireNonNull(options, "options"));
    }

    /** The options of each underlying connection: each publish attempt has its own, shorter timeout. */
    private ConnectionOptions perConnection(List<String> addresses) {
        ConnectionOptions o = options.withPublishTimeout(attemptTimeout);
        return addresses.isEmpty() ? o : o.withAddresses(addresses.toArray(String[]::new));
    }

    // ---------------------------------------------------------------- state

    /**
     * Whether a connection is open right now (and this robust connection is not closed).
     *
     * @return true if the current underlying connection is open and this robust connection has
     *         been neither closed nor given up
     */
    public boolean isOpen() {
        return terminal == null && current.isOpen();
    }

    /**
     * Waits until a connection is open.
     *
     * @param timeout how long to wait at most
     * @return true once a connection is open; false when the time passed or this robust
     *         connection is closed (by the application, or because it gave up)
     * @throws NullPointerException if timeout is null
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitOpen(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        try {
            awaitGeneration(System.nanoTime() + timeout.toNanos());
            return true;
        } catch (TimeoutException | ConnectionClosedException e) {
            return false;
        }
    }

    /**
     * How many times a lost connection was replaced by a new one.
     *
     * @return the number of successful reconnects since this robust connection was opened
     */
    public int recoveries() {
        return recoveries.get();
    }

    /**
     * How many times {@link #publish} sent a message again because the connection or channel
     * it was on died before its confirm (each such message may now be in a queue twice).
     *
     * @return the number of messages sent again since this robust connection was opened
     */
    public long resends() {
        return resends.get();
    }

    /**
     * The {@code host:port} of the current connection, if one is open.
     *
     * @return the address of the open connection, or empty while reconnecting or once closed
     */
    public Optional<String> currentAddress() {
        Generation g = current;
        return isOpen() ? Optional.of(g.address) : Optional.empty();
    }

    /**
     * The name of this robust connection: the connection name of the options, or a generated one.
     *
     * @return {@link ConnectionOptions#connectionName()} if set, else {@code robust-<n>}
     */
    public String name() {
        return name;
    }

    /**
     * Adds a listener for losses and recoveries from now on.
     *
     * @param listener told of each loss and recovery, on the supervisor thread
     * @throws NullPointerException if listener is null
     */
    public void addListener(RecoveryListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    // ---------------------------------------------------------------- publish and call

    /**
     * Publishes a message and returns once the broker has confirmed it, across reconnects: at
     * least once. A message whose outcome is unknown because its connection (or channel) died
     * before the confirm is sent again on the next connection with the same {@code message-id};
     * a message without one gets a unique id first. While there is no connection it waits for the
     * next one. All of it within the publish timeout ({@link ConnectionOptions#withPublishTimeout},
     * default {@link #DEFAULT_PUBLISH_TIMEOUT}). Each attempt waits for its confirm a quarter of
     * that (at least 5 s); an attempt that gets none on an open connection that the broker does not
     * block is treated as unknown too: its channel is replaced and the message sent again. So a
     * publish ends by its deadline plus at most one attempt. Any number of threads may publish at
     * once.
     *
     * @param exchange the exchange, {@code ""} for the default exchange
     * @param routingKey the routing key
     * @param message the message
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a name is longer than 255 bytes
     * @throws PublishNackedException when the broker nacked it: not retried
     * @throws UnroutableException when it is mandatory and no queue took it: not retried
     * @throws ChannelClosedException when the message itself made the broker close the channel
     *         (404 on {@code basic.publish}: the exchange does not exist, checked by a passive
     *         declare; any other {@code basic.publish} error twice in a row): not retried
     * @throws PublishTimeoutException when the deadline passed (waiting for a connection, for
     *         room, or for the confirm); {@code sent()} says whether some attempt had gone out
     * @throws ConnectionClosedException when this robust connection was closed, or gave up
     *         (then the cause is the last {@link ConnectFailedException})
     * @throws InterruptedException when interrupted; the message may or may not have been sent
     */
    public void publish(String exchange, String routingKey, Message message) throws InterruptedException {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(message, "message");
        refuseIfDraining("publishes");
        Message m = message.properties().getMessageId() != null ? message
                : message.withMessageId(idPrefix + ids.incrementAndGet());
        long deadline = System.nanoTime() + publishTimeout.toNanos();
        int slot = (int) (Thread.currentThread().threadId() % PUBLISH_CHANNELS);
        boolean sent = false;
        int strikes = 0;
        while (true) {
            Generation g;
            try {
                g = awaitGeneration(deadline);
            } catch (TimeoutException e) {
                throw new PublishTimeoutException("waiting for a connection", publishTimeout, sent);
            }
            BlockingChannel ch = null;
            try {
                ch = channel(g, slot);
                sent = true;
                ch.publish(exchange, routingKey, m);
                return;
            } catch (PublishTimeoutException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw new PublishTimeoutException("waiting for the broker's confirm", publishTimeout, true);
                }
                if (e.sent() && !g.connection.isBlocked()) {
                    // No confirm on an open, unblocked connection: a stuck channel (seen with quorum
                    // queues after a failover). Its outcome is unknown: a fresh channel, and again.
                    abandon(ch);
                }
            } catch (ConnectionClosedException e) {
                throwIfTerminal();
            } catch (ChannelClosedException e) {
                throwIfTerminal();
                if ("basic.publish".equals(e.failedMethod())) {
                    // The channel is shared: the message that caused the error may be another's.
                    boolean ours = e.replyCode() == 404 ? !exchangeExists(g, exchange) : ++strikes >= 2;
                    if (ours) {
                        throw e;
                    }
                }
            }
            if (sent) {
                resends.incrementAndGet();
                LOG.debug("re-sending message {} on the next channel or connection", m.properties().getMessageId());
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new PublishTimeoutException("re-sending after the connection was lost", publishTimeout, sent);
            }
        }
    }

    /**
     * Request/reply as {@link BlockingChannel#call}, on the current connection; while there is
     * none, it waits for the next one within {@code timeout}. It is never sent twice: a call in
     * flight when the connection dies fails with the {@link ConnectionClosedException}.
     *
     * @param exchange the exchange, {@code ""} for the default exchange
     * @param routingKey the routing key
     * @param request the request; must have neither a reply-to nor a correlation id
     * @param timeout how long to wait in all, for a connection and for the reply
     * @return the reply
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if timeout is not positive
     * @throws RpcTimeoutException when no connection or no reply came in time
     * @throws UnroutableException when no queue took the request
     * @throws PublishNackedException when the broker nacked the request
     * @throws ClosedException when the channel or connection closed before the reply, or this
     *         robust connection was closed or gave up
     * @throws InterruptedException when interrupted
     */
    public Delivery call(String exchange, String routingKey, Message request, Duration timeout)
            throws InterruptedException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, not " + timeout);
        }
        refuseIfDraining("calls");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Generation g;
            BlockingChannel ch;
            try {
                g = awaitGeneration(deadline);
                ch = channel(g, CALL_SLOT);
            } catch (TimeoutException e) {
                throw new RpcTimeoutException("'" + routingKey + "' (no connection)", timeout);
            } catch (ClosedException e) {
                // Nothing was sent yet: waiting for the next connection is still "never twice".
                throwIfTerminal();
                continue;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new RpcTimeoutException("'" + routingKey + "' (no connection)", timeout);
            }
            return ch.call(exchange, routingKey, request, Duration.ofNanos(remaining));
        }
    }

    // ---------------------------------------------------------------- supervise

    /**
     * Runs {@code work} on a virtual thread with the current connection, and again from its start
     * on the next connection whenever it ends with a {@link ClosedException} because the
     * connection was lost or the broker closed a channel (consecutive quick restarts on a
     * connection that stays open wait the policy's backoff). It ends when the work returns,
     * throws anything else, or the {@link Supervised} or this connection is closed; see
     * {@link Supervised#join()}.
     *
     * @param work the work
     * @return its handle
     * @throws NullPointerException if work is null
     * @throws ConnectionClosedException if this robust connection is closed
     */
    public Supervised supervise(Work work) {
        Objects.requireNonNull(work, "work");
        lock.lock();
        try {
            throwIfTerminal();
            Supervised s = new Supervised(this, work, name);
            supervised.add(s);
            s.start();
            return s;
        } finally {
            lock.unlock();
        }
    }

    /** For {@link Supervised}: the next open connection; null once closed by the application. */
    BlockingConnection connectionForWork() throws InterruptedException {
        try {
            return awaitGeneration(0).connection;
        } catch (TimeoutException e) {
            throw new AssertionError("no deadline", e);
        } catch (ConnectionClosedException e) {
            if (closedByApplication) {
                return null;
            }
            throw e;
        }
    }

    /** For {@link Supervised}: the failure that ended this connection, or null when it runs or the application closed it. */
    ConnectionClosedException gaveUp() {
        return closedByApplication ? null : terminal;
    }

    boolean isClosed() {
        return terminal != null;
    }

    RecoveryPolicy policy() {
        return policy;
    }

    void ended(Supervised s) {
        supervised.remove(s);
    }

    // ---------------------------------------------------------------- close

    /**
     * Closes: ends every supervised work (closing its connection, then interrupting it, and
     * waiting for it), fails waiting publishes and calls with a {@link ConnectionClosedException}
     * (200), stops reconnecting and closes the current connection. Idempotent. When interrupted
     * meanwhile it finishes anyway and keeps the interrupt status set.
     *
     * @throws WrongThreadException when called from a supervised work's thread (it would wait for itself)
     */
    @Override
    public void close() {
        for (Supervised s : supervised) {
            if (s.isWorkThread()) {
                throw new WrongThreadException("a supervised work cannot close its own robust connection");
            }
        }
        if (!terminate(new ConnectionClosedException(name, 200, "closed by the application", false, null, null),
                true)) {
            return;
        }
        boolean interrupted = false;
        supervisor.interrupt();
        current.connection.close();
        for (Supervised s : List.copyOf(supervised)) {
            s.close();
        }
        interrupted |= joinUninterruptibly(supervisor);
        // The supervisor may have installed a connection in the meantime; it saw the terminal
        // state and closed it, but make sure.
        current.connection.close();
        channelKeeper.shutdown();
        while (true) {
            try {
                if (channelKeeper.awaitTermination(1, TimeUnit.DAYS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        LOG.info("robust connection '{}' closed", name);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Closes gracefully: stops taking new work, lets the running work finish for up to
     * {@code grace}, then {@linkplain #close() closes}. Publishes and calls are refused
     * ({@link ConnectionClosedException}, 200) from every thread but the supervised works and the
     * owners and subtasks of the current connection's channels (their handlers), which may still
     * publish what their work produces; every subscription on the current connection is
     * {@linkplain Subscription#cancel() cancelled}, so a work's {@code handle} or {@code serve}
     * returns once its handlers have settled, and the work can return; then it waits, up to
     * {@code grace} in all, until every supervised work has ended, no handler runs, and no
     * publish or call waits for the broker. What still runs then is cancelled by the close, and
     * what still waits fails with the {@link ClosedException}, never silently. The report says
     * what was cut off (logged too: INFO when nothing was, WARN otherwise). A recovery during the
     * drain is not drained again: what the works subscribed on the new connection is closed with
     * it. On a robust connection closed already it does nothing and reports zeros. If
     * interrupted meanwhile it stops waiting, closes, and keeps the interrupt status set.
     *
     * @param grace how long to wait at most for the running work
     * @return what the drain did and what was still running when it closed
     * @throws NullPointerException if grace is null
     * @throws IllegalArgumentException if grace is negative
     * @throws WrongThreadException when called from a supervised work of this connection
     */
    public DrainReport close(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative, not " + grace);
        }
        if (isWorkThread()) {
            throw new WrongThreadException("a supervised work cannot close its own robust connection");
        }
        if (terminal != null) {
            close();
            return DrainReport.nothing();
        }
        draining = true;
        DrainReport r = current.connection.drain(System.nanoTime()
                + dev.warren.internal.Durations.saturatedNanos(grace), supervised::size, this::isWorkThread);
        close();
        BlockingConnection.log(LOG, "robust connection '" + name + "'", r);
        return r;
    }

    /** During {@link #close(Duration)}: refuses a publish or call from outside the running work. */
    private void refuseIfDraining(String what) {
        if (draining && !isWorkThread() && !current.connection.isWorkerThread()) {
            throw BlockingConnection.refused(name, what);
        }
    }

    private boolean isWorkThread() {
        for (Supervised s : supervised) {
            if (s.isWorkThread()) {
                return true;
            }
        }
        return false;
    }

    /** Whether every thread of this connection has ended (for tests). */
    boolean threadsEnded() {
        return !supervisor.isAlive() && channelKeeper.isTerminated() && supervised.isEmpty();
    }

    @Override
    public String toString() {
        return "RobustConnection[" + name + ", " + (terminal != null ? "closed" : isOpen() ? current.address
                : "reconnecting") + ", recoveries=" + recoveries.get() + "]";
    }

    // ---------------------------------------------------------------- machinery

    /**
     * The current generation once its connection is open.
     *
     * @param deadline System.nanoTime() to give up at; 0 for none
     */
    private Generation awaitGeneration(long deadline) throws InterruptedException, TimeoutException {
        Generation g = current;
        if (terminal == null && g.isOpen()) {
            return g;
        }
        lock.lock();
        try {
            while (true) {
                throwIfTerminal();
                g = current;
                if (g.isOpen()) {
                    return g;
                }
                if (deadline == 0) {
                    changed.await();
                } else {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        throw new TimeoutException();
                    }
                    // A lost connection is noticed by isOpen() before the supervisor says so: look again soon.
                    changed.awaitNanos(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(50)));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void throwIfTerminal() {
        ConnectionClosedException t = terminal;
        if (t != null) {
            throw t.forCaller();
        }
    }

    /** Sets the terminal state once; wakes every waiter. Returns whether this call set it. */
    private boolean terminate(ConnectionClosedException why, boolean byApplication) {
        lock.lock();
        try {
            if (terminal != null) {
                return false;
            }
            closedByApplication = byApplication;
            terminal = why;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The channel of {@code slot} on generation {@code g}, opened (by the keeper) when missing or dead. */
    private BlockingChannel channel(Generation g, int slot) throws InterruptedException {
        while (true) {
            CompletableFuture<BlockingChannel> f = g.channels.get(slot);
            if (f != null) {
                BlockingChannel ch = f.getNow(null);
                if (ch != null && ch.isOpen()) {
                    return ch;
                }
                if (ch == null && !f.isDone()) {
                    ch = awaitChannel(f);
                    if (ch.isOpen()) {
                        return ch;
                    }
                }
                if (!g.isOpen()) {
                    throw connectionLost(g);
                }
            }
            CompletableFuture<BlockingChannel> fresh = new CompletableFuture<>();
            if (g.channels.compareAndSet(slot, f, fresh)) {
                BlockingChannel dead = f == null ? null : f.getNow(null);
                openOn(g, fresh, dead);
                return awaitChannel(fresh);
            }
        }
    }

    /** Closes a channel that stopped confirming, on the keeper (its owner); the next publish opens another. */
    private void abandon(BlockingChannel ch) {
        try {
            LOG.warn("robust connection '{}': no confirm within {} ms on {}; re-sending on a new channel", name,
                    attemptTimeout.toMillis(), ch);
            channelKeeper.submit(ch::close);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closing: the connection's close takes the channel with it.
        }
    }

    private void openOn(Generation g, CompletableFuture<BlockingChannel> into, BlockingChannel dead) {
        try {
            channelKeeper.submit(() -> {
                if (dead != null) {
                    dead.close(); // the broker closed it; this only drops it from its connection
                }
                try {
                    into.complete(g.connection.openChannel());
                } catch (RuntimeException e) {
                    into.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            into.completeExceptionally(terminal != null ? terminal.forCaller() : e);
        }
    }

    private static BlockingChannel awaitChannel(CompletableFuture<BlockingChannel> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ClosedException c) {
                throw c.forCaller();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (CancellationException e) {
            throw new IllegalStateException(e);
        }
    }

    private ClosedException connectionLost(Generation g) {
        ClosedException c = g.lost.getNow(null);
        return c != null ? c.forCaller()
                : new ConnectionClosedException(name, 320, "connection lost", true, null, null);
    }

    /** Whether {@code exchange} exists, asked on a channel of its own; true when it cannot tell. */
    private boolean exchangeExists(Generation g, String exchange) throws InterruptedException {
        if (exchange.isEmpty()) {
            return true;
        }
        try {
            return channelKeeper.submit(() -> {
                try (BlockingChannel ch = g.connection.openChannel()) {
                    ch.exchangeDeclarePassive(exchange);
                    return true;
                } catch (ChannelClosedException e) {
                    return e.replyCode() != 404;
                } catch (ClosedException e) {
                    return true;
                }
            }).get();
        } catch (ExecutionException | java.util.concurrent.RejectedExecutionException e) {
            return true;
        }
    }

    /** The supervisor: waits for a loss, then reconnects with backoff until connected, closed or given up. */
    private void supervise() {
        try {
            while (terminal == null) {
                Generation lostGen = current;
                ClosedException cause;
                try {
                    cause = lostGen.lost.get();
                } catch (ExecutionException e) {
                    throw new AssertionError(e);
                }
                if (terminal != null) {
                    return;
                }
                ConnectionClosedException why = cause instanceof ConnectionClosedException c ? c
                        : new ConnectionClosedException(name, cause.replyCode(), cause.replyText(),
                                cause.initiatedByBroker(), cause.failedMethod(), cause);
                LOG.warn("robust connection '{}' lost its connection to {}: {}; reconnecting", name,
                        lostGen.address, why.getMessage());
                telemetry.connectionLost(why);
                listeners.forEach(l -> tell(() -> l.connectionLost(why)));
                reconnect(lostGen);
            }
        } catch (InterruptedException e) {
            // Closed by the application: close() interrupts the supervisor.
        }
    }

    private void reconnect(Generation lostGen) throws InterruptedException {
        long lostAt = System.nanoTime();
        int failures = 0;
        while (true) {
            Duration delay = policy.delayBefore(failures + 1);
            lock.lock();
            try {
                long end = System.nanoTime() + delay.toNanos();
                long left;
                while (terminal == null && (left = end - System.nanoTime()) > 0) {
                    changed.awaitNanos(left);
                }
                if (terminal != null) {
                    return;
                }
            } finally {
                lock.unlock();
            }
            BlockingConnection next;
            try {
                next = Warren.connect(perConnection(Addresses.startingAfter(options.addresses(), lostGen.address)));
            } catch (ConnectFailedException e) {
                failures++;
                LOG.warn("robust connection '{}': reconnect attempt {} failed: {}", name, failures, e.getMessage());
                if (e.accessRefused() || policy.exhaustedAfter(failures)) {
                    giveUp(e, failures);
                    return;
                }
                continue;
            }
            Generation g = new Generation(next);
            lock.lock();
            try {
                if (terminal != null) {
                    next.close();
                    return;
                }
                current = g;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            int attempts = failures + 1;
            Duration outage = Duration.ofNanos(System.nanoTime() - lostAt);
            recoveries.incrementAndGet();
            LOG.info("robust connection '{}' recovered: connected to {} after {} attempt(s), {} ms without a"
                    + " connection", name, g.address, attempts, outage.toMillis());
            telemetry.recovered(attempts, outage);
            listeners.forEach(l -> tell(() -> l.connectionRecovered(g.address, attempts, outage)));
            return;
        }
    }

    private void giveUp(ConnectFailedException last, int failures) {
        String why = last.accessRefused() ? "the broker refused the credentials or the virtual host"
                : "gave up after " + failures + " failed attempts to reconnect";
        LOG.error("robust connection '{}' {}: {}", name, why, last.getMessage());
        terminate(new ConnectionClosedException(name, 320, "connection lost; " + why, true, null, last), false);
        listeners.forEach(l -> tell(() -> l.recoveryFailed(last)));
        // Works waiting for a connection woke up and end; one busy outside Warren's calls is interrupted.
        supervised.forEach(Supervised::interrupt);
        current.connection.close();
    }

    private void tell(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("a recovery listener of robust connection '{}' failed", name, e);
        }
    }

    private static boolean joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
    }
}
