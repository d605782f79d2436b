package dev.warren.demo;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The raw baseline for consuming: a {@link DefaultConsumer} whose callback acks each delivery
 * on its own ({@code multiple=false}) right where it arrives, on the client's dispatch thread,
 * at the prefetch of the row.
 */
final class RawConsume implements Contender<ConsumeSetup> {
    /** How long past the window a run may take before it counts as stuck. */
    private static final long GRACE_SECONDS = 120;

    @Override
    public Trial prepare(ConsumeSetup setup) throws Exception {
        Connection connection = RawClient.connect(setup.uri(), "warren-bench-raw-consume");
        try {
            Channel channel = connection.createChannel();
            channel.basicQos(setup.prefetch());
            return new ConsumeTrial(connection, channel, setup);
        } catch (Exception e) {
            connection.abort();
            throw e;
        }
    }

    private static final class ConsumeTrial implements Trial {
        private final Connection connection;
        private final Channel channel;
        private final ConsumeSetup setup;

        ConsumeTrial(Connection connection, Channel channel, ConsumeSetup setup) {
            this.connection = connection;
            this.channel = channel;
            this.setup = setup;
        }

        @Override
        public long run(Window window) throws Exception {
            AckingConsumer consumer = new AckingConsumer(channel, setup.messages());
            channel.basicConsume(setup.queue(), false, consumer);
            long waitNanos = window.deadlineNanos() - System.nanoTime() + TimeUnit.SECONDS.toNanos(GRACE_SECONDS);
            if (!consumer.done.await(waitNanos, TimeUnit.NANOSECONDS)) {
                throw new TimeoutException("acked only " + consumer.acked + " of " + setup.messages());
            }
            if (consumer.failure != null) {
                throw consumer.failure;
            }
            return consumer.acked;
        }

        // Closing the connection cancels the consumer: no basic.cancel round trip needed.
        @Override
        public void close() throws Exception {
            connection.close();
        }
    }

    private static final class AckingConsumer extends DefaultConsumer {
        final CountDownLatch done = new CountDownLatch(1);
        private final long target;
        // Written only by the channel's dispatch, which runs one callback at a time;
        // read after `done`, which orders it.
        long acked;
        IOException failure;

        AckingConsumer(Channel channel, long target) {
            super(channel);
            this.target = target;
        }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            try {
                getChannel().basicAck(envelope.getDeliveryTag(), false);
            } catch (IOException e) {
                failure = e;
                done.countDown();
                return;
            }
            if (++acked == target) {
                done.countDown();
            }
        }
    }
}
