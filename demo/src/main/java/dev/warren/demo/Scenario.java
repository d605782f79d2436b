package dev.warren.demo;

import java.util.List;

/**
 * A scenario of the benchmark: its rows, and the broker-side state they share (queues, the
 * RPC server), which {@link #close} removes.
 */
interface Scenario extends AutoCloseable {

    /** The rows, in the order they run. */
    List<Row<?>> rows();

    /** What the scenario measures and how each side does it, for the notes under the table. */
    String note();

    /** Opens the scenario named {@code name} (one of {@link BenchOptions#ALL_SCENARIOS}). */
    static Scenario open(String name, BrokerFixture fixture, BenchOptions options) throws Exception {
        return switch (name) {
            case "publish-queue" -> PublishScenario.toQueue(fixture, options);
            case "publish-client-bound" -> PublishScenario.clientBound(fixture, options);
            case "publish-overhead" -> PublishScenario.overhead(fixture, options);
            case "consume" -> new ConsumeScenario(fixture, options);
            case "rpc" -> RpcScenario.start(fixture, options);
            case "publish-alternatives" -> PublishScenario.alternatives(fixture, options);
            case "rpc-alternatives" -> RpcScenario.alternatives(fixture, options);
            case "waiters" -> new WaitersScenario(fixture, options);
            default -> throw new IllegalArgumentException("unknown scenario " + name);
        };
    }
}
