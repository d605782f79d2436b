package dev.warren.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on the loopback interface in front of a broker, for network faults that leave the
 * broker alone. {@link #cut()} closes every proxied socket (the client sees a socket error, as
 * when a network path resets); {@link #pause()} stops forwarding in both directions while the
 * sockets stay open (a frozen network: heartbeats go missing, and once the kernel's buffers are
 * full the client's socket writes block), and {@link #resume()} forwards again what was held.
 *
 * <p>Point a client at {@link #uri(String)}. Thread-safe. {@link #close()} stops accepting and
 * cuts every connection; its threads end with it. They are platform threads (daemons): on Java 21
 * a virtual thread in the JDK's socket code can pin its carrier, which {@link PinningMonitor}
 * would report against the test.
 */
public final class TcpProxy implements AutoCloseable {
    private static final int RECEIVE_BUFFER = 64 * 1024;

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition resumed = lock.newCondition();
    private volatile boolean paused;
    private volatile boolean closed;

    /**
     * Starts a proxy to the host and port of {@code brokerUri} (5672, or 5671 for amqps, when
     * it names none).
     *
     * @param brokerUri the broker's AMQP URI
     * @throws UncheckedIOException when no loopback port can be bound
     */
    public TcpProxy(String brokerUri) {
        URI u = URI.create(brokerUri);
        this.targetHost = u.getHost();
        this.targetPort = u.getPort() != -1 ? u.getPort() : "amqps".equals(u.getScheme()) ? 5671 : 5672;
        try {
            this.server = new ServerSocket();
            // Small receive buffers (inherited by the accepted sockets): a pause fills them, and
            // the client's writes block, after a few hundred kilobytes instead of megabytes.
            server.setReceiveBufferSize(RECEIVE_BUFFER);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind a loopback port for the proxy", e);
        }
        Thread.ofPlatform().daemon().name("warren-proxy-accept-" + server.getLocalPort()).start(this::acceptLoop);
    }

    /**
     * The port this proxy listens on (loopback).
     *
     * @return the port this proxy listens on (loopback)
     */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * {@code brokerUri}, credentials, vhost and query included, pointed at this proxy. They are
     * kept as written (still percent-encoded): the default vhost written {@code /%2F} stays
     * {@code /%2F}.
     *
     * @param brokerUri the broker's AMQP URI
     * @return the URI pointed at this proxy
     * @throws IllegalArgumentException if {@code brokerUri} is not a URI
     */
    public String uri(String brokerUri) {
        URI u;
        try {
            u = new URI(brokerUri);
        } catch (URISyntaxException e) {
            // Neither the URI nor the exception, whose message quotes it: it may hold a password.
            throw new IllegalArgumentException("cannot point the broker URI at the proxy: " + e.getReason());
        }
        return u.getScheme() + "://" + (u.getRawUserInfo() == null ? "" : u.getRawUserInfo() + "@") + "127.0.0.1:"
                + port() + (u.getRawPath() == null ? "" : u.getRawPath())
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    }

    /** Closes every proxied connection, as a network failure would. New connections are still accepted. */
    public void cut() {
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    /**
     * Stops forwarding in both directions; the sockets stay open and what arrives is held (once
     * the buffers are full, the peers' writes block). Idempotent.
     */
    public void pause() {
        paused = true;
    }

    /** Forwards again, starting with what was held. Idempotent. */
    public void resume() {
        lock.lock();
        try {
            paused = false;
            resumed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether the proxy is paused.
     *
     * @return whether the proxy is paused
     */
    public boolean isPaused() {
        return paused;
    }

    /** Stops accepting, cuts every connection and ends the proxy's threads. Idempotent. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        cut();
        resume();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream;
                try {
                    upstream = new Socket();
                    upstream.setReceiveBufferSize(RECEIVE_BUFFER);
                    upstream.connect(new InetSocketAddress(targetHost, targetPort));
                } catch (IOException e) {
                    closeQuietly(client);
                    continue;
                }
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofPlatform().daemon().name("warren-proxy-up").start(() -> pump(client, upstream));
                Thread.ofPlatform().daemon().name("warren-proxy-down").start(() -> pump(upstream, client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16384];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            while (true) {
                awaitResumed();
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                // Read while running, held while paused: nothing is dropped.
                awaitResumed();
                if (closed) {
                    break;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // Cut or closed.
        }
        closeQuietly(from);
        closeQuietly(to);
    }

    private void awaitResumed() throws InterruptedException {
        if (!paused) {
            return;
        }
        lock.lock();
        try {
            while (paused && !closed) {
                resumed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Closing is all that is wanted.
        }
    }
}
