package dev.warren;

import java.io.DataInputStream;
import java.io.DataOutputStream;
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
import java.util.function.UnaryOperator;

/**
 * A broker that breaks the protocol on purpose: a loopback proxy in front of a real broker that
 * passes every frame through, except that the payload of each method frame the broker sends
 * goes through {@code rewrite} first (a crafted ack, a delivery for a consumer tag nobody
 * registered). It reads the broker's side frame by frame (type, channel, size, payload, end
 * octet), so a rewritten payload may change length.
 */
final class FrameRewritingProxy implements AutoCloseable {
    private static final int METHOD_FRAME = 1;

    private final ServerSocket server;
    private final URI target;
    private final UnaryOperator<ByteBuffer> rewrite;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /** {@code rewrite} gets a method frame's payload and returns what to send instead (the same buffer for no change). */
    FrameRewritingProxy(String brokerUri, UnaryOperator<ByteBuffer> rewrite) throws IOException {
        this.target = URI.create(brokerUri);
        this.rewrite = rewrite;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofPlatform().daemon().name("rewriting-proxy-accept").start(this::accept);
    }

    /** {@code brokerUri} pointed at this proxy (credentials and vhost kept). */
    String uri(String brokerUri) {
        URI u = URI.create(brokerUri);
        String auth = u.getRawUserInfo() == null ? "" : u.getRawUserInfo() + "@";
        return "amqp://" + auth + "127.0.0.1:" + server.getLocalPort() + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    /** Whether a method payload is basic.ack (class 60, method 80). */
    static boolean isBasicAck(ByteBuffer p) {
        return p.getShort(0) == 60 && p.getShort(2) == 80;
    }

    /** A basic.ack payload with this delivery tag and multiple flag. */
    static ByteBuffer basicAck(long tag, boolean multiple) {
        return ByteBuffer.allocate(13).putShort((short) 60).putShort((short) 80).putLong(tag)
                .put((byte) (multiple ? 1 : 0)).flip();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getHost(), target.getPort() == -1 ? 5672 : target.getPort());
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofPlatform().daemon().name("rewriting-proxy-up").start(() -> copy(client, upstream));
                Thread.ofPlatform().daemon().name("rewriting-proxy-down").start(() -> frames(upstream, client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void copy(Socket from, Socket to) {
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException ignored) {
            // Closed.
        }
        closeQuietly(from);
        closeQuietly(to);
    }

    private void frames(Socket from, Socket to) {
        try (DataInputStream in = new DataInputStream(from.getInputStream());
             DataOutputStream out = new DataOutputStream(to.getOutputStream())) {
            while (true) {
                int type = in.readUnsignedByte();
                int channel = in.readUnsignedShort();
                byte[] payload = new byte[in.readInt()];
                in.readFully(payload);
                int end = in.readUnsignedByte();
                ByteBuffer p = ByteBuffer.wrap(payload);
                if (type == METHOD_FRAME) {
                    p = rewrite.apply(p);
                }
                out.writeByte(type);
                out.writeShort(channel);
                out.writeInt(p.remaining());
                out.write(p.array(), p.arrayOffset() + p.position(), p.remaining());
                out.writeByte(end);
                out.flush();
            }
        } catch (IOException ignored) {
            // Closed.
        }
        closeQuietly(from);
        closeQuietly(to);
    }

    @Override
    public void close() {
        closeQuietly(server);
        sockets.forEach(FrameRewritingProxy::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // Closing is all that is wanted.
        }
    }
}
