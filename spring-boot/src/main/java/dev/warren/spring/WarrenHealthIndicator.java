package dev.warren.spring;

import dev.warren.BlockingConnection;
import dev.warren.ConnectFailedException;
import dev.warren.ConnectionClosedException;
import dev.warren.RecoveryListener;
import dev.warren.RobustConnection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The robust connection's health: {@code UP} while its connection is open, with the broker's
 * version, the address in use and how many recoveries it made; {@code DOWN} while it
 * reconnects ({@code state} "recovering"), after it gave up ("gave up") or once it is closed,
 * with the cause of the last loss.
 *
 * <pre>
 * {"status":"UP","details":{"connection":"orders","address":"10.0.0.5:5672","brokerVersion":"3.10.8","recoveries":1}}
 * {"status":"DOWN","details":{"connection":"orders","state":"recovering","recoveries":0,
 *   "lastCause":"connection 'orders' closed by the broker: 320 CONNECTION_FORCED - ..."}}
 * </pre>
 *
 * <p>The broker's version is read from the server properties of each new connection by a
 * one-shot supervised work (at start and after every recovery), so asking for health never
 * touches the network.
 */
public final class WarrenHealthIndicator implements HealthIndicator {
    private final RobustConnection connection;
    private final AtomicReference<String> brokerVersion = new AtomicReference<>();
    private final AtomicReference<ConnectionClosedException> lastCause = new AtomicReference<>();
    private volatile boolean gaveUp;

    /**
     * Watches {@code connection}: adds a recovery listener to it and reads the broker's version.
     *
     * @param connection the robust connection whose health this reports
     */
    public WarrenHealthIndicator(RobustConnection connection) {
        this.connection = connection;
        connection.addListener(new RecoveryListener() {
            @Override
            public void connectionLost(ConnectionClosedException cause) {
                lastCause.set(cause);
            }

            @Override
            public void connectionRecovered(String address, int attempts, Duration outage) {
                probeVersion();
            }

            @Override
            public void recoveryFailed(ConnectFailedException lastFailure) {
                gaveUp = true;
            }
        });
        probeVersion();
    }

    @Override
    public Health health() {
        Health.Builder b = connection.isOpen() ? Health.up() : Health.down();
        b.withDetail("connection", connection.name());
        var address = connection.currentAddress();
        if (address.isPresent()) {
            b.withDetail("address", address.get());
            String v = brokerVersion.get();
            if (v != null) {
                b.withDetail("brokerVersion", v);
            }
        } else {
            b.withDetail("state", gaveUp ? "gave up" : "recovering");
        }
        b.withDetail("recoveries", connection.recoveries());
        ConnectionClosedException c = lastCause.get();
        if (c != null && !connection.isOpen()) {
            b.withDetail("lastCause", c.getMessage());
        }
        return b.build();
    }

    private void probeVersion() {
        try {
            connection.supervise(conn -> brokerVersion.set(versionOf(conn)));
        } catch (ConnectionClosedException closed) {
            // Closed for good: nothing to probe.
        }
    }

    private static String versionOf(BlockingConnection conn) {
        Object v = conn.unwrap().getServerProperties().get("version");
        return v == null ? null : v.toString();
    }
}
