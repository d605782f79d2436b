package dev.warren.demo;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * rpc: request/reply through direct reply-to against a raw echo server in this JVM, on a
 * connection of its own. The server's CPU is not charged to either side.
 */
final class RpcScenario implements Scenario {
    static final List<Integer> CALLERS = List.of(1, 100, 1000);

    private final BrokerFixture fixture;
    private final BenchOptions options;
    private final String queue;
    /** The row groups, by the name each adds to the row key ("" for none). */
    private final Map<String, Sides<RpcSetup>> variants;
    /** Replaced when found closed: a test suite sharing the broker may close every connection. */
    private RpcServer server;

    private RpcScenario(BrokerFixture fixture, BenchOptions options, String queue, RpcServer server,
                        Map<String, Sides<RpcSetup>> variants) {
        this.variants = variants;
        this.fixture = fixture;
        this.options = options;
        this.queue = queue;
        this.server = server;
    }

    static RpcScenario start(BrokerFixture fixture, BenchOptions options) throws Exception {
        return start(fixture, options, Map.of("", Contenders.RPC));
    }

    /**
     * rpc-alternatives: rpc with Warren in the "warren" column against, in the "raw" column, what
     * users would write instead of it: amqp-client's RpcClient and Spring AMQP's RabbitTemplate.
     */
    static RpcScenario alternatives(BrokerFixture fixture, BenchOptions options) throws Exception {
        Map<String, Sides<RpcSetup>> variants = new LinkedHashMap<>();
        variants.put("vs-amqp-rpcclient", Contenders.RPC_VS_RPCCLIENT);
        variants.put("vs-spring", Contenders.RPC_VS_SPRING);
        return start(fixture, options, variants);
    }

    private static RpcScenario start(BrokerFixture fixture, BenchOptions options, Map<String, Sides<RpcSetup>> variants)
            throws Exception {
        String queue = fixture.declareQueue("rpc-requests");
        return new RpcScenario(fixture, options, queue, RpcServer.start(fixture.uri(), queue), variants);
    }

    @Override
    public List<Row<?>> rows() {
        List<Row<?>> rows = new ArrayList<>();
        variants.forEach((group, sides) -> CALLERS.forEach(callers -> rows.add(row(group, sides, callers))));
        return rows;
    }

    private Row<?> row(String group, Sides<RpcSetup> sides, int callers) {
        byte[] body = new byte[options.size()];
        return new ThroughputRow<>(
                (group.isEmpty() ? "rpc" : "rpc-alternatives/" + group) + "/callers=" + callers,
                sides,
                new ThroughputRow.Stage<RpcSetup>() {
                    @Override
                    public RpcSetup before(Duration length) throws Exception {
                        if (!server.isOpen()) {
                            server = RpcServer.start(fixture.uri(), queue);
                        }
                        fixture.purge(queue);
                        return new RpcSetup(fixture.uri(), queue, body, callers);
                    }

                    @Override
                    public long helperCpuNanos() {
                        return server.cpuNanos();
                    }

                    @Override
                    public Exception helperFailure() {
                        return server.isOpen() ? null
                                : new IOException("the RPC server's connection closed: " + server.closeReason().getMessage(),
                                        server.closeReason());
                    }
                },
                options);
    }

    @Override
    public String note() {
        if (!variants.containsKey("")) {
            return "rpc-alternatives: rpc (" + options.size() + "-byte echo calls, the same server) with Warren in the"
                    + " 'warren' column as in rpc, and in the 'raw' column what users write instead of it, `callers`"
                    + " virtual threads each a loop of calls: /vs-amqp-rpcclient, amqp-client's RpcClient on one channel"
                    + " with direct reply-to (no publisher confirms; Warren's call waits for its request's confirm too);"
                    + " /vs-spring, Spring AMQP's RabbitTemplate.sendAndReceive (direct reply-to, its default).";
        }
        return "rpc: calls/s and latency of " + options.size() + "-byte echo calls over direct reply-to, `callers` in flight;"
                + " server: raw, auto-ack, same JVM, its CPU excluded. raw: one channel, one auto-ack reply consumer,"
                + " each reply's callback sends the next request (no caller threads); warren: `callers` virtual threads in call().";
    }

    @Override
    public void close() throws Exception {
        try {
            server.close();
        } finally {
            fixture.deleteQueue(queue);
        }
    }
}
