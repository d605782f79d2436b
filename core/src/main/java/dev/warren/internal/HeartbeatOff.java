package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import java.io.IOException;

/**
 * Connections without heartbeats. amqp-client negotiates a requested
 * heartbeat of 0 as "the broker's" (its rule: when one side says 0, the other side's value wins),
 * so asking for 0 alone gives the broker's 60 s. AMQP lets the client answer connection.tune
 * with 0 to turn heartbeats off, and RabbitMQ honours it: the wrapped handler lets amqp-client see the
 * broker's proposal as 0, so it answers 0.
 */
final class HeartbeatOff {
    private static final int CONNECTION_CLASS = 10;
    private static final int TUNE_METHOD = 30;
    /** class, method (2+2), channel-max (2), frame-max (4), then heartbeat (2). */
    private static final int HEARTBEAT_OFFSET = 10;

    private HeartbeatOff() {}

    /** Wraps a connection's frame handler so that the broker's heartbeat proposal reads as 0. */
    static FrameHandler wrap(FrameHandler handler) {
        return new TuneWithoutHeartbeat(handler);
    }

    /** Passes every frame through, but reads the broker's heartbeat proposal as 0. */
    private static final class TuneWithoutHeartbeat extends ForwardingFrameHandler {
        private volatile boolean tuned;

        TuneWithoutHeartbeat(FrameHandler delegate) {
            super(delegate);
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
    }
}
