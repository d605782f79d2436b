package dev.warren.demo;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadFactory;

/**
 * What users write instead of Warren for blocking confirmed publishes with amqp-client, in two
 * styles, each message waited for with {@code waitForConfirmsOrDie}:
 * <ul>
 *   <li>{@link #platformThreads()}: N platform threads, a channel each (a channel must not be
 *       shared while its confirms are awaited). RabbitMQ allows 2047 channels per connection,
 *       so more threads get more connections, {@value #CHANNELS_PER_CONNECTION} channels each.
 *   <li>{@link #virtualThreadsOnAPool()}: the usual port to Java 21, N virtual threads sharing a
 *       pool of at most {@value #POOL} channels on one connection, each thread taking a channel,
 *       publishing, waiting for the confirm and giving the channel back. On Java 21
 *       {@code waitForConfirms} waits inside a monitor, so the virtual thread pins its carrier.
 * </ul>
 */
final class BlockingPublish implements Contender<PublishSetup> {
    static final int CHANNELS_PER_CONNECTION = 2000;
    static final int POOL = 128;
    private static final long CONFIRM_TIMEOUT_MILLIS = 30_000;

    private final boolean pooled;

    private BlockingPublish(boolean pooled) {
        this.pooled = pooled;
    }

    static BlockingPublish platformThreads() {
        return new BlockingPublish(false);
    }

    static BlockingPublish virtualThreadsOnAPool() {
        return new BlockingPublish(true);
    }

    @Override
    public Trial prepare(PublishSetup setup) throws Exception {
        int channels = pooled ? Math.min(POOL, setup.threads()) : setup.threads();
        List<Connection> connections = new ArrayList<>();
        BlockingQueue<Channel> pool = new ArrayBlockingQueue<>(channels);
        List<Channel> own = new ArrayList<>(channels);
        try {
            for (int c = 0; c < channels; c++) {
                if (c % CHANNELS_PER_CONNECTION == 0) {
                    connections.add(RawClient.connect(setup.uri(), "warren-bench-blocking-publish"));
                }
                Channel channel = connections.getLast().createChannel();
                channel.confirmSelect();
                own.add(channel);
                pool.add(channel);
            }
        } catch (Exception e) {
            connections.forEach(Connection::abort);
            throw e;
        }
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                ThreadFactory threads = pooled ? Thread.ofVirtual().factory() : Thread.ofPlatform().factory();
                return Loops.run(setup.threads(), threads, window, caller -> {
                    Channel channel = pooled ? pool.take() : own.get(caller);
                    try {
                        channel.basicPublish(setup.exchange(), setup.routingKey(), null, setup.body());
                        channel.waitForConfirmsOrDie(CONFIRM_TIMEOUT_MILLIS);
                    } finally {
                        if (pooled) {
                            pool.add(channel);
                        }
                    }
                });
            }

            @Override
            public void close() {
                connections.forEach(Connection::abort);
            }
        };
    }
}
