package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConnectionOptions;
import dev.warren.DeferredConfirm;
import dev.warren.Message;
import dev.warren.RobustConnection;
import dev.warren.Warren;
import dev.warren.demo.Bench.Row;
import dev.warren.demo.Trial.Opener;
import dev.warren.demo.Trial.Window;
import dev.warren.micrometer.WarrenMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * Confirmed publishing of transient messages, either into a real queue (publish-queue: the
 * broker's enqueue paces the confirms) or to {@code amq.direct} with a routing key bound to
 * nothing (publish-client-bound: the broker confirms at once, so the client's own cost shows).
 * publish-overhead runs Warren against itself with JFR or metrics on; publish-robust runs a plain
 * channel against a {@link RobustConnection}; publish-alternatives runs Warren against what users
 * would write instead ({@link Alternatives}).
 */
final class PublishBench implements Bench.Scenario {
    /** Warren's publishing threads per row; the raw side pipelines from one thread on each. */
    private static final List<Integer> THREADS = List.of(1, 100, 1000, 10_000);

    /** What watches Warren's publishes during a trial. */
    enum Observed {
        /** Nothing: no observer, no recording (Warren as it is measured against the raw client). */
        NONE,
        /** A JFR recording with the JDK's default settings and Warren's events on. */
        JFR,
        /** warren-micrometer's WarrenMetrics in a SimpleMeterRegistry. */
        METRICS
    }

    /** A group of rows: the name it adds to the row key ("" for none), its two sides, its thread counts. */
    private record Group(String name, Opener raw, Opener warren, List<Integer> threads) {
    }

    private final BrokerFixture fixture;
    private final BenchOptions options;
    private final String name;
    private final String exchange;
    private final String routingKey;
    /** The queue to purge between runs and delete at the end, or null. */
    private final String queue;
    private final byte[] body;

    private PublishBench(BrokerFixture fixture, BenchOptions options, String name, String exchange, String routingKey,
                         String queue) {
        this.fixture = fixture;
        this.options = options;
        this.name = name;
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.queue = queue;
        this.body = new byte[options.size()];
    }

    /** Opens publish-queue, publish-client-bound, publish-overhead or publish-alternatives. */
    static PublishBench open(String name, BrokerFixture fixture, BenchOptions options) throws Exception {
        if (name.equals("publish-client-bound") || name.equals("publish-overhead")) {
            return new PublishBench(fixture, options, name, "amq.direct", BrokerFixture.uniqueName("bound-to-nothing"),
                    null);
        }
        String queue = fixture.declareQueue(name.equals("publish-queue") ? "publish" : name);
        return new PublishBench(fixture, options, name, "", queue, queue);
    }

    private List<Group> groups() {
        Opener warren = threads -> warren(threads, Observed.NONE);
        return switch (name) {
            case "publish-overhead" -> List.of(
                    new Group("jfr", warren, threads -> warren(threads, Observed.JFR), List.of(100, 1000)),
                    new Group("metrics", warren, threads -> warren(threads, Observed.METRICS), List.of(100, 1000)));
            case "publish-robust" -> List.of(new Group("", warren, this::robust, List.of(200, 1000)));
            case "publish-alternatives" -> List.of(
                    new Group("vs-amqp-blocking", threads -> Alternatives.blockingPublish(fixture.uri(), exchange,
                            routingKey, body, threads, false), warren, THREADS),
                    new Group("vs-amqp-pool", threads -> Alternatives.blockingPublish(fixture.uri(), exchange,
                            routingKey, body, threads, true), warren, THREADS),
                    new Group("vs-spring", threads -> Alternatives.springPublish(fixture.uri(), exchange, routingKey,
                            body, threads), warren, THREADS));
            default -> List.of(
                    new Group("", this::raw, warren, THREADS),
                    new Group("deferred", this::raw, this::warrenDeferred, List.of(1)));
        };
    }

    @Override
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (Group group : groups()) {
            String prefix = group.name().isEmpty() ? name : name + "/" + group.name();
            for (int threads : group.threads()) {
                rows.add(Row.throughput(prefix + "/threads=" + threads,
                        Trial.warmedUp(options, length -> trial(group.raw(), threads, length)),
                        Trial.warmedUp(options, length -> trial(group.warren(), threads, length))));
            }
        }
        return rows;
    }

    /** One trial of {@code side}; the queue, if any, is purged after it. */
    private Sample trial(Opener side, int threads, Duration length) throws Exception {
        try {
            return Trial.measure(() -> side.open(threads), length, () -> 0);
        } finally {
            if (queue != null) {
                fixture.purge(queue);
            }
        }
    }

    /**
     * The raw side: one platform thread, asynchronous confirms through a {@link ConfirmPipeline}
     * with at most {@value ConfirmPipeline#MAX_IN_FLIGHT} unconfirmed. It ignores {@code threads}:
     * more publishing threads on one channel only contend for its lock, so this is the raw client
     * at its best on every row.
     */
    private Trial raw(int threads) throws Exception {
        return BrokerFixture.trialOn(fixture.uri(), "warren-bench-raw-publish", connection -> {
            ConfirmPipeline pipeline = new ConfirmPipeline(connection.createChannel());
            return new Trial() {
                @Override
                public long run(Window window) throws Exception {
                    return pipeline.publish(exchange, routingKey, body, Long.MAX_VALUE, window);
                }

                @Override
                public void close() throws Exception {
                    connection.close();
                }
            };
        });
    }

    /**
     * Warren's side: {@code threads} virtual threads, each a plain loop of {@code publish},
     * timing each call (it returns once the broker confirmed), with {@code observed} watching.
     */
    private Trial warren(int threads, Observed observed) throws IOException, ParseException {
        ConnectionOptions connection = ConnectionOptions.of(fixture.uri());
        if (observed == Observed.METRICS) {
            connection = connection.withObserver(new WarrenMetrics(new SimpleMeterRegistry()));
        }
        Recording recording = observed == Observed.JFR ? startRecording() : null;
        BlockingConnection conn = Warren.connect(connection);
        BlockingChannel ch = conn.openChannel();
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                return Trial.forked(ch, threads, window, caller -> ch.publish(exchange, routingKey, body));
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

    /**
     * publish-robust's "warren" side: {@code threads} virtual threads, each a plain loop of
     * {@link RobustConnection#publish} (its own publishing connection, a message id per message,
     * re-sent only after a loss), against a plain channel's {@code publish} in the "raw" column.
     */
    private Trial robust(int threads) {
        RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(fixture.uri()));
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                return Alternatives.loops(threads, Thread.ofVirtual().factory(), window,
                        caller -> rc.publish(exchange, routingKey, Message.of(body)));
            }

            @Override
            public void close() {
                rc.close();
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

    /**
     * Warren's side of the one-thread pipeline rows (/deferred): one virtual thread calls
     * {@code publishDeferred} and keeps at most {@value ConfirmPipeline#MAX_IN_FLIGHT} confirms
     * outstanding, awaiting the oldest when the window is full, as the raw pipeline does with its
     * ConfirmListener. The latency recorded is from {@code publishDeferred} to the return of that
     * message's {@code await}.
     */
    private Trial warrenDeferred(int threads) throws IOException {
        BlockingConnection conn = Warren.connect(fixture.uri());
        BlockingChannel ch = conn.openChannel();
        Message message = Message.of(body);
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                int size = ConfirmPipeline.MAX_IN_FLIGHT;
                DeferredConfirm[] confirms = new DeferredConfirm[size];
                long[] sentAt = new long[size];
                long sent = 0;
                long settled = 0;
                while (!window.expired()) {
                    int slot = (int) (sent % size);
                    if (sent - settled == size) {
                        settle(confirms, sentAt, slot, window);
                        settled++;
                    }
                    sentAt[slot] = System.nanoTime();
                    confirms[slot] = ch.publishDeferred(exchange, routingKey, message);
                    sent++;
                }
                for (; settled < sent; settled++) {
                    settle(confirms, sentAt, (int) (settled % size), window);
                }
                return sent;
            }

            @Override
            public void close() {
                ch.close();
                conn.close();
            }
        };
    }

    private static void settle(DeferredConfirm[] confirms, long[] sentAt, int slot, Window window)
            throws InterruptedException {
        confirms[slot].await();
        window.latencies().record(System.nanoTime() - sentAt[slot]);
        confirms[slot] = null;
    }

    @Override
    public String note() {
        return switch (name) {
            case "publish-alternatives" -> name + ": publish-queue (confirmed publishes/s of transient " + options.size()
                    + "-byte messages into one classic queue) with Warren in the 'warren' column as in publish-queue, and"
                    + " in the 'raw' column what users write instead of it, each message waited for before the next:"
                    + " /vs-amqp-blocking, amqp-client with `threads` platform threads, a channel each ("
                    + Alternatives.CHANNELS_PER_CONNECTION + " per connection), basicPublish then waitForConfirmsOrDie;"
                    + " /vs-amqp-pool, `threads` virtual threads sharing a pool of at most " + Alternatives.POOL
                    + " such channels (the usual port to Java 21; waitForConfirms holds a monitor, which pins on Java 21);"
                    + " /vs-spring, Spring AMQP "
                    + org.springframework.amqp.core.Message.class.getPackage().getImplementationVersion()
                    + " RabbitTemplate, correlated confirms, `threads` virtual threads each sending and waiting on its"
                    + " CorrelationData future, channel cache " + Alternatives.CHANNEL_CACHE
                    + ". warren/raw is Warren's throughput over the alternative's.";
            case "publish-robust" -> name + ": publish-queue (confirmed publishes/s of transient " + options.size()
                    + "-byte messages into one classic queue) with Warren on both sides: the 'raw' column is `threads`"
                    + " virtual threads publishing on one plain channel, the 'warren' column as many publishing through"
                    + " a RobustConnection (its own publishing connection, a message id set on each message);"
                    + " warren/raw is what robust publishing costs.";
            case "publish-overhead" -> name + ": publish-client-bound (to amq.direct, bound to nothing, " + options.size()
                    + "-byte messages) with Warren on both sides: the 'raw' column is Warren with no observer and no"
                    + " JFR recording, the 'warren' column Warren with a JFR recording of the default settings and"
                    + " dev.warren.* on (rows /jfr) or with warren-micrometer's WarrenMetrics in a SimpleMeterRegistry"
                    + " (rows /metrics); warren/raw is the throughput with it on over the throughput with both off.";
            default -> name + ": confirmed publishes/s of transient " + options.size() + "-byte messages "
                    + (queue != null ? "into one classic queue (purged between runs)"
                            : "to amq.direct with a routing key bound to nothing (confirmed at once, no queue)")
                    + ". raw: one thread, async ConfirmListener, at most " + ConfirmPipeline.MAX_IN_FLIGHT
                    + " unconfirmed, the same on every row; warren: `threads` virtual threads publishing on one channel;"
                    + " warren on the /deferred row: one virtual thread, publishDeferred, at most "
                    + ConfirmPipeline.MAX_IN_FLIGHT + " confirms outstanding (the oldest awaited when the window is full)."
                    + " Latency: raw, of each message from just before basicPublish to its confirm; warren, of each"
                    + " publish call (it returns confirmed), on /deferred from publishDeferred to the return of its"
                    + " await.";
        };
    }

    @Override
    public void close() throws Exception {
        if (queue != null) {
            fixture.deleteQueue(queue);
        }
    }
}
