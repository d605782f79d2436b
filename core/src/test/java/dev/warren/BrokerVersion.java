package dev.warren;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The RabbitMQ version a test runs against (its {@code version} server property), so that a test
 * of a behaviour that differs between 3.x and 4.x asserts what the broker it meets does.
 *
 * @param major the major version, e.g. 3 or 4
 * @param minor the minor version
 * @param text the whole version, e.g. {@code 4.0.5}
 */
record BrokerVersion(int major, int minor, String text) {
    private static final Map<String, BrokerVersion> KNOWN = new ConcurrentHashMap<>();

    /** The version of the broker at {@code uri}, asked once per URI. */
    static BrokerVersion of(String uri) {
        return KNOWN.computeIfAbsent(uri, BrokerVersion::ask);
    }

    /** Whether it is RabbitMQ 4.0 or later. */
    boolean is4x() {
        return major >= 4;
    }

    private static BrokerVersion ask(String uri) {
        ConnectionFactory f = new ConnectionFactory();
        try {
            f.setUri(uri);
            f.setAutomaticRecoveryEnabled(false);
            try (Connection c = f.newConnection("warren-test-broker-version")) {
                String text = c.getServerProperties().get("version").toString();
                String[] parts = text.split("\\.");
                return new BrokerVersion(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), text);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the broker's version", e);
        }
    }

    @Override
    public String toString() {
        return "RabbitMQ " + text;
    }
}
