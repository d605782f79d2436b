package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MetricsCollector;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.ConnectionParams;
import com.rabbitmq.client.impl.FrameHandler;
import dev.warren.ConnectFailedException;
import dev.warren.ConnectionOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** Opens amqp-client connections configured for Warren, and says clearly why one failed. */
public final class Connector {
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** The prefix of every platform thread amqp-client starts for Warren's connections. */
    public static final String THREAD_PREFIX = "warren-amqp-";

    private Connector() {}

    /**
     * Opens a connection; blocks the calling thread.
     *
     * @throws IllegalArgumentException when the URI is malformed (the message hides the password)
     * @throws ConnectFailedException when the broker cannot be reached or refuses the connection
     */
    public static Connection open(ConnectionOptions options, Writer writer) {
        return open(options, writer, address -> {});
    }

    /**
     * As {@link #open(ConnectionOptions, Writer)}, telling {@code connectedTo} which address it
     * connected to, as configured ({@code host:port} of {@code withAddresses}, host names
     * unresolved; the URI's host and port when there are none).
     */
    public static Connection open(ConnectionOptions options, Writer writer,
            java.util.function.Consumer<String> connectedTo) {
        // A heartbeat of zero must turn heartbeats off, not take the broker's (see HeartbeatOff).
        boolean heartbeatOff = options.heartbeat().isZero();
        ConnectionFactory f = new ConnectionFactory() {
            @Override
            protected AMQConnection createConnection(ConnectionParams params, FrameHandler handler,
                    MetricsCollector metrics) {
                return super.createConnection(params,
                        writer.flushingInBursts(heartbeatOff ? HeartbeatOff.wrap(handler) : handler), metrics);
            }
        };
        try {
            java.net.URI parsed = new java.net.URI(options.uri());
            if (parsed.getRawAuthority() != null && parsed.getHost() == null) {
                // Not host[:port] (a bad port, a bad character): amqp-client would ignore the
                // whole authority and connect to localhost:5672 as guest.
                throw new URISyntaxException(options.redactedUri(), "no host[:port] in the authority");
            }
            f.setUri(parsed);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed AMQP URI " + options.redactedUri()
                    + ": expected amqp://user:password@host:port/vhost or amqps://...", null);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS for " + options.redactedUri() + ": "
                    + e.getMessage(), e);
        }
        TlsSetup.Prepared tls = TlsSetup.applyTo(f, options, f.isSSL() ? "amqps" : "amqp");
        // A closed channel or connection must fail what waits on it, not come back by itself.
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis());
        f.setConnectionTimeout(timeoutMillis);
        f.setHandshakeTimeout(timeoutMillis);
        // Bounds amqp-client's own blocking waits (channel open and close, on Warren's threads),
        // so that closing a channel of a blocked or dead connection cannot hang for its default
        // of ten minutes.
        f.setChannelRpcTimeout(Math.max(timeoutMillis, 5_000));
        f.setRequestedHeartbeat((int) Math.min(Integer.MAX_VALUE, options.heartbeat().toSeconds()));
        f.setRequestedChannelMax(options.channelMax());
        f.setRequestedFrameMax(options.frameMax());
        Map<String, Object> props = new HashMap<>(f.getClientProperties());
        props.putAll(options.clientProperties());
        f.setClientProperties(props);
        f.setThreadFactory(threadFactory());
        // Warren's consumer callbacks never block, so they run where amqp-client hands them over
        // (see InlineDispatch): a reply or a delivery wakes its waiter straight from the reader.
        f.setSharedExecutor(InlineDispatch.INSTANCE);
        // A reply that does not match the method in flight is dropped, not handed to it.
        f.setChannelShouldCheckRpcResponseType(true);
        // A delivery's announced body size is checked before it is buffered.
        f.setMaxInboundMessageBodySize(options.maxInboundMessageBodySize());
        if (options.metricsCollector() != null) {
            f.setMetricsCollector(options.metricsCollector());
        }
        // Last, so that it wraps whatever socket configuration (TLS host checks) was set up.
        LinkWatch watch = new LinkWatch(f.getSocketConfigurator(), writer);
        f.setSocketConfigurator(watch);
        f.setExceptionHandler(watch);
        List<String> order = options.addresses();
        if (options.addressShuffle() && order.size() > 1) {
            // As amqp-client does: a fleet of clients must not all start on the first node.
            order = new ArrayList<>(order);
            Collections.shuffle(order);
        }
        List<String> tried = order;
        Connection c = Addresses.connect(f, tried,
                factory -> options.connectionName() != null ? factory.newConnection(options.connectionName())
                        : factory.newConnection(),
                (e, host) -> {
                    String described = ConnectFailures.reason(e, options, tls, host);
                    return described != null ? described : reason(e);
                }, i -> connectedTo.accept(tried.isEmpty() ? Addresses.format(f.getHost(), f.getPort())
                        : tried.get(i)));
        watch.opened(c);
        return c;
    }

    /** amqp-client's threads, named so they can be told apart (and counted) as Warren's. */
    private static ThreadFactory threadFactory() {
        return r -> {
            String name = THREAD_PREFIX + THREADS.incrementAndGet();
            // amqp-client renames the threads it makes for itself (its reader becomes "AMQP
            // Connection host:port") before starting them: the thread puts the prefix back first.
            return Thread.ofPlatform().name(name).daemon(true).unstarted(() -> {
                Thread t = Thread.currentThread();
                if (!t.getName().startsWith(THREAD_PREFIX)) {
                    t.setName(name + " " + t.getName());
                }
                r.run();
            });
        };
    }

    static String reason(Throwable e) {
        if (e instanceof AuthenticationFailureException || e instanceof PossibleAuthenticationFailureException) {
            return "403 ACCESS_REFUSED: the broker refused the user name or password";
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ShutdownSignalException s && s.getReason() instanceof AMQP.Connection.Close close) {
                return close.getReplyCode() + " " + close.getReplyText();
            }
            if (c instanceof UnknownHostException) {
                return "unknown host";
            }
            if (c instanceof ConnectException) {
                return "connection refused (is the broker running and listening on this port?)";
            }
            if (c instanceof NoRouteToHostException) {
                return "host unreachable";
            }
            if (c instanceof SocketTimeoutException) {
                return "timed out (host unreachable or not answering)";
            }
            if (c instanceof TimeoutException) {
                return "the AMQP handshake timed out";
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return e.toString();
    }
}
