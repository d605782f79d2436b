package dev.warren;

import com.rabbitmq.client.MetricsCollector;
import com.rabbitmq.client.impl.CredentialsProvider;
import com.rabbitmq.client.impl.CredentialsRefreshService;
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
    /** The default bound on a synchronous AMQP method's wait for its reply. */
    public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(30);
    /** The default bound on unconfirmed publishes per channel. */
    public static final int DEFAULT_MAX_UNCONFIRMED = 2048;
    /** The smallest frame maximum AMQP 0-9-1 allows. */
    public static final int MIN_FRAME_MAX = 4096;
    private static final int MAX_UNSIGNED_SHORT = 65535;
    /** amqp-client counts connect timeouts in int milliseconds. */
    private static final Duration LONGEST_CONNECT_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);
    /** As long as a deadline on System.nanoTime() can be, with room to add and compare. */
    private static final Duration LONGEST_WAIT = Duration.ofNanos(Long.MAX_VALUE / 4);

    private String uri;
    private String connectionName;
    private Duration connectTimeout;
    private Duration heartbeat;
    private int channelMax;
    private int frameMax;
    private Map<String, Object> clientProperties;
    private int maxUnconfirmed;
    private Duration publishTimeout;
    private Duration operationTimeout = DEFAULT_OPERATION_TIMEOUT;

    // Recovery and clusters (RobustConnection)
    private List<String> addresses = List.of();
    private RecoveryPolicy recovery = RecoveryPolicy.defaults();
    private boolean addressShuffle;
    private RecoveryPolicy nackRetry;

    // TLS and credentials (issue 16)
    private TlsOptions tls;
    private boolean saslExternal;
    private CredentialsProvider credentials;
    private CredentialsRefreshService credentialsRefresh;

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

    // Observability (issue 18)

    private WarrenObserver observer;

    /**
     * Sets the observer that sees this connection's publishes, calls, deliveries, closes and
     * gauges (for metrics and traces, e.g. {@code warren-micrometer}, {@code warren-opentelemetry}).
     * Its methods run on Warren's and amqp-client's threads and must never block. Without one,
     * Warren makes no observer calls and allocates nothing for them. Warren's JFR events
     * ({@code dev.warren.*}) are there with or without an observer.
     *
     * @param observer the observer; its methods must not block
     * @return a copy that reports to it
     * @throws NullPointerException if {@code observer} is null
     */
    public ConnectionOptions withObserver(WarrenObserver observer) {
        ConnectionOptions c = copy();
        c.observer = Objects.requireNonNull(observer, "observer");
        return c;
    }

    /**
     * The observer set with {@link #withObserver}, or null.
     *
     * @return the observer, or null for none
     */
    public WarrenObserver observer() {
        return observer;
    }

    /**
     * Options for an AMQP URI ({@code amqp://} or {@code amqps://}, with user, password, host,
     * port and vhost as in {@code amqp://user:pass@host:5672/vhost}); everything else defaults.
     *
     * @param uri the AMQP URI
     * @return the options
     * @throws NullPointerException if {@code uri} is null
     * <p>The query parameters {@code heartbeat} (seconds), {@code connection_timeout}
     * (milliseconds), {@code channel_max} and {@code frame_max} are read into the options (so a
     * later {@code with...} call overrides them); others are ignored.
     *
     * @throws IllegalArgumentException if it is blank, does not start with {@code amqp://} or
     *         {@code amqps://}, or has an invalid query parameter (the rest is parsed when
     *         connecting)
     */
    public static ConnectionOptions of(String uri) {
        Objects.requireNonNull(uri, "uri");
        if (uri.isBlank()) {
            throw new IllegalArgumentException("uri must not be blank");
        }
        return UriParameters.apply(new ConnectionOptions(uri.strip()));
    }

    /**
     * A name the broker shows for this connection (management UI, {@code rabbitmqctl}).
     *
     * @param name the name
     * @return a copy with this setting
     */
    public ConnectionOptions withConnectionName(String name) {
        ConnectionOptions c = copy();
        c.connectionName = Objects.requireNonNull(name, "name");
        return c;
    }

    /**
     * How long opening the TCP connection and the AMQP handshake may each take (default 10 s, or
     * the URI's {@code connection_timeout} parameter in milliseconds). A timeout over
     * {@link Integer#MAX_VALUE} ms (24.8 days), as amqp-client counts, is taken as that.
     *
     * @param timeout the timeout
     * @return a copy with this setting
     * @throws NullPointerException if {@code timeout} is null
     * @throws IllegalArgumentException if it is zero or negative
     */
    public ConnectionOptions withConnectTimeout(Duration timeout) {
        requirePositive(timeout, "connect timeout");
        ConnectionOptions c = copy();
        c.connectTimeout = min(timeout, LONGEST_CONNECT_TIMEOUT);
        return c;
    }

    /**
     * The heartbeat interval (default 60 s, or the URI's {@code heartbeat} parameter in seconds);
     * {@link Duration#ZERO} turns heartbeats off on both sides, whatever the broker proposes.
     * Otherwise the broker's proposal wins when it is shorter. After about two missed heartbeats
     * the connection counts as lost and everything pending on it fails with
     * {@link ConnectionClosedException}. AMQP counts whole seconds: a fraction is rounded up.
     *
     * @param heartbeat the heartbeat interval
     * @return a copy with this setting
     * @throws NullPointerException if {@code heartbeat} is null
     * @throws IllegalArgumentException if it is negative, under one second (but not zero), or
     *         over 65535 s
     */
    public ConnectionOptions withHeartbeat(Duration heartbeat) {
        Objects.requireNonNull(heartbeat, "heartbeat");
        if (heartbeat.isNegative()) {
            throw new IllegalArgumentException("heartbeat must not be negative");
        }
        if (!heartbeat.isZero() && heartbeat.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("heartbeat must be zero (off) or at least 1 s, not " + heartbeat
                    + ": AMQP counts whole seconds");
        }
        Duration whole = heartbeat.getNano() == 0 ? heartbeat : Duration.ofSeconds(heartbeat.getSeconds() + 1);
        if (whole.compareTo(Duration.ofSeconds(MAX_UNSIGNED_SHORT)) > 0) {
            throw new IllegalArgumentException("heartbeat must be at most " + MAX_UNSIGNED_SHORT + " s, not "
                    + heartbeat);
        }
        ConnectionOptions c = copy();
        c.heartbeat = whole;
        return c;
    }

    /**
     * The most channels to ask for (0, the default, takes the broker's limit; the URI's
     * {@code channel_max} parameter sets it too).
     *
     * @param channelMax the channel maximum
     * @return a copy with this setting
     * @throws IllegalArgumentException if it is not 0..65535
     */
    public ConnectionOptions withChannelMax(int channelMax) {
        if (channelMax < 0 || channelMax > 65535) {
            throw new IllegalArgumentException("channelMax must be 0..65535, not " + channelMax);
        }
        ConnectionOptions c = copy();
        c.channelMax = channelMax;
        return c;
    }

    /**
     * The largest frame to ask for, in bytes (0, the default, takes the broker's limit; the URI's
     * {@code frame_max} parameter sets it too).
     *
     * @param frameMax the frame maximum, in bytes
     * @return a copy with this setting
     * @throws IllegalArgumentException if it is negative or under AMQP's minimum of 4096
     */
    public ConnectionOptions withFrameMax(int frameMax) {
        if (frameMax != 0 && frameMax < MIN_FRAME_MAX) {
            throw new IllegalArgumentException("frameMax must be 0 (the broker's) or at least " + MIN_FRAME_MAX
                    + " (AMQP's minimum frame size), not " + frameMax);
        }
        ConnectionOptions c = copy();
        c.frameMax = frameMax;
        return c;
    }

    /**
     * Extra client properties sent to the broker, added to amqp-client's own.
     *
     * @param properties the properties
     * @return a copy with this setting
     */
    public ConnectionOptions withClientProperties(Map<String, Object> properties) {
        Objects.requireNonNull(properties, "properties");
        ConnectionOptions c = copy();
        c.clientProperties = Map.copyOf(new LinkedHashMap<>(properties));
        return c;
    }

    /**
     * The most published messages a channel may have unconfirmed at once (default
     * {@value #DEFAULT_MAX_UNCONFIRMED}); further publishers wait until confirms arrive.
     *
     * @param max the bound
     * @return a copy with this setting
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
     * {@link PublishTimeoutException}. By default (null) it waits as long as it takes. A timeout
     * over {@code Long.MAX_VALUE / 4} ns (about 73 years) is taken as that.
     *
     * @param timeout the timeout
     * @return a copy with this setting
     * @throws IllegalArgumentException if it is zero or negative
     */
    public ConnectionOptions withPublishTimeout(Duration timeout) {
        if (timeout != null) {
            requirePositive(timeout, "publish timeout");
        }
        ConnectionOptions c = copy();
        c.publishTimeout = timeout != null ? min(timeout, LONGEST_WAIT) : null;
        return c;
    }

    /**
     * How long a synchronous AMQP method (declare, bind, purge, delete, qos, consume, cancel, get)
     * may wait for the broker's reply (default 30 s, {@link #DEFAULT_OPERATION_TIMEOUT}). When
     * it passes, the channel is aborted: the call, and everything else pending on the channel,
     * throws a {@link ChannelClosedException} that says it was a client-side timeout
     * ({@link ClosedException#initiatedByBroker()} false), because a reply that came later would
     * otherwise answer the channel's next method. A memory alarm that outlasts it (the broker
     * stops reading from a blocked connection) ends the channel that way.
     *
     * @param timeout the bound; positive
     * @return a copy with this setting
     * @throws IllegalArgumentException if it is not positive
     */
    public ConnectionOptions withOperationTimeout(Duration timeout) {
        requirePositive(timeout, "operation timeout");
        ConnectionOptions c = copy();
        c.operationTimeout = timeout;
        return c;
    }

    /**
     * The bound on a synchronous method's wait for its reply.
     *
     * @return the operation timeout
     */
    public Duration operationTimeout() {
        return operationTimeout;
    }

    /**
     * The AMQP URI, password included (never logged by Warren).
     *
     * @return the AMQP URI, password included (never logged by Warren)
     */
    public String uri() {
        return uri;
    }

    /**
     * The client-provided connection name, or null.
     *
     * @return the client-provided connection name, or null
     */
    public String connectionName() {
        return connectionName;
    }

    /**
     * The connect and handshake timeout.
     *
     * @return the connect and handshake timeout
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The requested heartbeat interval; zero means none.
     *
     * @return the requested heartbeat interval
     */
    public Duration heartbeat() {
        return heartbeat;
    }

    /**
     * The requested channel maximum; 0 means the broker's.
     *
     * @return the requested channel maximum
     */
    public int channelMax() {
        return channelMax;
    }

    /**
     * The requested frame maximum; 0 means the broker's.
     *
     * @return the requested frame maximum
     */
    public int frameMax() {
        return frameMax;
    }

    /**
     * Extra client properties.
     *
     * @return extra client properties
     */
    public Map<String, Object> clientProperties() {
        return clientProperties;
    }

    /**
     * The bound on unconfirmed publishes per channel.
     *
     * @return the bound on unconfirmed publishes per channel
     */
    public int maxUnconfirmed() {
        return maxUnconfirmed;
    }

    /**
     * The publish timeout, or null for none.
     *
     * @return the publish timeout, or null for none
     */
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

    /**
     * The addresses set with {@link #withAddresses}.
     *
     * @return the addresses as {@code host:port}; empty for the URI's host and port
     */
    public List<String> addresses() {
        return addresses;
    }

    /**
     * The recovery policy of a {@link RobustConnection}.
     *
     * @return the recovery policy
     */
    public RecoveryPolicy recovery() {
        return recovery;
    }

    /**
     * Whether each connection tries the {@link #withAddresses addresses} in random order (as
     * amqp-client does by default) rather than as given, so that a fleet of clients does not all
     * start on the first node and all move to the second when it goes. A {@link RobustConnection}
     * then also tries the other nodes in random order after a loss (the lost one last). Off by
     * default: the addresses are tried as given, and a recovery starts at the one after the lost one.
     *
     * @param shuffle true to try the addresses in random order
     * @return a copy with this setting
     */
    public ConnectionOptions withAddressShuffle(boolean shuffle) {
        ConnectionOptions c = copy();
        c.addressShuffle = shuffle;
        return c;
    }

    /**
     * Whether the addresses are tried in random order ({@link #withAddressShuffle(boolean)}).
     *
     * @return true if each connection shuffles the addresses
     */
    public boolean addressShuffle() {
        return addressShuffle;
    }

    /**
     * Makes {@link RobustConnection#publish} send a nacked message again, with the same
     * {@code message-id}, after the backoff of {@code policy} (its delay before attempt n for the
     * n-th nack of that message), within the message's publish deadline; a policy's
     * {@link RecoveryPolicy#withMaxAttempts(int) attempts} bound the retries, after which the
     * nack is thrown. Quorum queues nack while they elect a leader (after a node is lost), so a
     * nack there is often passing. Off by default: a nack is thrown at once
     * ({@link PublishNackedException}). A plain {@link BlockingConnection} ignores it.
     *
     * @param policy the backoff between retries of a nacked message
     * @return a copy that retries nacks
     * @throws NullPointerException if policy is null
     */
    public ConnectionOptions withNackRetry(RecoveryPolicy policy) {
        ConnectionOptions c = copy();
        c.nackRetry = Objects.requireNonNull(policy, "policy");
        return c;
    }

    /**
     * The retry policy for nacks of {@link RobustConnection#publish}, if set.
     *
     * @return the policy set with {@link #withNackRetry(RecoveryPolicy)}, or empty (a nack is thrown)
     */
    public java.util.Optional<RecoveryPolicy> nackRetry() {
        return java.util.Optional.ofNullable(nackRetry);
    }

    // ---- TLS and credentials ----

    /**
     * How to do TLS for an {@code amqps://} URI (without it: the JVM's trust store, chain and
     * host name verified). Connecting with TLS options to an {@code amqp://} URI throws
     * {@link IllegalArgumentException}.
     *
     * @param tls the TLS options
     * @return a copy with them
     * @throws NullPointerException if {@code tls} is null
     */
    public ConnectionOptions withTls(TlsOptions tls) {
        ConnectionOptions c = copy();
        c.tls = Objects.requireNonNull(tls, "tls");
        return c;
    }

    /**
     * Logs in with SASL EXTERNAL: the broker takes the user from the client certificate
     * (RabbitMQ's {@code rabbitmq_auth_mechanism_ssl} plugin), and the URI's user and password
     * are not sent. Needs {@code amqps://} and a client certificate
     * ({@link TlsOptions#withClientCertificate}); cannot be combined with
     * {@link #withCredentials}.
     *
     * @return a copy that logs in with EXTERNAL
     */
    public ConnectionOptions withSaslExternal() {
        ConnectionOptions c = copy();
        c.saslExternal = true;
        return c;
    }

    /**
     * Takes the user name and password from a provider, asked anew for every connection (it
     * overrides the URI's user info), so that a rotated password or a refreshed token (e.g.
     * amqp-client's {@code OAuth2ClientCredentialsGrantCredentialsProvider}) is what the next
     * connection uses. It is asked on the connecting thread and may block there. Credentials that
     * expire also need {@link #withCredentialsRefreshService}. The type is amqp-client's own, so
     * its providers (OAuth 2, refresh-protected) plug in as they are.
     *
     * @param provider the source of credentials; never logged or shown by {@link #toString()}
     * @return a copy that uses it
     * @throws NullPointerException if {@code provider} is null
     */
    public ConnectionOptions withCredentials(CredentialsProvider provider) {
        ConnectionOptions c = copy();
        c.credentials = Objects.requireNonNull(provider, "provider");
        return c;
    }

    /**
     * Refreshes expiring credentials (a provider whose {@code getTimeBeforeExpiration()} is not
     * null, such as an OAuth 2 token provider) before they expire, and sends the new secret to
     * the broker on open connections ({@code connection.update-secret}); amqp-client refuses such
     * a provider without one. The service is shared, not closed by Warren.
     *
     * @param service e.g. amqp-client's {@code DefaultCredentialsRefreshService}
     * @return a copy that uses it
     * @throws NullPointerException if {@code service} is null
     */
    public ConnectionOptions withCredentialsRefreshService(CredentialsRefreshService service) {
        ConnectionOptions c = copy();
        c.credentialsRefresh = Objects.requireNonNull(service, "service");
        return c;
    }

    /**
     * The credentials refresh service, or null.
     *
     * @return the service given with {@link #withCredentialsRefreshService}, or null if none was given
     */
    public CredentialsRefreshService credentialsRefreshService() {
        return credentialsRefresh;
    }

    /**
     * The TLS options, or null for the defaults.
     *
     * @return the options given with {@link #withTls(TlsOptions)}, or null for the JVM's default TLS
     */
    public TlsOptions tls() {
        return tls;
    }

    /**
     * Whether the login is SASL EXTERNAL (the client certificate's identity).
     *
     * @return true if {@link #withSaslExternal()} was called, false for a login with user and password
     */
    public boolean saslExternal() {
        return saslExternal;
    }

    /**
     * The credentials provider, or null for the URI's user and password.
     *
     * @return the provider given with {@link #withCredentials(CredentialsProvider)}, or null if none was given
     */
    public CredentialsProvider credentials() {
        return credentials;
    }

    // Inbound limit and amqp-client's metrics (issue 27)

    /**
     * The largest message body {@link #withMaxInboundMessageBodySize} allows by default:
     * amqp-client's 64 MiB. RabbitMQ 4.x refuses publishes over 16 MiB unless its
     * {@code max_message_size} is raised (3.x allowed 128 MiB), so a 4.x broker with its
     * defaults never sends more than this.
     */
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_BODY_SIZE = 64 << 20;

    private int maxInboundMessageBodySize = DEFAULT_MAX_INBOUND_MESSAGE_BODY_SIZE;
    private MetricsCollector metricsCollector;

    /**
     * Sets the largest message body this connection accepts from the broker (amqp-client's
     * {@code setMaxInboundMessageBodySize}): a delivery whose header announces a larger body
     * closes the connection (a {@link ConnectionClosedException} whose text says the body was too
     * large) before any of it is buffered, so a broker cannot make Warren allocate more. Match it
     * to the broker's {@code max_message_size}: 16 MiB by default on RabbitMQ 4.x, where
     * {@code 16 << 20} is the natural value.
     *
     * @param bytes the largest body accepted, in bytes
     * @return a copy with that limit
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public ConnectionOptions withMaxInboundMessageBodySize(int bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("maxInboundMessageBodySize must be positive, not " + bytes);
        }
        ConnectionOptions c = copy();
        c.maxInboundMessageBodySize = bytes;
        return c;
    }

    /**
     * The largest message body accepted from the broker.
     *
     * @return the limit in bytes, {@link #DEFAULT_MAX_INBOUND_MESSAGE_BODY_SIZE} unless set
     */
    public int maxInboundMessageBodySize() {
        return maxInboundMessageBodySize;
    }

    /**
     * Hands amqp-client's own metrics collector to the connection (its
     * {@code ConnectionFactory.setMetricsCollector}), e.g. {@code MicrometerMetricsCollector},
     * whose {@code rabbitmq.*} meters (connections, channels, published, consumed, acknowledged)
     * are what Spring Boot's dashboards chart. It sees the connection below Warren and runs on
     * amqp-client's threads; it is shared, not closed by Warren.
     *
     * @param collector amqp-client's metrics collector
     * @return a copy that uses it
     * @throws NullPointerException if {@code collector} is null
     */
    public ConnectionOptions withMetricsCollector(MetricsCollector collector) {
        ConnectionOptions c = copy();
        c.metricsCollector = Objects.requireNonNull(collector, "collector");
        return c;
    }

    /**
     * amqp-client's metrics collector, or null.
     *
     * @return the collector given with {@link #withMetricsCollector}, or null if none was given
     */
    public MetricsCollector metricsCollector() {
        return metricsCollector;
    }

    /**
     * The URI with its password hidden.
     *
     * @return the URI with its password hidden
     */
    public String redactedUri() {
        return UriParameters.redact(uri);
    }

    @Override
    public String toString() {
        return "ConnectionOptions[" + redactedUri() + (connectionName != null ? ", name=" + connectionName : "")
                + ", heartbeat=" + heartbeat + ", maxUnconfirmed=" + maxUnconfirmed
                + (publishTimeout != null ? ", publishTimeout=" + publishTimeout : "")
                + (tls != null ? ", " + tls : "") + (saslExternal ? ", sasl=EXTERNAL" : "")
                + (credentials != null ? ", credentials from " + credentials.getClass().getSimpleName() : "") + "]";
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, not " + d);
        }
    }
}
