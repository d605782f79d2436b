package dev.warren.demo;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ConsumeOptions;
import dev.warren.Subscription;
import dev.warren.Warren;
import dev.warren.demo.Bench.Row;
import dev.warren.demo.Trial.Window;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * consume: take and ack messages from a prefilled queue. A run takes exactly the number of
 * messages the queue holds, so it ends when the queue is empty rather than at a deadline; that
 * number is sized per row from a raw calibration, so a raw run lasts about {@code --seconds}.
 * Both sides of a row take the same number.
 */
final class ConsumeBench implements Bench.Scenario {
    /** The basic.qos prefetch of each row. */
    private static final List<Integer> PREFETCH = List.of(100, 1000);
    private static final long CALIBRATION_MESSAGES = 20_000;
    private static final long MIN_MESSAGES = 1_000;
    /** About 2 GB of 1 KB bodies in the broker: enough for several seconds at any plausible rate. */
    private static final long MAX_MESSAGES = 2_000_000;
    /** How long past the window a raw run may take before it counts as stuck. */
    private static final long GRACE_SECONDS = 120;

    private final BrokerFixture fixture;
    private final BenchOptions options;
    private final String queue;
    private final byte[] body;
    /** Raw deliveries per second at each prefetch, measured once before the row's first trial. */
    private final Map<Integer, Double> calibratedRate = new HashMap<>();

    ConsumeBench(BrokerFixture fixture, BenchOptions options) throws Exception {
        this.fixture = fixture;
        this.options = options;
        this.queue = fixture.declareQueue("consume");
        this.body = new byte[options.size()];
    }

    @Override
    public List<Row> rows() {
        return PREFETCH.stream().map(prefetch -> Row.throughput("consume/prefetch=" + prefetch,
                Trial.warmedUp(options, length -> trial(prefetch, length, false)),
                Trial.warmedUp(options, length -> trial(prefetch, length, true)))).toList();
    }

    /** One trial: the queue purged and prefilled with what the raw side takes in {@code length}, purged after. */
    private Sample trial(int prefetch, Duration length, boolean warren) throws Exception {
        double rate = calibratedRate.containsKey(prefetch) ? calibratedRate.get(prefetch) : calibrate(prefetch);
        long count = Math.clamp(Math.round(rate * length.toNanos() / 1e9), MIN_MESSAGES, MAX_MESSAGES);
        fill(count);
        try {
            return Trial.measure(() -> warren ? warren(prefetch, count) : raw(prefetch, count), length, () -> 0);
        } finally {
            fixture.purge(queue);
        }
    }

    // Twice, keeping the second: the first runs on a cold JIT and underestimates the rate.
    private double calibrate(int prefetch) throws Exception {
        double rate = 0;
        for (int pass = 0; pass < 2; pass++) {
            fill(CALIBRATION_MESSAGES);
            try {
                rate = Trial.measure(() -> raw(prefetch, CALIBRATION_MESSAGES), Duration.ZERO, () -> 0).rate();
            } finally {
                fixture.purge(queue);
            }
        }
        System.err.printf("  consume/prefetch=%d calibration: raw %,.0f /s%n", prefetch, rate);
        calibratedRate.put(prefetch, rate);
        return rate;
    }

    private void fill(long count) throws Exception {
        fixture.purge(queue);
        fixture.prefill(queue, count, body);
    }

    /**
     * The raw side: a {@link DefaultConsumer} whose callback acks each delivery on its own
     * ({@code multiple=false}) right where it arrives, on the client's dispatch thread.
     */
    private Trial raw(int prefetch, long count) throws Exception {
        return BrokerFixture.trialOn(fixture.uri(), "warren-bench-raw-consume", connection -> {
            Channel channel = connection.createChannel();
            channel.basicQos(prefetch);
            return new Trial() {
                @Override
                public long run(Window window) throws Exception {
                    AckingConsumer consumer = new AckingConsumer(channel, count);
                    channel.basicConsume(queue, false, consumer);
                    long waitNanos = window.deadlineNanos() - System.nanoTime() + TimeUnit.SECONDS.toNanos(GRACE_SECONDS);
                    if (!consumer.done.await(waitNanos, TimeUnit.NANOSECONDS)) {
                        throw new TimeoutException("acked only " + consumer.acked + " of " + count);
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
            };
        });
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

    /** Warren's side: one thread, {@code take()} and {@code ack()} in a loop. */
    private Trial warren(int prefetch, long count) throws Exception {
        BlockingConnection conn = Warren.connect(fixture.uri());
        BlockingChannel ch = conn.openChannel();
        Subscription sub = ch.consume(queue, ConsumeOptions.defaults().withPrefetch(prefetch));
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                for (long i = 0; i < count; i++) {
                    sub.take().ack();
                }
                return count;
            }

            @Override
            public void close() {
                sub.close();
                ch.close();
                conn.close();
            }
        };
    }

    @Override
    public String note() {
        return "consume: deliveries/s taken and acked one by one from a queue prefilled (by pipelined confirms)"
                + " with " + options.size() + "-byte messages; a run ends when the queue is empty."
                + " raw: DefaultConsumer acking in its callback; warren: take() and ack() on a subscription.";
    }

    @Override
    public void close() throws Exception {
        fixture.deleteQueue(queue);
    }
}
