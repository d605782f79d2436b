package dev.warren.demo;

import dev.warren.WarrenObserver;
import dev.warren.micrometer.WarrenMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** The demo's meters (warren-micrometer in a {@link SimpleMeterRegistry}) and the summary it prints from them. */
final class MetricsSummary {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final WarrenMetrics observer = WarrenMetrics.withPercentiles(registry, Tags.empty(), 0.5, 0.99);

    WarrenObserver observer() {
        return observer;
    }

    void print(PrintStream out) {
        out.printf("%nMetrics (warren-micrometer, the meters an application would export)%n");
        out.println("    publishes: " + byOutcome("warren.publishes") + "; confirm latency (acked) "
                + percentiles("warren.publishes", "ack"));
        out.println("    calls:     " + byOutcome("warren.calls") + "; reply latency " + percentiles("warren.calls", "reply"));
        out.printf("    deliveries %.0f, acks %.0f, nacks %.0f%n", count("warren.deliveries"), count("warren.acks"),
                count("warren.nacks"));
        Map<String, Double> closes = new TreeMap<>();
        for (Counter c : registry.find("warren.channels.closed").counters()) {
            closes.merge(c.getId().getTag("reply.code"), c.count(), Double::sum);
        }
        StringBuilder codes = new StringBuilder();
        closes.forEach((code, n) -> codes.append(codes.isEmpty() ? "" : ", ").append(code).append(" x")
                .append(String.format("%.0f", n)));
        out.println("    channel closes by reply code: " + codes);
    }

    /** "1106 (ack 1105, closed 1)": the total and each outcome that happened. */
    private String byOutcome(String timer) {
        long total = 0;
        StringBuilder parts = new StringBuilder();
        for (WarrenObserver.Outcome o : WarrenObserver.Outcome.values()) {
            Timer t = registry.find(timer).tag("outcome", o.tag()).timer();
            if (t != null && t.count() > 0) {
                total += t.count();
                parts.append(parts.isEmpty() ? "" : ", ").append(o.tag()).append(' ').append(t.count());
            }
        }
        return total + " (" + parts + ")";
    }

    private String percentiles(String timer, String outcome) {
        Timer t = registry.find(timer).tag("outcome", outcome).timer();
        if (t == null || t.count() == 0) {
            return "n/a";
        }
        StringBuilder s = new StringBuilder();
        for (ValueAtPercentile v : t.takeSnapshot().percentileValues()) {
            s.append(s.isEmpty() ? "" : ", ").append(String.format("p%.0f %.1f ms", v.percentile() * 100,
                    v.value(TimeUnit.MILLISECONDS)));
        }
        return s.toString();
    }

    private double count(String counter) {
        return registry.find(counter).counters().stream().mapToDouble(Counter::count).sum();
    }
}
