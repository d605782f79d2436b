package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import dev.warren.ClosedException;
import dev.warren.ConnectionStats;
import dev.warren.Delivery;
import dev.warren.WarrenObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Several observers as one ({@link WarrenObserver#combine}), since a connection takes one: each
 * event goes to every observer, in order; the tracing hooks go to those that trace messages, and
 * their operations end together, in reverse. It lives beside the interface so that a hook added
 * there is forwarded here in the same change.
 */
public final class CombinedObserver implements WarrenObserver {
    private final List<WarrenObserver> all;
    private final List<WarrenObserver> tracing;

    private CombinedObserver(List<WarrenObserver> all) {
        this.all = all;
        this.tracing = all.stream().filter(WarrenObserver::tracesMessages).toList();
    }

    /**
     * The observers as one: null for none, the observer itself for one.
     *
     * @throws NullPointerException if {@code observers} or one of them is null
     */
    public static WarrenObserver of(List<WarrenObserver> observers) {
        List<WarrenObserver> copy = List.copyOf(observers);
        return copy.isEmpty() ? null : copy.size() == 1 ? copy.getFirst() : new CombinedObserver(copy);
    }

    @Override
    public WarrenObserver forConnection(ConnectionStats connection) {
        return new CombinedObserver(all.stream().map(o -> o.forConnection(connection)).toList());
    }

    @Override
    public void published(String exchange, String routingKey, int bodySize, Outcome outcome, long nanos) {
        all.forEach(o -> o.published(exchange, routingKey, bodySize, outcome, nanos));
    }

    @Override
    public void called(String exchange, String routingKey, Outcome outcome, long nanos) {
        all.forEach(o -> o.called(exchange, routingKey, outcome, nanos));
    }

    @Override
    public void delivered(String queue) {
        all.forEach(o -> o.delivered(queue));
    }

    @Override
    public void received(String queue, Delivery delivery, long waitedNanos) {
        tracing.forEach(o -> o.received(queue, delivery, waitedNanos));
    }

    @Override
    public void acked() {
        all.forEach(WarrenObserver::acked);
    }

    @Override
    public void nacked(boolean requeue) {
        all.forEach(o -> o.nacked(requeue));
    }

    @Override
    public void connectionOpened(ConnectionStats stats) {
        all.forEach(o -> o.connectionOpened(stats));
    }

    @Override
    public void connectionClosed(ConnectionStats stats) {
        all.forEach(o -> o.connectionClosed(stats));
    }

    @Override
    public void channelClosed(int replyCode, String replyText, String failedMethod, boolean initiatedByBroker,
            int failedOperations, int cancelledSubtasks) {
        all.forEach(o -> o.channelClosed(replyCode, replyText, failedMethod, initiatedByBroker, failedOperations,
                cancelledSubtasks));
    }

    @Override
    public void connectionLost(String connectionName, ClosedException cause) {
        all.forEach(o -> o.connectionLost(connectionName, cause));
    }

    @Override
    public void recovered(String connectionName, int attempts, Duration outage) {
        all.forEach(o -> o.recovered(connectionName, attempts, outage));
    }

    @Override
    public boolean tracesMessages() {
        return !tracing.isEmpty();
    }

    @Override
    public Operation startPublish(String exchange, String routingKey, Map<String, Object> headers,
            AMQP.BasicProperties properties) {
        return start(o -> o.startPublish(exchange, routingKey, headers, properties));
    }

    @Override
    public Operation startCall(String exchange, String routingKey, Map<String, Object> headers,
            AMQP.BasicProperties properties) {
        return start(o -> o.startCall(exchange, routingKey, headers, properties));
    }

    @Override
    public Operation startHandle(String queue, Delivery delivery, boolean serve) {
        return start(o -> o.startHandle(queue, delivery, serve));
    }

    private Operation start(Function<WarrenObserver, Operation> how) {
        List<Operation> ops = new ArrayList<>(tracing.size());
        for (WarrenObserver o : tracing) {
            Operation op = how.apply(o);
            if (op != null) {
                ops.add(op);
            }
        }
        if (ops.size() <= 1) {
            return ops.isEmpty() ? null : ops.getFirst();
        }
        return (outcome, failure) -> {
            // Ended in reverse: a span made current last is closed first.
            for (int i = ops.size() - 1; i >= 0; i--) {
                ops.get(i).end(outcome, failure);
            }
        };
    }
}
