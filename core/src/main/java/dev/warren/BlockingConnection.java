package dev.warren;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.internal.BlockedGate;
import dev.warren.internal.Closes;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

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
    private final Connection raw;
    private final ConnectionOptions options;
    private final Set<BlockingChannel> channels = ConcurrentHashMap.newKeySet();
    private final AtomicReference<ConnectionClosedException> closed = new AtomicReference<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final BlockedGate gate = new BlockedGate();
    /** Completed once, with the close, for {@link #onClose} listeners. */
    private final java.util.concurrent.CompletableFuture<ClosedException> closeEvent =
            new java.util.concurrent.CompletableFuture<>();

    BlockingConnection(Connection raw, ConnectionOptions options) {
        this.raw = raw;
        this.options = options;
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

    private void onShutdown(ShutdownSignalException s) {
        if (Closes.from(s, 0, options.connectionName()) instanceof ConnectionClosedException c) {
            closed.compareAndSet(null, c);
        }
        announceClose();
        // Publishers waiting for an unblock must wake up and see the close.
        gate.unblock();
    }

    /**
     * Opens a new channel, in publisher-confirm mode, owned by the calling thread (only the owner
     * may {@link BlockingChannel#join()} and {@link BlockingChannel#close()} it). Blocks for two
     * round trips (channel.open, confirm.select); these waits of amqp-client cannot be
     * interrupted, and end when the broker answers or the connection closes.
     *
     * @throws ConnectionClosedException when the connection is closed
     * @throws IllegalStateException when the connection has no free channel number left
     */
    public BlockingChannel openChannel() {
        ensureOpen();
        Channel ch;
        try {
            ch = raw.createChannel();
        } catch (IOException | ShutdownSignalException e) {
            throw closedOr(e);
        }
        if (ch == null) {
            throw new IllegalStateException("no free channel number on this connection (channel max "
                    + raw.getChannelMax() + ")");
        }
        BlockingChannel c;
        try {
            c = new BlockingChannel(this, ch, options);
        } catch (RuntimeException e) {
            try {
                ch.abort();
            } catch (IOException | RuntimeException ignored) {
                // It failed to set up; whatever state it is in, it is of no use.
            }
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
     * Runs {@code listener} once when this connection closes, for whatever reason: lost, closed
     * by the broker, or closed by the application ({@link #close()}, reply code 200). It runs on
     * a virtual thread of its own, never on amqp-client's reader, so it may block; if the
     * connection is already closed it runs at once (on that thread). An exception it throws is
     * logged and otherwise ignored.
     *
     * @param listener gets the {@link ConnectionClosedException} that every pending call got
     * @throws NullPointerException if listener is null
     */
    public void onClose(java.util.function.Consumer<ClosedException> listener) {
        java.util.Objects.requireNonNull(listener, "listener");
        closeEvent.thenAcceptAsync(c -> {
            try {
                listener.accept(c);
            } catch (RuntimeException | Error e) {
                org.slf4j.LoggerFactory.getLogger(BlockingConnection.class)
                        .warn("a close listener of {} failed", this, e);
            }
        }, r -> Thread.ofVirtual().name("warren-on-close").start(r));
    }

    private void announceClose() {
        ConnectionClosedException c = closed.get();
        if (c != null) {
            closeEvent.complete(c);
        }
    }

    /** Whether the connection is open: neither closed by the application nor lost. */
    public boolean isOpen() {
        return closed.get() == null && !closing.get() && raw.isOpen();
    }

    /**
     * Whether the broker has blocked this connection because of a resource alarm (memory or
     * disk): publishes wait (up to the publish timeout) until it is unblocked.
     */
    public boolean isBlocked() {
        return gate.isBlocked();
    }

    /** The broker's reason for blocking this connection, if it is blocked. */
    public Optional<String> blockedReason() {
        return Optional.ofNullable(gate.reason());
    }

    /** The client-provided name of this connection, or null. */
    public String name() {
        return options.connectionName();
    }

    /** The options this connection was opened with. */
    public ConnectionOptions options() {
        return options;
    }

    /**
     * The amqp-client connection underneath, for what Warren does not cover. Closing it, or
     * blocking in its callbacks, has the same effects as on any amqp-client connection.
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
        for (BlockingChannel c : channels) {
            if (c.scope().isSubtaskThread()) {
                throw new WrongThreadException("a subtask of " + c + " cannot close its own connection: it would wait"
                        + " for itself");
            }
        }
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        for (BlockingChannel c : List.copyOf(channels)) {
            c.closeFromConnection();
        }
        closed.compareAndSet(null, new ConnectionClosedException(options.connectionName(), 200,
                "closed by the application", false, null, null));
        if (raw.isOpen()) {
            try {
                raw.close((int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
            } catch (IOException | ShutdownSignalException ignored) {
                // Closed meanwhile by the broker or the network: nothing is left to release.
            }
        }
        gate.unblock();
    }

    @Override
    public String toString() {
        return "BlockingConnection[" + options.redactedUri()
                + (options.connectionName() != null ? ", " + options.connectionName() : "")
                + (isOpen() ? "" : ", closed") + "]";
    }

    BlockedGate gate() {
        return gate;
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
        return new java.io.UncheckedIOException((IOException) e);
    }
}
