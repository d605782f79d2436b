package dev.warren;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP proxy in front of the broker, for network faults without touching the broker:
 * {@link #cut()} closes every proxied socket (the client sees a socket error), {@link #freeze()}
 * stops forwarding in both directions while keeping the sockets open (heartbeats go missing).
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean frozen;

    TcpProxy(String brokerUri) throws IOException {
        URI u = URI.create(brokerUri);
        this.targetHost = u.getHost();
        this.targetPort = u.getPort() == -1 ? 5672 : u.getPort();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("proxy-accept").start(this::acceptLoop);
    }

    /** The broker URI, credentials and vhost included, pointed at this proxy. */
    String uri(String brokerUri) {
        URI u = URI.create(brokerUri);
        try {
            return new URI(u.getScheme(), u.getUserInfo(), "127.0.0.1", server.getLocalPort(), u.getPath(), null, null)
                    .toString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Closes every proxied connection, as a network failure would. */
    void cut() {
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }

    /** Stops forwarding anything, in both directions; the sockets stay open. */
    void freeze() {
        frozen = true;
    }

    @Override
    public void close() {
        closed.countDown();
        closeQuietly(server);
        cut();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(targetHost, targetPort);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofVirtual().start(() -> pump(client, upstream));
                Thread.ofVirtual().start(() -> pump(upstream, client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            while (true) {
                int n = in.read(buffer);
                if (frozen) {
                    closed.await();
                    return;
                }
                if (n < 0) {
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

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Closing is all that is wanted.
        }
    }
}
