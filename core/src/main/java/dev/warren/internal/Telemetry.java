package dev.warren.internal;

import dev.warren.ClosedException;
import dev.warren.ConnectionStats;
import dev.warren.Delivery;
import dev.warren.PublishNackedException;
import dev.warren.PublishTimeoutException;
import dev.warren.RpcTimeoutException;
import dev.warren.UnroutableException;
import dev.warren.WarrenObserver;
import dev.warren.WarrenObserver.Operation;
import dev.warren.WarrenObserver.Outcome;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one connection reports: its {@link WarrenObserver} (or none) and Warren's JFR events.
 * The one place that calls the observer, so that an observer that throws never breaks the
 * operation it watches. Hot paths ask {@link #publishes()} (one final-field read and one cached
 * JFR flag) before doing any work for it: without observer and recording nothing is allocated.
 */
public final class Telemetry {
    private static final Logger LOG = LoggerFactory.getLogger(Telemetry.class);

    /** A connection without observer (JFR events only). */
    public static final Telemetry NONE = new Telemetry(null, null);

    /** The observer, or null: hot paths check this field and nothing else. */
    final WarrenObserver observer;
    /** Whether the observer's tracing hooks are called (copying every message's headers). */
    final boolean traces;
    private final String connection;

    private Telemetry(WarrenObserver observer, String connection) {
        this.observer = observer;
        this.traces = observer != null && observer.tracesMessages();
        this.connection = connection;
    }

    /** The telemetry of a connection with this observer (null for none). */
    public static Telemetry of(WarrenObserver observer, String connectionName) {
        return observer == null && connectionName == null ? NONE : new Telemetry(observer, connectionName);
    }

    /**
     * The telemetry of a connection whose JFR events name it {@code jfrConnection} (its name, or
     * a made-up one for an unnamed connection), marked when its TLS does not verify the broker.
     */
    public static Telemetry of(WarrenObserver observer, String jfrConnection, boolean unverifiedTls) {
        return new Telemetry(observer, unverifiedTls ? jfrConnection + InsecureTls.JFR_MARK : jfrConnection);
    }

    /** {@code observer}'s observer for one connection; {@code observer} itself if it throws or returns null. */
    public static WarrenObserver forConnection(WarrenObserver observer, ConnectionStats connection) {
        try {
            WarrenObserver o = observer.forConnection(connection);
            return o != null ? o : observer;
        } catch (RuntimeException x) {
            dropped("forConnection", x);
            return observer;
        }
    }

    /** What this connection's JFR events say in their connection field (for tests). */
    public String jfrConnection() {
        return connection;
    }

    /** The observer, or null. */
    public WarrenObserver observer() {
        return observer;
    }

    // ---------------------------------------------------------------- publish and call

    /** Whether publishes are watched (by the observer or a recording). */
    boolean publishes() {
        return observer != null || Jfr.on(Jfr.PUBLISH);
    }

    /** Whether calls are watched. */
    boolean calls() {
        return observer != null || Jfr.on(Jfr.CALL);
    }

    /** A started JFR publish event, or null when no recording wants it. */
    static PublishEvent publishEvent() {
        if (!Jfr.on(Jfr.PUBLISH)) {
            return null;
        }
        PublishEvent e = new PublishEvent();
        e.begin();
        return e;
    }

    static CallEvent callEvent() {
        if (!Jfr.on(Jfr.CALL)) {
            return null;
        }
        CallEvent e = new CallEvent();
        e.begin();
        return e;
    }

    /** A mutable copy of {@code headers} for a tracing hook to add to. */
    static Map<String, Object> copy(Map<String, Object> headers) {
        return headers == null ? new HashMap<>(4) : new HashMap<>(headers);
    }

    Operation startPublish(String exchange, String routingKey, Map<String, Object> headers,
            com.rabbitmq.client.AMQP.BasicProperties properties) {
        try {
            return observer.startPublish(exchange, routingKey, headers, properties);
        } catch (RuntimeException e) {
            dropped("startPublish", e);
            return null;
        }
    }

    Operation startCall(String exchange, String routingKey, Map<String, Object> headers,
            com.rabbitmq.client.AMQP.BasicProperties properties) {
        try {
            return observer.startCall(exchange, routingKey, headers, properties);
        } catch (RuntimeException e) {
            dropped("startCall", e);
            return null;
        }
    }

    /** A publish ended: commits its event, tells the observer, ends its trace operation. */
    void published(int channel, PublishEvent e, Operation op, String exchange, String routingKey, int size,
            Outcome outcome, Throwable failure, long nanos) {
        if (e != null && ending(e, channel)) {
            e.exchange = exchange;
            e.routingKey = routingKey;
            e.size = size;
            e.outcome = outcome.tag();
            e.commit();
        }
        if (observer != null) {
            try {
                observer.published(exchange, routingKey, size, outcome, nanos);
            } catch (RuntimeException x) {
                dropped("published", x);
            }
        }
        end(op, outcome, failure);
    }

    /** A call ended. */
    void called(int channel, CallEvent e, Operation op, String exchange, String routingKey, Outcome outcome,
            Throwable failure, long nanos) {
        if (e != null && ending(e, channel)) {
            e.exchange = exchange;
            e.routingKey = routingKey;
            e.outcome = outcome.tag();
            e.commit();
        }
        if (observer != null) {
            try {
                observer.called(exchange, routingKey, outcome, nanos);
            } catch (RuntimeException x) {
                dropped("called", x);
            }
        }
        end(op, outcome, failure);
    }

    /** Ends a duration event; whether the recording wants it, then with its connection and channel set. */
    private boolean ending(ChannelEvent e, int channel) {
        e.end();
        if (!e.shouldCommit()) {
            return false;
        }
        e.connection = connection;
        e.channel = channel;
        return true;
    }

