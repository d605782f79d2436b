package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.ClosedException;
import dev.warren.ConnectionClosedException;
import dev.warren.WarrenObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hooks connection recovery calls: a JFR event each, and the observer told. */
@Timeout(30)
class RecoveryEventsHookTest {

    @Test
    void connectionLostAndRecoveredAreRecordedAndToldToTheObserver() throws Exception {
        List<String> told = new CopyOnWriteArrayList<>();
        Telemetry t = Telemetry.of(new WarrenObserver() {
            @Override
            public void connectionLost(String connectionName, ClosedException cause) {
                told.add("lost " + connectionName + " " + cause.replyCode());
            }

            @Override
            public void recovered(String connectionName, int attempts, Duration outage) {
                told.add("recovered " + connectionName + " " + attempts + " " + outage.toMillis());
            }
        }, "orders");
        List<RecordedEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch both = new CountDownLatch(2);
        try (RecordingStream rs = new RecordingStream()) {
            for (String name : new String[] {"dev.warren.ConnectionLost", "dev.warren.Recovered"}) {
                rs.enable(name);
                rs.onEvent(name, e -> {
                    events.add(e);
                    both.countDown();
                });
            }
            CountDownLatch started = new CountDownLatch(1);
            rs.onFlush(started::countDown);
            rs.startAsync();
            assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

            t.connectionLost(new ConnectionClosedException("orders", 320, "CONNECTION_FORCED - bye", true, null, null));
            t.recovered(3, Duration.ofMillis(1500));
            assertThat(both.await(20, TimeUnit.SECONDS)).as("both events; got %s", events).isTrue();
        }
        RecordedEvent lost = events.stream().filter(e -> e.getEventType().getName().equals("dev.warren.ConnectionLost"))
                .findFirst().orElseThrow();
        assertThat(lost.getString("connection")).isEqualTo("orders");
        assertThat(lost.getInt("replyCode")).isEqualTo(320);
        assertThat(lost.getString("cause")).contains("CONNECTION_FORCED");
        RecordedEvent recovered = events.stream().filter(e -> e.getEventType().getName().equals("dev.warren.Recovered"))
                .findFirst().orElseThrow();
        assertThat(recovered.getInt("attempts")).isEqualTo(3);
        assertThat(recovered.getDuration("outage")).isEqualTo(Duration.ofMillis(1500));
        assertThat(told).containsExactly("lost orders 320", "recovered orders 3 1500");
    }
}
