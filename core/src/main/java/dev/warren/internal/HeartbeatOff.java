package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MetricsCollector;
import com.rabbitmq.client.WriteListener;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.ConnectionParams;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;

/**
 * A connection factory whose connections have no heartbeats. amqp-client negotiates a requested
 * heartbeat of 0 as "the broker's" (its rule: when one side says 0, the other side's value wins),
 * so asking for 0 alone gives the broker's 60 s. AMQP lets the client answer connection.tune
 * with 0 to turn heartbeats off, and RabbitMQ honours it: this factory lets amqp-client see the
 * broker's proposal as 0, so it answers 0.
 */
final class HeartbeatOff {
    private static final int CONNECTION_CLASS = 10;
    private static final int TUNE_METHOD = 30;
    /** class, method (2+2), channel-max (2), frame-max (4), then heartbeat (2). */
    private static final int HEARTBEAT_OFFSET = 10;

    private HeartbeatOff() {}

    static ConnectionFactory factory() {
        return new ConnectionFactory() {
            @Override
            protected AMQConnection createConnection(ConnectionParams params, FrameHandler handler,
                    MetricsCollector metrics) {
                return super.createConnection(params, new TuneWithoutHeartbeat(handler), metrics);
            }
        };
    }

    /** Passes every frame through, but reads the broker's heartbeat proposal as 0. */
    private static final class TuneWithoutHeartbeat implements FrameHandler {
        private final FrameHandler delegate;
        private volatile boolean tuned;

        TuneWithoutHeartbeat(FrameHandler delegate) {
            this.delegate = delegate;
        }

        @Override
        public Frame readFrame() throws IOException {
            Frame frame = delegate.readFrame();
            if (tuned || frame == null || frame.getType() != AMQP.FRAME_METHOD || frame.getChannel() != 0) {
                return frame;
            }
            byte[] payload = frame.getPayload();
            if (payload.length >= HEARTBEAT_OFFSET + 2 && (payload[0] << 8 | payload[1] & 0xff) == CONNECTION_CLASS
                    && (payload[2] << 8 | payload[3] & 0xff) == TUNE_METHOD) {
                tuned = true;
                payload[HEARTBEAT_OFFSET] = 0;
                payload[HEARTBEAT_OFFSET + 1] = 0;
                return new Frame(frame.getType(), frame.getChannel(), payload);
            }
            return frame;
        }

        @Override
        public boolean internalHearbeat() {
            return delegate.internalHearbeat();
        }

        @Override
        public void setTimeout(int timeoutMs) throws SocketException {
            delegate.setTimeout(timeoutMs);
        }

        @Override
        public int getTimeout() throws SocketException {
            return delegate.getTimeout();
        }

        @Override
        public void sendHeader() throws IOException {
            delegate.sendHeader();
        }

        @Override
        public void initialize(AMQConnection connection) {
            delegate.initialize(connection);
        }

        @Override
        public void startProcessing() {
            delegate.startProcessing();
        }

        @Override
        public void finishConnectionNegotiation() {
            delegate.finishConnectionNegotiation();
        }

        @Override
        public void setFrameMax(int frameMax) {
            delegate.setFrameMax(frameMax);
        }

        @Override
        public void writeFrame(Frame frame) throws IOException {
            delegate.writeFrame(frame);
        }

        @Override
        public void flush(WriteListener listener) throws IOException {
            delegate.flush(listener);
        }

        @Override
        public void close() {
            delegate.close();
        }

        @Override
        public InetAddress getLocalAddress() {
            return delegate.getLocalAddress();
        }

        @Override
        public int getLocalPort() {
            return delegate.getLocalPort();
        }

        @Override
        public InetAddress getAddress() {
            return delegate.getAddress();
        }

        @Override
        public int getPort() {
            return delegate.getPort();
        }
    }
}