    /** How an operation that threw {@code t} ended. */
    static Outcome outcomeOf(Throwable t) {
        if (t instanceof PublishNackedException) {
            return Outcome.NACK;
        }
        if (t instanceof UnroutableException) {
            return Outcome.RETURN;
        }
        if (t instanceof PublishTimeoutException || t instanceof RpcTimeoutException) {
            return Outcome.TIMEOUT;
        }
        if (t instanceof ClosedException) {
            return Outcome.CLOSED;
        }
        if (t instanceof InterruptedException) {
            return Outcome.INTERRUPTED;
        }
        return Outcome.FAILED;
    }

    // ---------------------------------------------------------------- consume

    /** On the reader thread: a delivery for a subscription. */
    void delivered(String queue) {
        try {
            observer.delivered(queue);
        } catch (RuntimeException x) {
            dropped("delivered", x);
        }
    }

    /** A delivery was settled: acked, or nacked/rejected. */
    void settled(boolean ack, boolean requeue) {
        try {
            if (ack) {
                observer.acked();
            } else {
                observer.nacked(requeue);
            }
        } catch (RuntimeException x) {
            dropped(ack ? "acked" : "nacked", x);
        }
    }

    /** A blocked take ended. */
    void took(int channel, TakeEvent e, String queue, String outcome) {
        if (ending(e, channel)) {
            e.queue = queue;
            e.outcome = outcome;
            e.commit();
        }
    }

    /** A take, poll or iteration returned {@code d} after {@code nanos}; only when {@link #traces}. */
    void received(String queue, Delivery d, long nanos) {
        try {
            observer.received(queue, d, nanos);
        } catch (RuntimeException x) {
            dropped("received", x);
        }
    }

    /** Whether handler runs are watched. */
    boolean handles() {
        return traces || Jfr.on(Jfr.HANDLE);
    }

    Operation startHandle(String queue, Delivery d, boolean serve) {
        if (!traces) {
            return null;
        }
        try {
            return observer.startHandle(queue, d, serve);
        } catch (RuntimeException x) {
            dropped("startHandle", x);
            return null;
        }
    }

    /** A handler run ended. */
    void handled(int channel, HandleEvent e, Operation op, String queue, boolean serve, boolean redelivered,
            Outcome outcome, Throwable failure) {
        if (e != null && ending(e, channel)) {
            e.queue = queue;
            e.serve = serve;
            e.redelivered = redelivered;
            e.outcome = outcome.tag();
            e.commit();
        }
        end(op, outcome, failure);
    }

    // ---------------------------------------------------------------- channels and connections

    /** Whether a channel's close is reported (so that it is worth counting what it failed). */
    boolean closes() {
        return observer != null || Jfr.on(Jfr.CHANNEL_CLOSED);
    }

    /** A channel closed; on the closing thread. */
    void channelClosed(int channel, ClosedException c, int failedOperations, int cancelledSubtasks) {
        if (Jfr.on(Jfr.CHANNEL_CLOSED)) {
            // An instant event: not begun or ended, so no duration.
            ChannelClosedEvent e = new ChannelClosedEvent();
            if (e.shouldCommit()) {
                e.connection = connection;
                e.channel = channel;
                e.replyCode = c.replyCode();
                e.replyText = c.replyText();
                e.failedMethod = c.failedMethod();
                e.initiatedByBroker = c.initiatedByBroker();
                e.failedOperations = failedOperations;
                e.cancelledSubtasks = cancelledSubtasks;
                e.commit();
            }
        }
        tell("channelClosed", o -> o.channelClosed(c.replyCode(), c.replyText(), c.failedMethod(),
                c.initiatedByBroker(), failedOperations, cancelledSubtasks));
    }

    /** The connection opened: the observer gets its gauges. */
    public void connectionOpened(ConnectionStats stats) {
        tell("connectionOpened", o -> o.connectionOpened(stats));
    }

    /** The connection closed. */
    public void connectionClosed(ConnectionStats stats) {
        tell("connectionClosed", o -> o.connectionClosed(stats));
    }

    /** For connection recovery: a connection it will replace was lost. */
    public void connectionLost(ClosedException cause) {
        if (Jfr.on(Jfr.CONNECTION_LOST)) {
            ConnectionLostEvent e = new ConnectionLostEvent();
            if (e.shouldCommit()) {
                e.connection = connection;
                e.replyCode = cause.replyCode();
                e.cause = cause.getMessage();
                e.commit();
            }
        }
        tell("connectionLost", o -> o.connectionLost(connection, cause));
    }

    /** For connection recovery: a new connection replaced a lost one. */
    public void recovered(int attempts, Duration outage) {
        if (Jfr.on(Jfr.RECOVERED)) {
            RecoveredEvent e = new RecoveredEvent();
            if (e.shouldCommit()) {
                e.connection = connection;
                e.attempts = attempts;
                e.outage = outage.toNanos();
                e.commit();
            }
        }
        tell("recovered", o -> o.recovered(connection, attempts, outage));
    }

    /** For the rare events (opens, closes, recoveries): tells the observer, if there is one. */
    private void tell(String method, Consumer<WarrenObserver> call) {
        if (observer != null) {
            try {
                call.accept(observer);
            } catch (RuntimeException x) {
                dropped(method, x);
            }
        }
    }

    private static void end(Operation op, Outcome outcome, Throwable failure) {
        if (op != null) {
            try {
                op.end(outcome, failure);
            } catch (RuntimeException x) {
                dropped("Operation.end", x);
            }
        }
    }

    private static void dropped(String method, RuntimeException e) {
        LOG.warn("the WarrenObserver's {} threw; ignored", method, e);
    }
}
