package dev.warren.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * publish-queue and publish-client-bound: confirmed publishing of transient messages, either
 * into a real queue (the broker's enqueue paces the confirms) or to {@code amq.direct} with a
 * routing key bound to nothing (the broker confirms at once, so the client's own cost shows).
 */
final class PublishScenario implements Scenario {
    /** Warren's publishing threads per row; the raw side pipelines from one thread on each. */
    static final List<Integer> THREADS = List.of(1, 100, 1000, 10_000);

    private final BrokerFixture fixture;
    private final String name;
    private final String exchange;
    private final String routingKey;
    /** The queue to purge between runs and delete at the end, or null. */
    private final String queue;
    private final BenchOptions options;
    /** The row groups, by the name each adds to the row key ("" for none). */
    private final Map<String, Variant> variants;

    /** A group of rows: who runs them, at which thread counts. */
    private record Variant(Sides<PublishSetup> sides, List<Integer> threads) {
    }

    private PublishScenario(BrokerFixture fixture, String name, String exchange, String routingKey, String queue,
                            BenchOptions options) {
        this(fixture, name, exchange, routingKey, queue, options, standard());
    }

    private PublishScenario(BrokerFixture fixture, String name, String exchange, String routingKey, String queue,
                            BenchOptions options, Map<String, Variant> variants) {
        this.variants = variants;
        this.fixture = fixture;
        this.name = name;
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.queue = queue;
        this.options = options;
    }

    /** Blocking publishers at every thread count, then one thread pipelining with publishDeferred. */
    private static Map<String, Variant> standard() {
        Map<String, Variant> variants = new LinkedHashMap<>();
        variants.put("", new Variant(Contenders.PUBLISH, THREADS));
        variants.put("deferred", new Variant(Contenders.PUBLISH_DEFERRED, List.of(1)));
        return variants;
    }

    static PublishScenario toQueue(BrokerFixture fixture, BenchOptions options) throws Exception {
        String queue = fixture.declareQueue("publish");
        return new PublishScenario(fixture, "publish-queue", "", queue, queue, options);
    }

    static PublishScenario clientBound(BrokerFixture fixture, BenchOptions options) {
        return new PublishScenario(fixture, "publish-client-bound", "amq.direct",
                BrokerFixture.uniqueName("bound-to-nothing"), null, options);
    }

    /**
     * publish-alternatives: publish-queue with Warren in the "warren" column against, in the "raw"
     * column, what users would write instead of it: amqp-client's blocking styles and Spring AMQP.
     */
    static PublishScenario alternatives(BrokerFixture fixture, BenchOptions options) throws Exception {
        Map<String, Variant> variants = new LinkedHashMap<>();
        variants.put("vs-amqp-blocking", new Variant(Contenders.PUBLISH_VS_BLOCKING, THREADS));
        variants.put("vs-amqp-pool", new Variant(Contenders.PUBLISH_VS_POOL, THREADS));
        variants.put("vs-spring", new Variant(Contenders.PUBLISH_VS_SPRING, THREADS));
        String queue = fixture.declareQueue("publish-alternatives");
        return new PublishScenario(fixture, "publish-alternatives", "", queue, queue, options, variants);
    }

    /**
     * publish-overhead: publish-client-bound with Warren on both sides, nothing observing on
     * the "raw" side, a JFR recording or warren-micrometer's meters on the "warren" side.
     */
    static PublishScenario overhead(BrokerFixture fixture, BenchOptions options) {
        Map<String, Variant> variants = new LinkedHashMap<>();
        variants.put("jfr", new Variant(Contenders.PUBLISH_JFR, List.of(100, 1000)));
        variants.put("metrics", new Variant(Contenders.PUBLISH_METRICS, List.of(100, 1000)));
        return new PublishScenario(fixture, "publish-overhead", "amq.direct",
                BrokerFixture.uniqueName("bound-to-nothing"), null, options, variants);
    }

    @Override
    public List<Row<?>> rows() {
        List<Row<?>> rows = new ArrayList<>();
        variants.forEach((group, variant) -> {
            for (int t : variant.threads()) {
                rows.add(row(group.isEmpty() ? name : name + "/" + group, variant.sides(), t));
            }
        });
        return rows;
    }

    private Row<?> row(String prefix, Sides<PublishSetup> sides, int threads) {
        byte[] body = new byte[options.size()];
        return new ThroughputRow<>(
                prefix + "/threads=" + threads,
                sides,
                new ThroughputRow.Stage<PublishSetup>() {
                    @Override
                    public PublishSetup before(Duration length) {
                        return new PublishSetup(fixture.uri(), exchange, routingKey, body, threads);
                    }

                    @Override
                    public void after() throws Exception {
                        if (queue != null) {
                            fixture.purge(queue);
                        }
                    }
                },
                options);
    }

    @Override
    public String note() {
        if (variants.containsKey("vs-spring")) {
            return name + ": publish-queue (confirmed publishes/s of transient " + options.size() + "-byte messages into"
                    + " one classic queue) with Warren in the 'warren' column as in publish-queue, and in the 'raw' column"
                    + " what users write instead of it, each message waited for before the next: /vs-amqp-blocking,"
                    + " amqp-client with `threads` platform threads, a channel each (" + BlockingPublish.CHANNELS_PER_CONNECTION
                    + " per connection), basicPublish then waitForConfirmsOrDie; /vs-amqp-pool, `threads` virtual threads"
                    + " sharing a pool of at most " + BlockingPublish.POOL + " such channels (the usual port to Java 21;"
                    + " waitForConfirms holds a monitor, which pins on Java 21); /vs-spring, Spring AMQP "
                    + org.springframework.amqp.core.Message.class.getPackage().getImplementationVersion()
                    + " RabbitTemplate, correlated confirms, `threads` virtual threads each sending and waiting on its"
                    + " CorrelationData future, channel cache " + SpringTemplate.CHANNEL_CACHE
                    + ". warren/raw is Warren's throughput over the alternative's.";
        }
        if (!variants.containsKey("")) {
            return name + ": publish-client-bound (to amq.direct, bound to nothing, " + options.size()
                    + "-byte messages) with Warren on both sides: the 'raw' column is Warren with no observer and no"
                    + " JFR recording, the 'warren' column Warren with a JFR recording of the default settings and"
                    + " dev.warren.* on (rows /jfr) or with warren-micrometer's WarrenMetrics in a SimpleMeterRegistry"
                    + " (rows /metrics); warren/raw is the throughput with it on over the throughput with both off.";
        }
        String where = queue != null ? "into one classic queue (purged between runs)"
                : "to amq.direct with a routing key bound to nothing (confirmed at once, no queue)";
        return name + ": confirmed publishes/s of transient " + options.size() + "-byte messages " + where
                + ". raw: one thread, async ConfirmListener, at most " + ConfirmPipeline.MAX_IN_FLIGHT
                + " unconfirmed, the same on every row; warren: `threads` virtual threads publishing on one channel;"
                + " warren on the /deferred row: one virtual thread, publishDeferred, at most "
                + ConfirmPipeline.MAX_IN_FLIGHT + " confirms outstanding (the oldest awaited when the window is full)."
                + " Latency: raw, of each message from just before basicPublish to its confirm; warren, of each"
                + " publish call (it returns confirmed), on /deferred from publishDeferred to the return of its await.";
    }

    @Override
    public void close() throws Exception {
        if (queue != null) {
            fixture.deleteQueue(queue);
        }
    }
}
