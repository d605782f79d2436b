package dev.warren;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy to a broker that reads the AMQP 0-9-1 method frames the client sends, so
 * a test can check what went on the wire whatever the broker shows of it. One client connection;
 * platform threads (daemons), ended by {@link #close()}.
 */
final class FrameSniffer implements AutoCloseable {
    /** A method frame the client sent: its channel, class and method ids and its arguments. */
    record MethodFrame(int channel, int classId, int methodId, byte[] arguments) {}

    private static final int PROTOCOL_HEADER = 8;

    private final ServerSocket server;
    private final List<MethodFrame> sent = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    FrameSniffer(String brokerUri) throws IOException {
        URI u = URI.create(brokerUri);
        int port = u.getPort() != -1 ? u.getPort() : 5672;
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("frame-sniffer").start(() -> {
            try (Socket client = server.accept(); Socket upstream = new Socket()) {
                upstream.connect(new InetSocketAddress(u.getHost(), port));
                sockets.add(client);
                sockets.add(upstream);
                Thread down = Thread.ofPlatform().daemon().start(() -> pump(upstream, client, false));
                pump(client, upstream, true);
                down.join();
            } catch (IOException | InterruptedException e) {
                // closed
            }
        });
    }

    /** The URI (credentials and vhost kept) pointed at this sniffer. */
    String uri(String brokerUri) {
        URI u = URI.create(brokerUri);
        return u.getScheme() + "://" + (u.getRawUserInfo() == null ? "" : u.getRawUserInfo() + "@") + "127.0.0.1:"
                + server.getLocalPort() + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    /** The method frames sent so far with this class and method id. */
    List<MethodFrame> sent(int classId, int methodId) {
        return sent.stream().filter(f -> f.classId() == classId && f.methodId() == methodId).toList();
    }

    private void pump(Socket from, Socket to, boolean parse) {
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        int skip = parse ? PROTOCOL_HEADER : 0;
        byte[] buffer = new byte[16384];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
                if (parse) {
                    pending.write(buffer, 0, n);
                    skip = parse(pending, skip);
                }
            }
        } catch (IOException e) {
            // closed
        }
        close();
    }

    /** Takes every complete frame off {@code pending}; returns the header bytes still to skip. */
    private int parse(ByteArrayOutputStream pending, int skip) {
        ByteBuffer b = ByteBuffer.wrap(pending.toByteArray());
        int header = Math.min(skip, b.remaining());
        b.position(header);
        skip -= header;
        while (skip == 0 && b.remaining() >= 7) {
            int start = b.position();
            int type = b.get() & 0xff;
            int channel = b.getShort() & 0xffff;
            int size = b.getInt();
            if (b.remaining() < size + 1) {
                b.position(start);
                break;
            }
            if (type == 1) {
                int classId = b.getShort() & 0xffff;
                int methodId = b.getShort() & 0xffff;
                byte[] args = new byte[size - 4];
                b.get(args);
                sent.add(new MethodFrame(channel, classId, methodId, args));
            } else {
                b.position(b.position() + size);
            }
            b.get(); // frame end
        }
        byte[] rest = new byte[b.remaining()];
        b.get(rest);
        pending.reset();
        pending.writeBytes(rest);
        return skip;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing is all that is wanted
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing is all that is wanted
            }
        }
    }
}
