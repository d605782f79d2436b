package dev.warren.testing;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names for the queues and exchanges a test declares on the shared broker, which may be a
 * developer's own, and their deletion: every name {@link #name} hands out is deleted, as a queue
 * and as an exchange, after each test class that uses {@link RabbitExtension} and, for the rest,
 * when the JVM's test run ends. A test that deletes what it declared loses nothing by it; a test
 * that fails half-way, or relies on auto-delete for a queue nobody ever consumed, leaves nothing
 * behind either.
 *
 * <pre>{@code
 * String queue = Declared.name("myapp.test.orders");   // myapp.test.orders.<pid>.<n>
 * }</pre>
 *
 * Only the shared broker ({@link RabbitBroker#shared()}) is cleaned, and only once a test of
 * this JVM has found it; private nodes take their queues with them when they stop.
 */
public final class Declared {
    private static final Logger LOG = LoggerFactory.getLogger(Declared.class);
    private static final AtomicLong COUNTER = new AtomicLong();
    private static final Set<String> NAMES = ConcurrentHashMap.newKeySet();

    private Declared() {
    }

    /**
     * A name no other test, nor another JVM on the broker, uses: {@code prefix}, this process's
     * id and a counter, dot-separated; deleted from the shared broker as described above.
     *
     * @param prefix the name's start, e.g. {@code warren.test.orders}
     * @return the name
     * @throws NullPointerException if {@code prefix} is null
     */
    public static String name(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        String name = prefix + "." + ProcessHandle.current().pid() + "." + COUNTER.incrementAndGet();
        NAMES.add(name);
        return name;
    }

    /**
     * Deletes, on the shared broker, every queue and exchange named by {@link #name} and not
     * deleted yet; a name that names nothing is passed over. Does nothing when no test of this
     * JVM has found the shared broker. A failure is logged, never thrown: cleaning up must not
     * fail the tests that ran.
     */
    public static void deleteAll() {
        RabbitBroker broker = RabbitBroker.sharedIfFound();
        if (broker == null || NAMES.isEmpty()) {
            return;
        }
        List<String> names = List.copyOf(NAMES);
        NAMES.removeAll(names);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setAutomaticRecoveryEnabled(false);
        factory.setConnectionTimeout(10_000);
        try {
            factory.setUri(broker.uri());
            try (Connection connection = factory.newConnection("warren-testing-cleanup")) {
                Channel channel = connection.createChannel();
                for (String name : names) {
                    channel = delete(connection, channel, name, true);
                    channel = delete(connection, channel, name, false);
                }
            }
        } catch (Exception e) {
            // The exception names the broker only; the URI (and its password) is never shown.
            LOG.warn("could not delete {} test queues and exchanges from {}: {}", names.size(), broker,
                    e.getClass().getName());
        }
    }

    /** Deletes one queue or exchange; a broker that refuses closes the channel, so a new one goes on. */
    private static Channel delete(Connection connection, Channel channel, String name, boolean queue) throws Exception {
        try {
            if (queue) {
                channel.queueDelete(name);
            } else {
                channel.exchangeDelete(name);
            }
            return channel;
        } catch (java.io.IOException | com.rabbitmq.client.AlreadyClosedException e) {
            return connection.createChannel();
        }
    }
}
