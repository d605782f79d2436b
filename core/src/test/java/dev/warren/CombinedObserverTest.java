package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link WarrenObserver#combine}: every hook reaches every observer (the tracing hooks, the tracers). */
class CombinedObserverTest {

    /** Records each hook it sees as "name:hook"; traces messages when told to. */
    private record Recorder(String name, boolean traces, List<String> seen) implements WarrenObserver {
        @Override
        public WarrenObserver forConnection(ConnectionStats connection) {
            seen.add(name + ":forConnection");
            return new Recorder(name + "@conn", traces, seen);
        }

        @Override
        public void published(String exchange, String routingKey, int bodySize, Outcome outcome, long nanos) {
            seen.add(name + ":published");
        }

        @Override
        public void received(String queue, Delivery delivery, long waitedNanos) {
            seen.add(name + ":received");
        }

        @Override
        public boolean tracesMessages() {
            return traces;
        }

        @Override
        public Operation startPublish(String exchange, String routingKey, Map<String, Object> headers,
                AMQP.BasicProperties properties) {
            seen.add(name + ":startPublish " + properties.getMessageId());
            return (outcome, failure) -> seen.add(name + ":end " + outcome);
        }

        @Override
        public Operation startCall(String exchange, String routingKey, Map<String, Object> headers,
                AMQP.BasicProperties properties) {
            seen.add(name + ":startCall " + properties.getCorrelationId());
            return null;
        }
    }

    @Test
    void everyHookReachesEveryObserverAndTracingHooksOnlyTheTracers() {
        List<String> seen = new ArrayList<>();
        WarrenObserver combined = WarrenObserver.combine(new Recorder("metrics", false, seen),
                new Recorder("tracer", true, seen), new Recorder("tracer2", true, seen));

        WarrenObserver perConnection = combined.forConnection(null);
        perConnection.published("x", "k", 1, WarrenObserver.Outcome.ACK, 1);
        perConnection.received("q", null, 1);
        perConnection.startPublish("x", "k", new HashMap<>(), new AMQP.BasicProperties.Builder().messageId("m1").build())
                .end(WarrenObserver.Outcome.ACK, null);
        assertThat(perConnection.startCall("x", "k", new HashMap<>(),
                new AMQP.BasicProperties.Builder().correlationId("c1").build())).isNull();

        assertThat(seen).containsExactly(
                "metrics:forConnection", "tracer:forConnection", "tracer2:forConnection",
                "metrics@conn:published", "tracer@conn:published", "tracer2@conn:published",
                "tracer@conn:received", "tracer2@conn:received",
                "tracer@conn:startPublish m1", "tracer2@conn:startPublish m1",
                "tracer2@conn:end ACK", "tracer@conn:end ACK",
                "tracer@conn:startCall c1", "tracer2@conn:startCall c1");
        assertThat(perConnection.tracesMessages()).isTrue();
    }

    @Test
    void oneObserverIsItselfAndNoneIsAnObserverThatDoesNothing() {
        Recorder one = new Recorder("one", false, new ArrayList<>());
        assertThat(WarrenObserver.combine(one)).isSameAs(one);
        WarrenObserver none = WarrenObserver.combine();
        assertThat(none.tracesMessages()).isFalse();
        assertThat(none.startPublish("x", "k", new HashMap<>(), new AMQP.BasicProperties())).isNull();
    }
}
