package dev.warren.demo;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.RpcClient;
import com.rabbitmq.client.RpcClientParams;

/**
 * What amqp-client offers for blocking request/reply: its {@link RpcClient} on one channel with
 * direct reply-to, shared by N virtual threads, each a loop of {@code primitiveCall}. It sends
 * without publisher confirms (Warren's {@code call} waits for the request's confirm too).
 */
final class RpcClientCall implements Contender<RpcSetup> {
    private static final int TIMEOUT_MILLIS = 30_000;

    @Override
    public Trial prepare(RpcSetup setup) throws Exception {
        Connection connection = RawClient.connect(setup.uri(), "warren-bench-rpcclient");
        try {
            RpcClient client = new RpcClient(new RpcClientParams()
                    .channel(connection.createChannel())
                    .exchange("")
                    .routingKey(setup.requestQueue())
                    .replyTo(RawRpc.REPLY_TO)
                    .timeout(TIMEOUT_MILLIS));
            AMQP.BasicProperties props = new AMQP.BasicProperties();
            return new Trial() {
                @Override
                public long run(Window window) throws Exception {
                    return Loops.run(setup.callers(), Thread.ofVirtual().factory(), window,
                            caller -> client.primitiveCall(props, setup.body()));
                }

                @Override
                public void close() {
                    connection.abort();
                }
            };
        } catch (Exception e) {
            connection.abort();
            throw e;
        }
    }
}
