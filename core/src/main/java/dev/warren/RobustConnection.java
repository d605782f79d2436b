package dev.warren;

import dev.warren.internal.Addresses;
import dev.warren.internal.Publisher;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection that recovers: when the connection is lost (socket error, missed heartbeats, a
 * forced close, a node going down, a channel open that times out on a connection the broker does
 * not block) a supervisor makes a new one, with backoff, trying the
 * {@link ConnectionOptions#withAddresses(String...) addresses} in turn, and the work is run again
 * on it. Opened by {@link Warren#connectRobust(ConnectionOptions)}. Thread-safe.
 *
 * <p>What it recovers, and how, in one place:
 * <ul>
 * <li>{@link #onConnect} setup (declarations) runs on every new connection before anything else
 *     resumes on it.</li>
 * <li>{@link #publish} is at least once: a message whose outcome a lost channel or connection
 *     left unknown is sent again, with the same {@code message-id} (one is set when the message
 *     has none), until it is confirmed or its deadline passes. Consumers may therefore see a
 *     message twice, with the same id, but only after a loss: a slow confirm and a blocked
 *     connection are waited for, never a reason to send again.</li>
 * <li>{@link #call} waits for a connection but is never sent twice.</li>
 * <li>{@link #supervise} runs a {@link Work} on the current connection and again from its start
 *     on the next one, so the work declares its own topology and subscribes again. Nothing is
 *     recorded and replayed.</li>
 * </ul>
 * Pending calls on the lost connection still fail loudly with the {@link ClosedException}, as on
 * any {@link BlockingConnection}; recovery happens one level up.
 *
 * <p>It holds two connections to the same node: one for supervised works, calls and setup, and
 * one of its own for {@link #publish} (named {@code <name>.publish}), because under a resource
 * alarm the broker stops reading a connection that publishes, and with it the acks of any
 * consumer on it. Either one lost counts as the loss of both: both are made again. A connection
 * the broker blocks (a memory or disk alarm) is not lost: publishes and channel opens wait for
 * the unblock, within their deadlines, and listeners hear of it
 * ({@link RecoveryListener#connectionBlocked}).
 *
 * <p>What is not recovered: the application's own {@link #close()}; credentials or a virtual
 * host that every address refuses (it gives up at once; one node refusing during its shutdown
 * is only a failed attempt); the policy's {@link RecoveryPolicy#withMaxAttempts(int) attempts}
 * used up. Any other failure of an attempt (a TLS file gone, a credentials provider that throws)
 * is a failed attempt, retried. After it gives up it is closed: waiting and later calls fail with
 * a {@link ConnectionClosedException} whose cause is the last {@link ConnectFailedException}.
 *
 * <p>Every loss and recovery is logged (slf4j, logger {@code dev.warren.RobustConnection}, never
 * with a password) and told to the {@link RecoveryListener}s.
 */
public final class RobustConnection implements AutoCloseable {
    /** The publish deadline when the options set none. */
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(RobustConnection.class);
    private static final int PUBLISH_SLOT = 0;
    private static final int CALL_SLOT = 1;
    /** Where a message whose shared channel a bad message closed is sent again, alone. */
    private static final int ALONE_SLOT = 2;
    private static final int SLOTS = 3;
    /** How long a publishing channel may get nothing but nacks before it is replaced ({@link #retireIfOnlyNacked}). */
    static final Duration NACK_STREAK = Duration.ofSeconds(5);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final ConnectionOptions options;
    private final Duration publishTimeout;
    private final RecoveryPolicy policy;
    private final RecoveryPolicy nackRetry;
    private final String name;
    /** JFR events and the observer of the options, for losses and recoveries. */
    private final dev.warren.internal.Telemetry telemetry;
    private final String idPrefix;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong resends = new AtomicLong();
    private final AtomicInteger recoveries = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Held while setup runs: on a new connection before it is installed, or by {@link #onConnect}. */
    private final ReentrantLock setupLock = new ReentrantLock();
    /** One message at a time on the {@link #ALONE_SLOT} channel: one whose error closes it is the culprit. */
    private final ReentrantLock aloneLock = new ReentrantLock();
    private final List<RecoveryListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Work> setups = new CopyOnWriteArrayList<>();
    private final Set<Supervised> supervised = ConcurrentHashMap.newKeySet();
    /** Owns every channel this class opens itself: only a channel's owner may close it. */
    private final ExecutorService channelKeeper;
    /** Tells the listeners, one event at a time and in order, on a thread that close() need not wait for. */
    private final ExecutorService events;
    private volatile Thread eventsThread;
    private final Thread supervisor;
    private volatile Generation current;
    /** Set once, when closed by the application or after giving up; what every later call throws. */
    private volatile ConnectionClosedException terminal;
    private volatile boolean closedByApplication;
    /** Set by {@link #close(Duration)}: publishes and calls from outside the supervised works are refused. */
    private volatile boolean draining;

    /**
     * One connection for works, calls and setup, one of its own for robust publishing (the
     * broker stops reading a connection it blocks, acks of its consumers included), both on the
     * same node, and the channels this class opened on them. Either one lost loses both.
     */
    static final class Generation {
        final BlockingConnection connection;
        final BlockingConnection publishing;
        /** The address connected to, as configured ({@code host:port}, host name unresolved). */
        final String address;
        /** Its index among the configured addresses; -1 when there are none. */
        final int index;
        final CompletableFuture<ClosedException> lost = new CompletableFuture<>();
        final AtomicReferenceArray<CompletableFuture<BlockingChannel>> channels = new AtomicReferenceArray<>(SLOTS);
        /** Exchanges a passive declare found on this connection, so that a call to a missing one fails alone. */
        final Set<String> exchanges = ConcurrentHashMap.newKeySet();
        /** System.nanoTime() of the first nack since the publishing channel's last ack; 0 while it is acked. */
        final AtomicLong nackingSince = new AtomicLong();

        Generation(BlockingConnection connection, BlockingConnection publishing, List<String> configured) {
            this.connection = connection;
            this.publishing = publishing;
            this.address = connection.address();
            this.index = configured.indexOf(address);
            connection.onClose(lost::complete);
            publishing.onClose(lost::complete);
        }

        /** Open as far as Warren knows: no monitor of amqp-client's on the way (hot path). */
        boolean isOpen() {
            return !lost.isDone() && connection.isKnownOpen() && publishing.isKnownOpen();
        }

        /** The connection the channel of {@code slot} is opened on. */
        BlockingConnection forSlot(int slot) {
            return slot == CALL_SLOT ? connection : publishing;
        }

        /** Closes both: the one that was not lost goes with the other. */
        void close() {
            connection.close();
            publishing.close();
        }
    }

    private RobustConnection(ConnectionOptions options) {
        this.options = options;
        this.publishTimeout = options.publishTimeout() != null ? options.publishTimeout() : DEFAULT_PUBLISH_TIMEOUT;
        this.policy = options.recovery();
        this.nackRetry = options.nackRetry().orElse(null);
        int n = INSTANCES.incrementAndGet();
        this.name = options.connectionName() != null ? options.connectionName() : "robust-" + n;
        this.telemetry = dev.warren.internal.Telemetry.of(options.observer(), name);
        this.idPrefix = "warren-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "-";
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = Thread.ofVirtual().name("warren-robust-" + n + "-events").unstarted(r);
            eventsThread = t;
            return t;
        });
        // The first connection is made on the caller's thread, so that a wrong address or
        // password fails here rather than in the background.
        try {
            this.current = newGeneration(Warren.connect(perConnection(options.addresses(), options.addressShuffle())));
        } catch (RuntimeException | Error e) {
            events.shutdown();
            throw e;
        }
        this.channelKeeper = Executors.newSingleThreadExecutor(
                Thread.ofVirtual().name("warren-robust-" + n + "-channels").factory());
        this.supervisor = Thread.ofVirtual().name("warren-robust-" + n + "-supervisor").unstarted(this::supervise);
        supervisor.start();
        LOG.info("robust connection '{}' connected to {}", name, current.address);
    }

    static RobustConnection open(ConnectionOptions options) {
        return new RobustConnection(Objects.requireNonNull(options, "options"));
    }

    /**
     * The options of each underlying connection: the addresses in the order to try them. Each
     * publish passes its own remaining deadline, so the connection's own timeout only bounds
     * what robust publishing does not use.
     */
    private ConnectionOptions perConnection(List<String> addresses, boolean shuffle) {
        ConnectionOptions o = options.withPublishTimeout(publishTimeout).withAddressShuffle(shuffle);
        return addresses.isEmpty() ? o : o.withAddresses(addresses.toArray(String[]::new));
    }

    /**
     * A generation on {@code c}: opens its publishing connection on the same address and tells
     * the listeners of blocks of either. Closes {@code c} when the second connection fails.
     */
    private Generation newGeneration(BlockingConnection c) {
        BlockingConnection publishing;
        try {
            ConnectionOptions o = perConnection(options.addresses().isEmpty() ? List.of() : List.of(c.address()), false);
            publishing = Warren.connect(o.withConnectionName(name + ".publish"));
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        Generation g = new Generation(c, publishing, options.addresses());
        for (BlockingConnection each : List.of(c, publishing)) {
            each.unwrap().addBlockedListener(new com.rabbitmq.client.BlockedListener() {
                @Override
                public void handleBlocked(String reason) {
                    LOG.warn("robust connection '{}': the broker blocked {} on {}: {}", name, each.name(), g.address,
                            reason);
                    tellListeners(l -> l.connectionBlocked(reason));
                }

                @Override
                public void handleUnblocked() {
                    LOG.info("robust connection '{}': the broker unblocked {} on {}", name, each.name(), g.address);
                    tellListeners(RecoveryListener::connectionUnblocked);
                }
            });
        }
        return g;
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
     * How many times {@link #publish} wrote a message again after an earlier attempt of it had
     * reached the socket and then lost its channel or connection before the confirm (each such
     * message may now be in a queue twice). Attempts that never reached the socket do not count.
     *
     * @return the number of messages sent again since this robust connection was opened
     */
    public long resends() {
        return resends.get();
    }

    /**
     * The address of the current connection, as configured (the host name of
     * {@link ConnectionOptions#withAddresses}, not resolved), if one is open.
     *
     * @return the {@code host:port} of the open connection, or empty while reconnecting or once closed
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
     * Adds a listener for losses, recoveries and blocks from now on.
     *
     * @param listener told of each event on a thread of this connection's own (see {@link RecoveryListener})
     * @throws NullPointerException if listener is null
     */
    public void addListener(RecoveryListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Registers topology setup (declarations, bindings): runs {@code setup} now on the current
     * connection, and again on every new connection <em>before</em> publishes, calls and
     * supervised works resume on it, so that a queue a work re-creates (exclusive, auto-delete,
     * server-named) exists before the first message is routed to it. Setups run in the order
     * registered, on the supervisor's thread; the connection must not be closed by them. On a
     * new connection a setup that fails makes that attempt a failed one: the connection is closed
     * and recovery tries again after the policy's backoff (a setup that always fails is retried
     * until the policy gives up, logged each time). Setup uses the connection it is given: this
     * robust connection's own publish and call wait for the connection that setup prepares.
     *
     * <p>While there is no connection it is only registered, and runs on the next one.
     *
     * @param setup what to run on each new connection
     * @throws NullPointerException if setup is null
     * @throws ConnectionClosedException when this robust connection is closed, or the connection
     *         was lost while setup ran now (it is then not registered)
     * @throws ClosedException when setup failed now on a channel error (it is not registered)
     * @throws SubtaskFailedException when setup threw a checked exception now (the cause; it is not registered)
     * @throws RuntimeException what setup threw now (it is not registered)
     * @throws InterruptedException when interrupted while setup ran now (it is not registered)
     */
    public void onConnect(Work setup) throws InterruptedException {
        Objects.requireNonNull(setup, "setup");
        setupLock.lock();
        try {
            throwIfTerminal();
            Generation g = current;
            if (g.isOpen()) {
                try {
                    setup.run(g.connection);
                } catch (RuntimeException | InterruptedException | Error e) {
                    throw e;
                } catch (Exception e) {
                    throw new SubtaskFailedException(e);
                }
            }
            setups.add(setup);
        } finally {
            setupLock.unlock();
        }
    }

    // ---------------------------------------------------------------- publish and call

    /**
     * Publishes a message and returns once the broker has confirmed it, across reconnects: at
     * least once. A message whose outcome is unknown because its channel or connection died after
     * it had been written is sent again on the next one with the same {@code message-id}; a
     * message without one gets a unique id first. While there is no connection, while the broker
     * blocks the connection and while the confirm is slow on an open channel it waits, never
     * sending again. All of it within the publish timeout
     * ({@link ConnectionOptions#withPublishTimeout}, default {@link #DEFAULT_PUBLISH_TIMEOUT}).
     * Any number of threads may publish at once.
     *
     * <p>When the broker closes the shared publishing channel for a {@code basic.publish} error
     * (404: the exchange does not exist; 406: a property it refuses), the message that caused it
     * cannot be told from the others in flight, so each of them is sent again alone on a channel
     * of its own: the one that closes it again gets the error, the others are confirmed.
     *
     * <p>With {@link ConnectionOptions#withNackRetry(RecoveryPolicy)} a nack is retried (same
     * {@code message-id}) within the deadline; without it, it is thrown.
     *
     * @param exchange the exchange, {@code ""} for the default exchange
     * @param routingKey the routing key
     * @param message the message
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a name is longer than 255 bytes
     * @throws PublishNackedException when the broker nacked it (and nack retry is off or used up)
     * @throws UnroutableException when it is mandatory and no queue took it: not retried
     * @throws ChannelClosedException when the message itself made the broker close the channel
     *         (an error on {@code basic.publish}, seen when it was sent alone): not retried
     * @throws PublishTimeoutException when the deadline passed (waiting for a connection, for
     *         the broker to unblock it, for room, or for the confirm); {@code sent()} says whether
     *         some attempt had reached the socket
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
        Attempts a = new Attempts();
        boolean alone = false;
        while (true) {
            Generation g;
            try {
                g = awaitGeneration(deadline);
            } catch (TimeoutException e) {
                throw timedOut("waiting for a connection", a);
            }
            if (alone && !aloneLock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw timedOut("waiting for its turn to be sent again alone", a);
            }
            DeferredConfirm dc = null;
            BlockingChannel ch = null;
            try {
                ch = channel(g, alone ? ALONE_SLOT : PUBLISH_SLOT, deadline);
                dc = ch.publishDeferred(exchange, routingKey, m, remaining(deadline));
                // Bounded by the message's own deadline, which also takes it back if it was not
                // written yet, so that sent() tells the truth.
                dc.await();
                a.ended(dc, false);
                if (g.nackingSince.get() != 0) {
                    g.nackingSince.set(0);
                }
                return;
            } catch (TimeoutException e) {
                throw timedOut("waiting for a channel", a);
            } catch (PublishTimeoutException e) {
                a.ended(dc, false);
                throw timedOut(e.sent() ? "waiting for the broker's confirm"
                        : "waiting for the broker to unblock the connection, or for room", a);
            } catch (PublishNackedException e) {
                a.ended(dc, false);
                if (!alone) {
                    retireIfOnlyNacked(g, ch);
                }
                Duration delay = nackRetry == null || nackRetry.exhaustedAfter(++a.nacks) ? null
                        : nackRetry.delayBefore(a.nacks);
                if (delay == null || System.nanoTime() + delay.toNanos() - deadline >= 0) {
                    throw e;
                }
                LOG.debug("message {} nacked; sending it again in {} ms", m.properties().getMessageId(),
                        delay.toMillis());
                TimeUnit.NANOSECONDS.sleep(delay.toNanos());
            } catch (ClosedException e) {
                throwIfTerminal();
                a.ended(dc, true);
                if (e instanceof ChannelClosedException c && c.initiatedByBroker()
                        && "basic.publish".equals(c.failedMethod())) {
                    if (alone) {
                        throw e; // alone on its channel: this message caused it
                    }
                    alone = true; // the shared channel: any of the messages in flight may have caused it
                }
            } catch (RuntimeException | InterruptedException | Error e) {
                a.ended(dc, false);
                throw e;
            } finally {
                if (aloneLock.isHeldByCurrentThread()) {
                    aloneLock.unlock();
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw timedOut("re-sending after the channel or connection was lost", a);
            }
        }
    }

    /** The attempts of one robust publish: which reached the socket, and whether one was lost after it did. */
    private final class Attempts {
        boolean sent;
        boolean unknown;
        int nacks;

        /** One attempt ended; {@code lost} when its channel or connection closed before the outcome. */
        void ended(DeferredConfirm dc, boolean lost) {
            if (dc == null || !Publisher.written(dc)) {
                return;
            }
            if (unknown) {
                resends.incrementAndGet(); // this attempt reached the socket after one whose outcome is unknown
            }
            sent = true;
            unknown = lost;
        }
    }

    private PublishTimeoutException timedOut(String why, Attempts a) {
        return new PublishTimeoutException(why, publishTimeout, a.sent);
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }

    /**
     * Request/reply as {@link BlockingChannel#call}, on the current connection; while there is
     * none, it waits for the next one within {@code timeout}. It is never sent twice: a call in
     * flight when the connection dies fails with the {@link ConnectionClosedException}. The
     * calls share a channel; so that a call to an exchange that does not exist fails alone
     * rather than every call on that channel, a passive declare checks each exchange (but the
     * default one) the first time it is called on a connection.
     *
     * @param exchange the exchange, {@code ""} for the default exchange
     * @param routingKey the routing key
     * @param request the request; must have neither a reply-to nor a correlation id
     * @param timeout how long to wait in all, for a connection, a channel and the reply
     * @return the reply
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if timeout is not positive
     * @throws RpcTimeoutException when no connection or no reply came in time
     * @throws UnroutableException when no queue took the request
     * @throws PublishNackedException when the broker nacked the request
     * @throws ChannelClosedException 404 NOT_FOUND (failed method {@code exchange.declare}) when
     *         the exchange does not exist: nothing was sent
     * @throws ClosedException when the channel or connection closed before the reply, or this
     *         robust connection was closed or gave up
     * @throws InterruptedException when interrupted
     */
    public Delivery call(String exchange, String routingKey, Message request, Duration timeout)
            throws InterruptedException {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(routingKey, "routingKey");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, not " + timeout);
        }
        refuseIfDraining("calls");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            BlockingChannel ch;
            try {
                Generation g = awaitGeneration(deadline);
                if (!exchange.isEmpty() && !g.exchanges.contains(exchange)) {
                    checkExchange(g, exchange, deadline);
                }
                ch = channel(g, CALL_SLOT, deadline);
            } catch (TimeoutException e) {
                throw new RpcTimeoutException("'" + routingKey + "' (no connection)", timeout);
            } catch (ConnectionClosedException e) {
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
     * on the next connection, by the rules of {@link Supervised}: restarted on a lost connection
     * or a passing channel error, ended when it returns, fails with a permanent error or a bug of
     * its own, or is closed.
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
            while (true) {
                Generation g = awaitGeneration(0);
                // amqp-client tells a connection's channels of its close before the connection's
                // own listeners: a work woken by the close must not start again on the dying one.
                if (g.connection.isOpen() && g.publishing.isOpen()) {
                    return g.connection;
                }
                try {
                    g.lost.get();
                } catch (ExecutionException e) {
                    // lost all the same
                }
            }
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
     * (200), stops reconnecting and closes the current connection. Idempotent. May be called from
     * a {@link RecoveryListener} (it then does not wait for the listener thread it runs on). When
     * interrupted meanwhile it finishes anyway and keeps the interrupt status set.
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
        current.close();
        for (Supervised s : List.copyOf(supervised)) {
            s.close();
        }
        if (Thread.currentThread() != supervisor) {
            interrupted |= joinUninterruptibly(supervisor);
        }
        // The supervisor may have installed a connection in the meantime; it saw the terminal
        // state and closed it, but make sure.
        current.close();
        channelKeeper.shutdown();
        interrupted |= awaitTermination(channelKeeper);
        events.shutdown();
        if (Thread.currentThread() != eventsThread) {
            interrupted |= awaitTermination(events);
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
        long deadline = System.nanoTime() + dev.warren.internal.Durations.saturatedNanos(grace);
        Generation g = current;
        // The works first (their handlers may still publish), then the publishing connection's
        // confirms, within the same grace: robust publishes go over a connection of their own.
        DrainReport r = g.connection.drain(deadline, supervised::size, this::isWorkThread)
                .plus(g.publishing.drain(deadline, () -> 0, this::isWorkThread));
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
        return !supervisor.isAlive() && channelKeeper.isTerminated() && events.isTerminated() && supervised.isEmpty();
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
                    changed.awaitNanos(remaining);
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

    /** Wakes the waiters of the current generation: it is lost, or a new one is installed. */
    private void signalChanged() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replaces the publishing channel {@code ch} once it has had nothing but nacks for
     * {@link #NACK_STREAK}: RabbitMQ 3.10 keeps nacking every publish of a channel that began
     * publishing to a quorum queue while its leader was being replaced, for minutes, while a new
     * channel on the same node is acked ({@code ClusterFailoverTest} saw 115,462 nacks in a row).
     * A queue that nacks every channel alike (full, with reject-publish) costs one new channel per
     * streak. The publishes in flight on the old channel end with its close and are sent again,
     * as after any loss.
     */
    private void retireIfOnlyNacked(Generation g, BlockingChannel ch) {
        long now = System.nanoTime();
        long since = g.nackingSince.get();
        if (since == 0) {
            g.nackingSince.compareAndSet(0, now);
            return;
        }
        if (now - since < NACK_STREAK.toNanos()) {
            return;
        }
        CompletableFuture<BlockingChannel> f = g.channels.get(PUBLISH_SLOT);
        if (f != null && f.state() == Future.State.SUCCESS && f.resultNow() == ch
                && g.channels.compareAndSet(PUBLISH_SLOT, f, null)) {
            g.nackingSince.set(0);
            LOG.info("robust connection '{}': its publishing channel had nothing but nacks for {} s; opening a new one",
                    name, NACK_STREAK.toSeconds());
            try {
                channelKeeper.execute(ch::close);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // Closing: the connection goes, and the channel with it.
            }
        }
    }

    /**
     * The channel of {@code slot} on generation {@code g}, opened by the keeper when missing, dead
     * or failed; waits for the keeper until {@code deadline} at most.
     *
     * @throws TimeoutException when the deadline passed
     * @throws ClosedException when the connection is lost
     */
    private BlockingChannel channel(Generation g, int slot, long deadline)
            throws InterruptedException, TimeoutException {
        CompletableFuture<BlockingChannel> mine = null;
        while (true) {
            if (!g.isOpen()) {
                throw connectionLost(g);
            }
            CompletableFuture<BlockingChannel> f = g.channels.get(slot);
            if (f != null) {
                if (!f.isDone()) {
                    awaitDone(f, deadline);
                }
                if (f.state() == Future.State.SUCCESS && f.resultNow().isKnownOpen()) {
                    return f.resultNow();
                }
                if (f == mine && f.state() == Future.State.FAILED) {
                    // The open this caller asked for failed: its failure, not another attempt.
                    throw failureOf(f.exceptionNow(), g);
                }
            }
            CompletableFuture<BlockingChannel> fresh = new CompletableFuture<>();
            if (g.channels.compareAndSet(slot, f, fresh)) {
                BlockingChannel dead = f != null && f.state() == Future.State.SUCCESS ? f.resultNow() : null;
                openOn(g, slot, fresh, dead);
                mine = fresh;
            }
        }
    }

    private void openOn(Generation g, int slot, CompletableFuture<BlockingChannel> into, BlockingChannel dead) {
        try {
            channelKeeper.execute(() -> {
                if (dead != null) {
                    dead.close(); // the broker closed it; this only drops it from its connection
                }
                try {
                    into.complete(g.forSlot(slot).openChannel());
                } catch (RuntimeException | Error e) {
                    into.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            into.completeExceptionally(terminal != null ? terminal.forCaller() : e);
        }
    }

    /** Waits for {@code f} to complete, whatever its outcome, until {@code deadline} (0: none). */
    private static void awaitDone(CompletableFuture<?> f, long deadline) throws InterruptedException, TimeoutException {
        try {
            if (deadline == 0) {
                f.get();
            } else {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            // Done: the caller reads its state.
        }
    }

    /** What a failed keeper task throws to its caller: a close as this caller's copy, never a wrapper. */
    private RuntimeException failureOf(Throwable t, Generation g) {
        if (t instanceof ClosedException c) {
            return c.forCaller();
        }
        if (t instanceof java.util.concurrent.RejectedExecutionException) {
            return terminal != null ? terminal.forCaller() : connectionLost(g);
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private ClosedException connectionLost(Generation g) {
        ClosedException c = g.lost.getNow(null);
        return c != null ? c.forCaller()
                : new ConnectionClosedException(name, 320, "connection lost", true, null, null);
    }

    /**
     * Checks with a passive declare, on a channel of its own, that {@code exchange} exists, and
     * remembers it for {@code g} if so.
     *
     * @throws ChannelClosedException 404 when it does not
     * @throws ClosedException when the connection was lost meanwhile
     * @throws TimeoutException when the deadline passed first
     */
    private void checkExchange(Generation g, String exchange, long deadline)
            throws InterruptedException, TimeoutException {
        CompletableFuture<Void> checked = new CompletableFuture<>();
        try {
            channelKeeper.execute(() -> {
                try (BlockingChannel ch = g.connection.openChannel()) {
                    ch.exchangeDeclarePassive(exchange);
                    g.exchanges.add(exchange);
                    checked.complete(null);
                } catch (Throwable e) {
                    checked.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            checked.completeExceptionally(e);
        }
        awaitDone(checked, deadline);
        if (checked.state() == Future.State.FAILED) {
            throw failureOf(checked.exceptionNow(), g);
        }
        if (!checked.isDone()) {
            throw new TimeoutException();
        }
    }

    /**
     * The supervisor: waits for a loss, then reconnects with backoff until connected, closed or
     * given up. Whatever a step throws is logged and the supervisor goes on; if it still ends
     * without the connection being closed, every waiter is failed with the cause.
     */
    private void supervise() {
        Throwable died = null;
        try {
            while (terminal == null) {
                try {
                    Generation lostGen = current;
                    ClosedException cause;
                    try {
                        cause = lostGen.lost.get();
                    } catch (ExecutionException e) {
                        cause = new ConnectionClosedException(name, 0, "connection lost: " + e.getCause(), true,
                                null, e.getCause());
                    }
                    if (terminal != null) {
                        return;
                    }
                    reportLoss(lostGen, cause);
                    reconnect(lostGen);
                } catch (InterruptedException e) {
                    if (terminal != null) {
                        return; // closed by the application: close() interrupts the supervisor
                    }
                } catch (RuntimeException | Error e) {
                    LOG.error("robust connection '{}': the supervisor failed, and goes on", name, e);
                    pauseAfterFailure();
                }
            }
        } catch (Throwable e) {
            died = e;
        } finally {
            if (terminal == null) {
                fail(died);
            }
        }
    }

    /** A supervisor ending without the connection closed: no recovery is coming, so every waiter must hear why. */
    private void fail(Throwable died) {
        String why = "recovery stopped: its supervisor failed" + (died != null ? ": " + died : "");
        LOG.error("robust connection '{}': {}", name, why, died);
        terminate(new ConnectionClosedException(name, 0, why, false, null, died), false);
        supervised.forEach(Supervised::interrupt);
        current.close();
    }

    private void pauseAfterFailure() {
        try {
            TimeUnit.NANOSECONDS.sleep(policy.delayBefore(1).toNanos());
        } catch (InterruptedException e) {
            // close() interrupts: the loop sees the terminal state
        }
    }

    private void reportLoss(Generation lostGen, ClosedException cause) {
        ConnectionClosedException why = cause instanceof ConnectionClosedException c ? c
                : new ConnectionClosedException(name, cause.replyCode(), cause.replyText(),
                        cause.initiatedByBroker(), cause.failedMethod(), cause);
        LOG.warn("robust connection '{}' lost its connection to {}: {}; reconnecting", name,
                lostGen.address, why.getMessage());
        signalChanged();
        // The survivor of the two goes too (a generation lives and dies as one), on a thread of
        // its own: its close waits for its channels' subtasks, which recovery must not wait for.
        Thread.ofVirtual().name("warren-robust-close-lost").start(lostGen::close);
        // A work blocked outside Warren's calls must end too, so that it runs again.
        supervised.forEach(s -> s.connectionLost(lostGen.connection));
        contain("telemetry", () -> telemetry.connectionLost(why));
        tellListeners(l -> l.connectionLost(why));
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
            Generation g = null;
            ConnectFailedException failed;
            List<String> order = Addresses.startingAfter(options.addresses(), lostGen.index, options.addressShuffle());
            setupLock.lock();
            try {
                g = newGeneration(Warren.connect(perConnection(order, false)));
                failed = runSetups(g);
                if (failed == null) {
                    lock.lock();
                    try {
                        if (terminal != null) {
                            g.close();
                            return;
                        }
                        current = g;
                        changed.signalAll();
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (ConnectFailedException e) {
                failed = e;
            } catch (RuntimeException | Error e) {
                // Not a refusal: a TLS file gone, a credentials provider that threw. A failed attempt.
                failed = attemptFailed(order, e.toString(), e);
            } finally {
                setupLock.unlock();
            }
            if (failed != null) {
                if (g != null) {
                    g.close();
                }
                failures++;
                LOG.warn("robust connection '{}': reconnect attempt {} failed: {}", name, failures, failed.getMessage());
                if (failed.accessRefused() || policy.exhaustedAfter(failures)) {
                    giveUp(failed, failures);
                    return;
                }
                continue;
            }
            int attempts = failures + 1;
            Duration outage = Duration.ofNanos(System.nanoTime() - lostAt);
            recoveries.incrementAndGet();
            Generation installed = g;
            LOG.info("robust connection '{}' recovered: connected to {} after {} attempt(s), {} ms without a"
                    + " connection", name, installed.address, attempts, outage.toMillis());
            contain("telemetry", () -> telemetry.recovered(attempts, outage));
            tellListeners(l -> l.connectionRecovered(installed.address, attempts, outage));
            return;
        }
    }

    /** Runs every setup on a new connection; returns the failure that makes it a failed attempt, or null. */
    private ConnectFailedException runSetups(Generation g) throws InterruptedException {
        for (Work setup : setups) {
            try {
                setup.run(g.connection);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                LOG.error("robust connection '{}': an onConnect setup failed on {}", name, g.address, e);
                return attemptFailed(List.of(g.address), "the onConnect setup failed: " + e, e);
            }
        }
        return null;
    }

    /** A failed attempt that is not about the addresses (no refusal): named after the first one tried. */
    private ConnectFailedException attemptFailed(List<String> tried, String reason, Throwable cause) {
        String first = tried.isEmpty() ? null : tried.get(0);
        String host; // never from the URI as a whole: it holds the password
        int port;
        if (first != null) {
            int colon = first.lastIndexOf(':');
            host = first.substring(0, colon);
            port = Integer.parseInt(first.substring(colon + 1).strip());
        } else {
            java.net.URI u = java.net.URI.create(options.uri());
            host = u.getHost();
            port = u.getPort();
        }
        String vhost = java.net.URI.create(options.uri()).getPath();
        vhost = vhost == null || vhost.length() <= 1 ? "/" : java.net.URLDecoder.decode(vhost.substring(1),
                java.nio.charset.StandardCharsets.UTF_8);
        return new ConnectFailedException(host, port, vhost, reason, cause);
    }

    private void giveUp(ConnectFailedException last, int failures) {
        String why = last.accessRefused() ? "the broker refused the credentials or the virtual host"
                : "gave up after " + failures + " failed attempts to reconnect";
        LOG.error("robust connection '{}' {}: {}", name, why, last.getMessage());
        terminate(new ConnectionClosedException(name, 320, "connection lost; " + why, true, null, last), false);
        tellListeners(l -> l.recoveryFailed(last));
        // Works waiting for a connection woke up and end; one busy outside Warren's calls is interrupted.
        supervised.forEach(Supervised::interrupt);
        current.close();
    }

    /** Tells every listener, on the events thread, in order; what one throws is logged. */
    private void tellListeners(Consumer<RecoveryListener> event) {
        try {
            events.execute(() -> {
                for (RecoveryListener l : listeners) {
                    contain("a recovery listener", () -> event.accept(l));
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed: nobody is listening any more.
        }
    }

    /** Runs {@code r}; logs whatever it throws, Errors included: no listener or observer stops recovery. */
    private void contain(String what, Runnable r) {
        try {
            r.run();
        } catch (Throwable e) {
            LOG.warn("{} of robust connection '{}' failed", what, name, e);
        }
    }

    private static boolean awaitTermination(ExecutorService e) {
        boolean interrupted = false;
        while (true) {
            try {
                if (e.awaitTermination(1, TimeUnit.DAYS)) {
                    return interrupted;
                }
            } catch (InterruptedException x) {
                interrupted = true;
            }
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
