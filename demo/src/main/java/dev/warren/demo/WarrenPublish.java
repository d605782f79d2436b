package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConnectionOptions;
import dev.warren.Warren;
import dev.warren.micrometer.WarrenMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.text.ParseException;
import java.util.concurrent.atomic.LongAdder;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * Warren's side of publish-queue and publish-client-bound: N virtual threads, each a plain loop
 * of {@code publish}, timing each call (it returns once the broker confirmed); for publish-overhead, with a JFR recording or warren-micrometer's meters on.
 */
final class WarrenPublish implements Contender<PublishSetup> {
    /** What watches the publishes during a trial. */
    enum Observed {
        /** Nothing: no observer, no recording (Warren as it is measured against the raw client). */
        NONE,
        /** A JFR recording with the JDK's default settings and Warren's events on. */
        JFR,
        /** warren-micrometer's WarrenMetrics in a SimpleMeterRegistry. */
        METRICS
    }

    private final Observed observed;

    WarrenPublish() {
        this(Observed.NONE);
    }

    WarrenPublish(Observed observed) {
        this.observed = observed;
    }

    @Override
    public Trial prepare(PublishSetup setup) throws IOException, ParseException {
        ConnectionOptions options = ConnectionOptions.of(setup.uri());
        if (observed == Observed.METRICS) {
            options = options.withObserver(new WarrenMetrics(new SimpleMeterRegistry()));
        }
        Recording recording = observed == Observed.JFR ? startRecording() : null;
        BlockingConnection conn = Warren.connect(options);
        BlockingChannel ch = conn.openChannel();
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                LongAdder confirmed = new LongAdder();
                for (int t = 0; t < setup.threads(); t++) {
                    ch.fork(() -> {
                        LatencyHistogram latencies = window.latencies();
                        while (!window.expired()) {
                            long t0 = System.nanoTime();
                            ch.publish(setup.exchange(), setup.routingKey(), setup.body());
                            latencies.record(System.nanoTime() - t0);
                            confirmed.increment();
                        }
                        return null;
                    });
                }
                ch.join();
                return confirmed.sum();
            }

            @Override
            public void close() {
                ch.close();
                conn.close();
                if (recording != null) {
                    recording.close();
                }
            }
        };
    }

    /** What {@code -XX:StartFlightRecording} records, with every event of Warren's on. */
    private static Recording startRecording() throws IOException, ParseException {
        Recording r = new Recording(Configuration.getConfiguration("default"));
        for (String event : new String[] {"Publish", "Call", "Take", "Handle", "ChannelClosed"}) {
            r.enable("dev.warren." + event);
        }
        r.setToDisk(true);
        r.start();
        return r;
    }
}
