package dev.warren.demo;

import com.rabbitmq.client.Connection;

/**
 * The raw baseline for confirmed publishing: one platform thread, asynchronous confirms through
 * a {@link ConfirmPipeline} with at most {@value ConfirmPipeline#MAX_IN_FLIGHT} unconfirmed.
 * It ignores {@link PublishSetup#threads()}: more publishing threads on one channel only
 * contend for its lock, so this is the raw client at its best on every row.
 */
final class RawPublish implements Contender<PublishSetup> {

    @Override
    public Trial prepare(PublishSetup setup) throws Exception {
        Connection connection = RawClient.connect(setup.uri(), "warren-bench-raw-publish");
        try {
            ConfirmPipeline pipeline = new ConfirmPipeline(connection.createChannel());
            return new Trial() {
                @Override
                public long run(Window window) throws Exception {
                    return pipeline.publish(setup.exchange(), setup.routingKey(), setup.body(), Long.MAX_VALUE, window);
                }

                @Override
                public void close() throws Exception {
                    connection.close();
                }
            };
        } catch (Exception e) {
            connection.abort();
            throw e;
        }
    }
}
