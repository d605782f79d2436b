package dev.warren;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Not a test: records 2,000 publishes, 200 calls and 200 takes under JFR's {@code default}
 * settings (what a production recording runs) to {@code default-recording.jfr} in the folder {@code warren.evidence}, for the notes
 * that compare what such a recording holds before and after a change ({@code jfr summary}).
 * Runs only with that property set.
 */
@ExtendWith(RabbitExtension.class)
@EnabledIfSystemProperty(named = "warren.evidence", matches = ".+")
@Timeout(120)
class JfrEvidence {

    @Test
    void recordWithTheDefaultSettings(RabbitBroker broker) throws Exception {
        String q = TestSupport.unique("jfr-evidence");
        try (Recording r = new Recording(Configuration.getConfiguration("default"))) {
            r.start();
            try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
                ch.queueDeclare(QueueSpec.named(q).withDurable(false).withAutoDelete(false));
                try {
                    for (int i = 0; i < 2000; i++) {
                        ch.publish("", TestSupport.unique("nowhere"), Message.text("x"));
                    }
                    try (BlockingChannel server = conn.openChannel()) {
                        server.fork(() -> {
                            server.serve(q, req -> Message.text("42"));
                            return null;
                        });
                        for (int i = 0; i < 200; i++) {
                            ch.call("", q, Message.text("?"), Duration.ofSeconds(10));
                        }
                    }
                    try (BlockingChannel consumer = conn.openChannel()) {
                        String t = consumer.queueDeclare(QueueSpec.serverNamed()).name();
                        try (Subscription s = consumer.consume(t)) {
                            for (int i = 0; i < 200; i++) {
                                consumer.fork(() -> {
                                    ch.publish("", t, Message.text("y"));
                                    return null;
                                });
                                s.take().ack();
                            }
                        }
                    }
                } finally {
                    ch.queueDelete(q);
                }
            }
            r.stop();
            r.dump(Path.of(System.getProperty("warren.evidence")).resolve("default-recording.jfr"));
        }
    }
}
