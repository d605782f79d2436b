package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a JFR recording with the JDK's default settings costs Warren: per-operation events have a
 * 20 ms threshold, so fast operations are not logged, and the shipped warren.jfc logs them all.
 */
@ExtendWith(RabbitExtension.class)
@Timeout(120)
class JfrSettingsTest {
    private static final int PUBLISHES = 300;

    private static Configuration warrenJfc() throws Exception {
        try (Reader r = new InputStreamReader(BlockingConnection.class.getResourceAsStream("/dev/warren/warren.jfc"),
                StandardCharsets.UTF_8)) {
            return Configuration.create(r);
        }
    }

    /** Publishes fast under a recording with these settings; the Publish events it logged. */
    private static List<RecordedEvent> publishUnder(Map<String, String> settings, RabbitBroker broker, Path dir)
            throws Exception {
        Path file = dir.resolve("r.jfr");
        try (Recording r = new Recording(settings)) {
            r.start();
            try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
                String q = ch.queueDeclare(QueueSpec.serverNamed()).name();
                for (int i = 0; i < PUBLISHES; i++) {
                    ch.publish("", q, Message.text("x"));
                }
            }
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> all = RecordingFile.readAllEvents(file);
        Files.delete(file);
        return all.stream().filter(e -> e.getEventType().getName().equals("dev.warren.Publish")).toList();
    }

    /** Before: default.jfc has no line for Warren's events, so all of them were on without threshold: 300 events. */
    @Test
    void aDefaultRecordingLogsOnlyPublishesSlowerThanTwentyMilliseconds(RabbitBroker broker, @TempDir Path dir)
            throws Exception {
        List<RecordedEvent> logged = publishUnder(Configuration.getConfiguration("default").getSettings(), broker, dir);
        // Each logged one took 20 ms or more; on a local broker nearly none does.
        assertThat(logged).allMatch(e -> e.getDuration().toMillis() >= 20);
        assertThat(logged.size()).isLessThan(PUBLISHES / 10);
    }

    @Test
    void theShippedJfcLogsEveryPublishWithItsStackTrace(RabbitBroker broker, @TempDir Path dir) throws Exception {
        List<RecordedEvent> logged = publishUnder(warrenJfc().getSettings(), broker, dir);
        assertThat(logged).hasSize(PUBLISHES);
        assertThat(logged.get(0).getStackTrace()).isNotNull();
    }

    /** One rule: a stack trace for an event committed on the thread that waited in the operation, none on Warren's threads. */
    @Test
    void stackTracesFollowTheStatedRule() throws Exception {
        Map<String, Boolean> expected = Map.of("dev.warren.Publish", true, "dev.warren.Call", true, "dev.warren.Take",
                true, "dev.warren.Handle", false, "dev.warren.ChannelClosed", false, "dev.warren.ConnectionLost", false,
                "dev.warren.Recovered", false);
        Class.forName("dev.warren.internal.Jfr", true, BlockingConnection.class.getClassLoader()); // registers them
        Map<String, String> shipped = warrenJfc().getSettings();
        int seen = 0;
        for (EventType t : FlightRecorder.getFlightRecorder().getEventTypes()) {
            Boolean stack = expected.get(t.getName());
            if (stack == null) {
                continue;
            }
            String defaultStack = t.getSettingDescriptors().stream().filter(s -> s.getName().equals("stackTrace"))
                    .findFirst().orElseThrow().getDefaultValue();
            assertThat(defaultStack).as(t.getName()).isEqualTo(stack.toString());
            assertThat(shipped.get(t.getName() + "#stackTrace")).as(t.getName()).isEqualTo(stack.toString());
            seen++;
        }
        assertThat(seen).isEqualTo(expected.size());
    }
}
