package dev.warren.demo;

import java.time.Duration;
import java.util.List;

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

    private PublishScenario(BrokerFixture fixture, String name, String exchange, String routingKey, String queue,
                            BenchOptions options) {
        this.fixture = fixture;
        this.name = name;
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.queue = queue;
        this.options = options;
    }

    static PublishScenario toQueue(BrokerFixture fixture, BenchOptions options) throws Exception {
        String queue = fixture.declareQueue("publish");
        return new PublishScenario(fixture, "publish-queue", "", queue, queue, options);
    }

    static PublishScenario clientBound(BrokerFixture fixture, BenchOptions options) {
        return new PublishScenario(fixture, "publish-client-bound", "amq.direct",
                BrokerFixture.uniqueName("bound-to-nothing"), null, options);
    }

    @Override
    public List<Row<?>> rows() {
        byte[] body = new byte[options.size()];
        return THREADS.stream().<Row<?>>map(threads -> new ThroughputRow<>(
                name + "/threads=" + threads,
                Contenders.PUBLISH,
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
                options)).toList();
    }

    @Override
    public String note() {
        String where = queue != null ? "into one classic queue (purged between runs)"
                : "to amq.direct with a routing key bound to nothing (confirmed at once, no queue)";
        return name + ": confirmed publishes/s of transient " + options.size() + "-byte messages " + where
                + ". raw: one thread, async ConfirmListener, at most " + ConfirmPipeline.MAX_IN_FLIGHT
                + " unconfirmed, the same on every row; warren: `threads` virtual threads publishing on one channel.";
    }

    @Override
    public void close() throws Exception {
        if (queue != null) {
            fixture.deleteQueue(queue);
        }
    }
}
