package dev.warren.micrometer;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConnectionOptions;
import dev.warren.Message;
import dev.warren.QueueSpec;
import dev.warren.Warren;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Not a test: writes a Prometheus scrape of WarrenMetrics (one open connection and channel, a
 * publish, a call) to {@code scrape.txt} in the folder {@code warren.evidence}, for the notes that compare the meters before and
 * after a change. Runs only with that property set.
 */
@ExtendWith(RabbitExtension.class)
@EnabledIfSystemProperty(named = "warren.evidence", matches = ".+")
@Timeout(60)
class ScrapeEvidence {

    @Test
    void writeOneScrape(RabbitBroker broker) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        String q = "warren.evidence.scrape";
        ConnectionOptions options = ConnectionOptions.of(broker.uri())
                .withObserver(new WarrenMetrics(registry, Tags.of("service", "evidence")));
        try {
            // amqp-client's own meters, where the options can hand its collector through.
            options = (ConnectionOptions) ConnectionOptions.class
                    .getMethod("withMetricsCollector", com.rabbitmq.client.MetricsCollector.class)
                    .invoke(options, new com.rabbitmq.client.impl.MicrometerMetricsCollector(registry, "rabbitmq",
                            Tags.of("service", "evidence")));
        } catch (NoSuchMethodException before) {
            // Not there before issue 27.
        }
        try (BlockingConnection conn = Warren.connect(options);
             BlockingChannel ch = conn.openChannel()) {
            ch.queueDeclare(QueueSpec.named(q).withDurable(false).withAutoDelete(false));
            try {
                ch.fork(() -> {
                    ch.serve(q, req -> Message.text("42"));
                    return null;
                });
                ch.publish("", "warren.evidence.nowhere", Message.text("x"));
                ch.call("", q, Message.text("price?"), Duration.ofSeconds(10));
                String scrape = registry.scrape();
                String warren = Arrays.stream(scrape.split("\n"))
                        .filter(l -> l.contains("warren") || l.contains("rabbitmq")).collect(Collectors.joining("\n"));
                Files.writeString(Path.of(System.getProperty("warren.evidence")).resolve("scrape.txt"), warren + "\n");
            } finally {
                ch.queueDelete(q);
            }
        }
    }
}
