package dev.warren;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to open a {@link BlockingConnection}: immutable; start with {@link #of(String)} and
 * change what you need with the {@code with...} methods, each of which returns a copy.
 *
 * <pre>{@code
 * ConnectionOptions options = ConnectionOptions.of("amqp://user:secret@rabbit:5672/orders")
 *         .withConnectionName("order-service")
 *         .withHeartbeat(Duration.ofSeconds(30))
 *         .withPublishTimeout(Duration.ofSeconds(10));
 * }</pre>
 *
 * {@link #toString()} never shows the password.
 */
public final class ConnectionOptions implements Cloneable {
    /** The default bound on unconfirmed publishes per channel. */
    public static final int DEFAULT_MAX_UNCONFIRMED = 2048;

    private String uri;
    private String connectionName;
    private Duration connectTimeout;
    private Duration heartbeat;
    private int channelMax;
    private int frameMax;
    private Map<String, Object> clientProperties;
    private int maxUnconfirmed;
    private Duration publishTimeout;

    // Recovery and clusters (RobustConnection)
    private List<String> addresses = List.of();
    private RecoveryPolicy recovery = RecoveryPolicy.defaults();

    private ConnectionOptions(String uri) {
        this.uri = uri;
        this.connectTimeout = Duration.ofSeconds(10);
        this.heartbeat = Duration.ofSeconds(60);
        this.clientProperties = Map.of();
        this.maxUnconfirmed = DEFAULT_MAX_UNCONFIRMED;
    }

    /**
     * A copy to change one setting on before it is handed out. Every field holds an immutable
     * value, so a field-for-field copy is a full one, and a new setting needs no line here.
     */
    private ConnectionOptions copy() {
        try {
            return (ConnectionOptions) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Options for an AMQP URI ({@code amqp://} or {@code amqps://}, with user, password, host,
     * port and vhost as in {@code amqp://user:pass@host:5672/vhost}); everything else defaults.
     *
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if it is blank (it is parsed fully when connecting)
     */
    public static ConnectionOptions of(String uri) {
        Objects.requireNonNull(uri, "uri");
        if (uri.isBlank()) {
            throw new IllegalArgumentException("uri must not be blank");
        }
        return new ConnectionOptions(uri.strip());
    }

    /** A name the broker shows for this connection (management UI, {@code rabbitmqctl}). */
    public ConnectionOptions withConnectionName(String name) {
        ConnectionOptions c = copy();
        c.connectionName = Objects.requireNonNull(name, "name");
        return c;
    }

    /** How long opening the TCP connection and the AMQP handshake may each take (default 10 s). */
    public ConnectionOptions withConnectTimeout(Duration timeout) {
        requirePositive(timeout, "connect timeout");
        ConnectionOptions c = copy();
        c.connectTimeout = timeout;
        return c;
    }

    /**
     * The heartbeat interval to ask the broker for (default 60 s); {@link Duration#ZERO} turns
     * heartbeats off. After about two missed heartbeats the connection counts as lost and
     * everything pending on it fails with {@link ConnectionClosedException}.
     */
    public ConnectionOptions withHeartbeat(Duration heartbeat) {
        Objects.requireNonNull(heartbeat, "heartbeat");
        if (heartbeat.isNegative()) {
            throw new IllegalArgumentException("heartbeat must not be negative");
        }
        ConnectionOptions c = copy();
        c.heartbeat = heartbeat;
        return c;
    }

    /** The most channels to ask for (0, the default, takes the broker's limit). */
    public ConnectionOptions withChannelMax(int channelMax) {
        if (channelMax < 0 || channelMax > 65535) {
            throw new IllegalArgumentException("channelMax must be 0..65535, not " + channelMax);
        }
        ConnectionOptions c = copy();
        c.channelMax = channelMax;
        return c;
    }

    /** The largest frame to ask for, in bytes (0, the default, takes the broker's limit). */
    public ConnectionOptions withFrameMax(int frameMax) {
        if (frameMax < 0) {
            throw new IllegalArgumentException("frameMax must not be negative");
        }
        ConnectionOptions c = copy();
        c.frameMax = frameMax;
        return c;
    }

    /** Extra client properties sent to the broker, added to amqp-client's own. */
    public ConnectionOptions withClientProperties(Map<String, Object> properties) {
        Objects.requireNonNull(properties, "properties");
        ConnectionOptions c = copy();
        c.clientProperties = Map.copyOf(new LinkedHashMap<>(properties));
        return c;
    }

    /**
     * The most published messages a channel may have unconfirmed at once (default
     * {@value #DEFAULT_MAX_UNCONFIRMED}); further publishers wait until confirms arrive.
     */
    public ConnectionOptions withMaxUnconfirmed(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxUnconfirmed must be at least 1, not " + max);
        }
        ConnectionOptions c = copy();
        c.maxUnconfirmed = max;
        return c;
    }

    /**
     * How long a publish may wait in all, for a blocked connection (resource alarm), for room
     * under the bound on unconfirmed messages, and for the confirm; then it throws
     * {@link PublishTimeoutException}. By default (null) it waits as long as it takes.
     */
    public ConnectionOptions withPublishTimeout(Duration timeout) {
        if (timeout != null) {
            requirePositive(timeout, "publish timeout");
        }
        ConnectionOptions c = copy();
        c.publishTimeout = timeout;
        return c;
    }

    /** The AMQP URI, password included (never logged by Warren). */
    public String uri() {
        return uri;
    }

    /** The client-provided connection name, or null. */
    public String connectionName() {
        return connectionName;
    }

    /** The connect and handshake timeout. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** The requested heartbeat interval; zero means none. */
    public Duration heartbeat() {
        return heartbeat;
    }

    /** The requested channel maximum; 0 means the broker's. */
    public int channelMax() {
        return channelMax;
    }

    /** The requested frame maximum; 0 means the broker's. */
    public int frameMax() {
        return frameMax;
    }

    /** Extra client properties. */
    public Map<String, Object> clientProperties() {
        return clientProperties;
    }

    /** The bound on unconfirmed publishes per channel. */
    public int maxUnconfirmed() {
        return maxUnconfirmed;
    }

    /** The publish timeout, or null for none. */
    public Duration publishTimeout() {
        return publishTimeout;
    }

    // ---------------------------------------------------------------- recovery and clusters

    /**
     * The nodes to connect to, as {@code "host:port"} (a bracketed IPv6 literal is fine:
     * {@code "[::1]:5672"}), instead of the host and port of the URI; user, password and virtual
     * host still come from the URI. Each connection attempt tries them in turn and takes the
     * first that accepts; a {@link ConnectFailedException} names every address tried and why
     * each failed. A {@link RobustConnection} starts each recovery at the address after the one
     * it lost. No addresses (the default) means the URI's host and port.
     *
     * @param hostPorts the addresses, in order
     * @return a copy with these addresses
     * @throws NullPointerException if hostPorts or one of them is null
     * @throws IllegalArgumentException if one is not {@code host:port} with a port in 1..65535
     */
    public ConnectionOptions withAddresses(String... hostPorts) {
        Objects.requireNonNull(hostPorts, "hostPorts");
        List<String> checked = dev.warren.internal.Addresses.check(List.of(hostPorts));
        ConnectionOptions c = copy();
        c.addresses = checked;
        return c;
    }

    /**
     * As {@link #withAddresses(String...)}, from a list.
     *
     * @param hostPorts the addresses, in order
     * @return a copy with these addresses
     * @throws NullPointerException if hostPorts or one of them is null
     * @throws IllegalArgumentException if one is not {@code host:port}
     */
    public ConnectionOptions withAddresses(List<String> hostPorts) {
        return withAddresses(Objects.requireNonNull(hostPorts, "hostPorts").toArray(String[]::new));
    }

    /**
     * How a {@link RobustConnection} waits between attempts to reconnect, and when it gives up
     * (default {@link RecoveryPolicy#defaults()}: 100 ms to 5 s, never). A plain
     * {@link BlockingConnection} never reconnects and ignores it.
     *
     * @param policy the policy
     * @return a copy with this policy
     * @throws NullPointerException if policy is null
     */
    public ConnectionOptions withRecovery(RecoveryPolicy policy) {
        ConnectionOptions c = copy();
        c.recovery = Objects.requireNonNull(policy, "policy");
        return c;
    }

    /** The addresses set with {@link #withAddresses}, as {@code host:port}; empty for the URI's. */
    public List<String> addresses() {
        return addresses;
    }

    /** The recovery policy of a {@link RobustConnection}. */
    public RecoveryPolicy recovery() {
        return recovery;
    }

    /** The URI with its password hidden. */
    public String redactedUri() {
        return uri.replaceFirst("(://[^:/@]*:)[^/]*@", "$1***@"); // up to the last @ of the authority
    }

    @Override
    public String toString() {
        return "ConnectionOptions[" + redactedUri() + (connectionName != null ? ", name=" + connectionName : "")
                + ", heartbeat=" + heartbeat + ", maxUnconfirmed=" + maxUnconfirmed
                + (publishTimeout != null ? ", publishTimeout=" + publishTimeout : "") + "]";
    }

    private static void requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, not " + d);
        }
    }
}
