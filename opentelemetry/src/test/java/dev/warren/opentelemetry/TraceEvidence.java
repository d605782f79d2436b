package dev.warren.opentelemetry;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConnectionOptions;
import dev.warren.Delivery;
import dev.warren.Message;
import dev.warren.QueueSpec;
import dev.warren.Subscription;
import dev.warren.Warren;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Not a test: writes one trace (a publish to a named queue, its handle(), a call to a served
 * queue, a take from a server-named queue) as text to {@code trace.txt} in the folder {@code warren.evidence}, for the notes
 * that compare Warren's spans before and after a change. Runs only with that property set.
 */
@ExtendWith(RabbitExtension.class)
@EnabledIfSystemProperty(named = "warren.evidence", matches = ".+")
@Timeout(60)
class TraceEvidence {

    @Test
    void writeOneTrace(RabbitBroker broker) throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
        String named = "warren.evidence.orders";
        String served = "warren.evidence.prices";
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withConnectionName("evidence")
                .withObserver(new WarrenTracing(otel)));
             BlockingChannel ch = conn.openChannel()) {
            ch.queueDeclare(QueueSpec.named(named).withDurable(false).withAutoDelete(false));
            ch.queueDeclare(QueueSpec.named(served).withDurable(false).withAutoDelete(false));
            String anonymous = ch.queueDeclare(QueueSpec.serverNamed()).name();
            try {
                ch.publish("", named, Message.text("order 1").withMessageId("m-1"));
                try (Subscription s = ch.consume(named)) {
                    ch.fork(() -> {
                        s.handle(1, d -> { });
                        return null;
                    });
                    ch.fork(() -> {
                        ch.serve(served, req -> Message.text("42"));
                        return null;
                    });
                    ch.call("", served, Message.text("price?"), Duration.ofSeconds(10));
                    ch.publish("", anonymous, Message.text("to a server-named queue"));
                    try (Subscription a = ch.consume(anonymous)) {
                        Delivery d = a.take();
                        d.ack();
                    }
                    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    while (exporter.getFinishedSpanItems().stream().noneMatch(x -> x.getName().startsWith("process"))
                            && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    s.close();
                }
            } finally {
                ch.queueDelete(named);
                ch.queueDelete(served);
            }
        }
        // Read before the provider closes: closing shuts the in-memory exporter, which forgets its spans.
        List<SpanData> spans = exporter.getFinishedSpanItems().stream()
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        provider.close();
        StringBuilder out = new StringBuilder();
        for (SpanData s : spans) {
            out.append(s.getName()).append("  kind=").append(s.getKind())
                    .append("  parent=").append(s.getParentSpanContext().isValid() ? "yes" : "none")
                    .append("  links=").append(s.getLinks().size())
                    .append("  status=").append(s.getStatus().getStatusCode())
                    .append("  scope=").append(s.getInstrumentationScopeInfo().getName()).append(' ')
                    .append(s.getInstrumentationScopeInfo().getVersion()).append(' ')
                    .append(s.getInstrumentationScopeInfo().getSchemaUrl()).append('\n');
            new TreeMap<>(s.getAttributes().asMap().entrySet().stream()
                    .collect(Collectors.toMap(e -> e.getKey().getKey(), e -> String.valueOf(e.getValue()))))
                    .forEach((k, v) -> out.append("    ").append(k).append(" = ")
                            .append(v.startsWith("amq.gen-") ? "amq.gen-<server-named>" : v).append('\n'));
        }
        Files.writeString(Path.of(System.getProperty("warren.evidence")).resolve("trace.txt"), out.toString());
    }
}
