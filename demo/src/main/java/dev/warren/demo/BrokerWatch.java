package dev.warren.demo;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Notices when something outside the bench disturbs the broker: a resource alarm that blocks
 * publishers ({@code connection.blocked}), or every connection closed by force. Test suites
 * that share the broker inject exactly these faults, and a run they overlap measures them, not
 * the client; the harness then runs it again.
 *
 * <p>The broker only tells publishing connections that it blocks them, so the watch's own
 * connection publishes an empty message to a routing key bound to nothing every
 * {@value #TICK_MILLIS} ms, from a daemon thread.
 */
final class BrokerWatch implements AutoCloseable {
    private static final long TICK_MILLIS = 100;

    private final String uri;
    private final String routingKey = BrokerFixture.uniqueName("watch");
    private final AtomicLong disturbances = new AtomicLong();
    private final Thread ticker;
    private volatile boolean blocked;
    private volatile boolean closing;
    /** Used by the ticker thread only, until close() has stopped it. */
    private Connection connection;
    private Channel channel;

    private BrokerWatch(String uri) {
        this.uri = uri;
        this.ticker = Thread.ofPlatform().daemon().name("warren-bench-watch").unstarted(this::tick);
    }

    static BrokerWatch start(String uri) {
        BrokerWatch watch = new BrokerWatch(uri);
        watch.ticker.start();
        return watch;
    }

    /** How many disturbances began since the watch started. */
    long disturbances() {
        return disturbances.get();
    }

    /**
     * Whether a disturbance began after {@link #disturbances()} returned {@code since}, waiting
     * up to {@code grace} for the news, which can arrive after a run that it broke has failed.
     */
    boolean disturbedSince(long since, Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        while (disturbances.get() == since && System.nanoTime() - deadline < 0) {
            Thread.sleep(TICK_MILLIS);
        }
        return disturbances.get() != since;
    }

    /** Returns once the broker no longer blocks publishers, or after {@code max}. */
    void awaitUnblocked(Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (blocked && System.nanoTime() - deadline < 0) {
            Thread.sleep(TICK_MILLIS);
        }
    }

    private void tick() {
        while (!closing) {
            try {
                if (connection == null || !connection.isOpen()) {
                    connect();
                }
                channel.basicPublish("amq.direct", routingKey, false, null, new byte[0]);
            } catch (Exception e) {
                // The shutdown listener has counted a forced close; the next tick reconnects.
            }
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void connect() throws Exception {
        connection = BrokerFixture.connect(uri, "warren-bench-watch");
        connection.addBlockedListener(new BlockedListener() {
            @Override
            public void handleBlocked(String reason) {
                blocked = true;
                disturbances.incrementAndGet();
            }

            @Override
            public void handleUnblocked() {
                blocked = false;
            }
        });
        connection.addShutdownListener(cause -> {
            blocked = false;
            if (!closing && !cause.isInitiatedByApplication()) {
                disturbances.incrementAndGet();
            }
        });
        channel = connection.createChannel();
    }

    @Override
    public void close() throws Exception {
        closing = true;
        ticker.interrupt();
        ticker.join();
        if (connection != null && connection.isOpen()) {
            connection.close();
        }
    }
}
