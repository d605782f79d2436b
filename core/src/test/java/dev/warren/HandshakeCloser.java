package dev.warren;

import com.rabbitmq.client.impl.AMQImpl;
import com.rabbitmq.client.impl.LongStringHelper;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test support: a loopback front for a broker that forwards connections to it, except that it
 * answers the next {@link #closeDuringHandshake(int) n} connections itself with a
 * connection.start and then closes the socket after the client's start-ok, as a node that goes
 * down during the handshake does (amqp-client then throws its
 * {@code PossibleAuthenticationFailureException}). {@link #cut()} closes the forwarded ones.
 */
final class HandshakeCloser implements AutoCloseable {
    private final ServerSocket server;
    private final String host;
    private final int port;
    private final AtomicInteger toClose = new AtomicInteger();
    private final AtomicInteger closedHandshakes = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    HandshakeCloser(String brokerUri) {
        URI u = URI.create(brokerUri);
        host = u.getHost();
        port = u.getPort() == -1 ? 5672 : u.getPort();
        try {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofPlatform().daemon().name("handshake-closer-accept").start(this::accept);
    }

    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** The next {@code n} connections get a handshake closed under them. */
    void closeDuringHandshake(int n) {
        toClose.set(n);
    }

    /** How many handshakes it closed so far. */
    int closedHandshakes() {
        return closedHandshakes.get();
    }

    /** How many connections it accepted so far. */
    int accepted() {
        return accepted.get();
    }

    /** Closes every forwarded connection, as a network failure would. */
    void cut() {
        sockets.forEach(HandshakeCloser::closeQuietly);
        sockets.clear();
    }

    @Override
    public void close() {
        closeQuietly(server);
        cut();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            if (toClose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                Thread.ofPlatform().daemon().start(() -> closeHandshake(client));
            } else {
                forward(client);
            }
        }
    }

    private void closeHandshake(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            in.readNBytes(8); // the protocol header
            DataOutputStream out = new DataOutputStream(client.getOutputStream());
            new AMQImpl.Connection.Start(0, 9, Map.of(), LongStringHelper.asLongString("PLAIN AMQPLAIN"),
                    LongStringHelper.asLongString("en_US")).toFrame(0).writeTo(out);
            out.flush();
            in.read(new byte[4096]); // the start-ok
            closedHandshakes.incrementAndGet();
        } catch (IOException e) {
            // the client went first
        }
    }

    private void forward(Socket client) {
        try {
            Socket broker = new Socket(host, port);
            sockets.add(client);
            sockets.add(broker);
            pump(client.getInputStream(), broker.getOutputStream(), client, broker);
            pump(broker.getInputStream(), client.getOutputStream(), client, broker);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    private static void pump(InputStream in, OutputStream out, Socket a, Socket b) {
        Thread.ofPlatform().daemon().start(() -> {
            byte[] buf = new byte[16384];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // closed
            } finally {
                closeQuietly(a);
                closeQuietly(b);
            }
        });
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
