package dev.warren.demo;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.util.concurrent.ThreadFactory;

/** Connections of the raw client, set up the way that is fastest for a benchmark. */
final class RawClient {
    private RawClient() {
    }

    /** A connection to {@code uri} named {@code name} (as the broker's management shows it). */
    static Connection connect(String uri, String name) throws Exception {
        return factory(uri).newConnection(name);
    }

    /** Like {@link #connect(String, String)}, with the client's threads made by {@code threads}. */
    static Connection connect(String uri, String name, ThreadFactory threads) throws Exception {
        ConnectionFactory factory = factory(uri);
        factory.setThreadFactory(threads);
        return factory.newConnection(name);
    }

    // Automatic recovery wraps every channel and records every consumer and declaration:
    // overhead on each call, and a benchmark wants a broken run to fail rather than heal.
    private static ConnectionFactory factory(String uri) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        factory.setAutomaticRecoveryEnabled(false);
        factory.setTopologyRecoveryEnabled(false);
        return factory;
    }
}
