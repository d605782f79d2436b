package dev.warren.demo;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * rpc: request/reply through direct reply-to against a raw echo server in this JVM, on a
 * connection of its own. The server's CPU is not charged to either side.
 */
final class RpcScenario implements Scenario {
    static final List<Integer> CALLERS = List.of(1, 100, 1000);

    private final BrokerFixture fixture;
    private final BenchOptions options;
    private final String queue;
    /** Replaced when found closed: a test suite sharing the broker may close every connection. */
    private RpcServer server;

    private RpcScenario(BrokerFixture fixture, BenchOptions options, String queue, RpcServer server) {
        this.fixture = fixture;
        this.options = options;
        this.queue = queue;
        this.server = server;
    }

    static RpcScenario start(BrokerFixture fixture, BenchOptions options) throws Exception {
        String queue = fixture.declareQueue("rpc-requests");
        return new RpcScenario(fixture, options, queue, RpcServer.start(fixture.uri(), queue));
    }

    @Override
    public List<Row<?>> rows() {
        byte[] body = new byte[options.size()];
        return CALLERS.stream().<Row<?>>map(callers -> new ThroughputRow<>(
                "rpc/callers=" + callers,
                Contenders.RPC,
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
                options)).toList();
    }

    @Override
    public String note() {
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
