package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import dev.warren.ClosedException;
import dev.warren.Delivery;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;

/**
 * A {@link Delivery} from a consumer or from basic.get. It doubles as the node of its
 * subscription's buffer (the {@code next} link), so handing a delivery over costs no allocation
 * besides this object.
 */
public final class InboundDelivery implements Delivery, Outbound {
    /** The header a stream puts on each message it delivers. */
    private static final String STREAM_OFFSET = "x-stream-offset";

    private static final int UNSETTLED = 0;
    private static final int ACKED = 1;
    private static final int NACKED = 2;
    private static final int NACKED_REQUEUE = 3;
    private static final int REJECTED = 4;
    private static final int REJECTED_REQUEUE = 5;
    private static final int AUTO_ACKED = 6;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(InboundDelivery.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ChannelContext ctx;
    private final Envelope envelope;
    private final AMQP.BasicProperties properties;
    private final byte[] body;
    private volatile int state;
    /** The next node in the subscription's buffer; written once, by amqp-client's reader thread. */
    private volatile InboundDelivery next;
    /**
     * {@link #headers()}, converted on first use only: the reader thread never pays for it, and
     * with compressed oops the field fits in the object's padding. Racing first readers may both
     * convert; either result is an unmodifiable map, published safely through its final fields.
     */
    private Map<String, Object> headers;

    /**
     * @param ctx the channel it came from, the only one its delivery tag means something on
     * @param autoAck whether the broker acknowledged it on sending (then nothing can settle it)
     */
    public InboundDelivery(ChannelContext ctx, Envelope envelope, AMQP.BasicProperties properties, byte[] body,
            boolean autoAck) {
        this.ctx = ctx;
        this.envelope = envelope;
        this.properties = properties != null ? properties : new AMQP.BasicProperties();
        this.body = body != null ? body : new byte[0];
        this.state = autoAck ? AUTO_ACKED : UNSETTLED;
    }

    /** A sentinel: the buffer's first dummy node, or a marker that is never handed out. */
    static InboundDelivery sentinel() {
        return new InboundDelivery(null, null, null, null, true);
    }

    @Override
    public byte[] body() {
        return body;
    }

    @Override
    public AMQP.BasicProperties properties() {
        return properties;
    }

    @Override
    public Envelope envelope() {
        return envelope;
    }

    @Override
    public Map<String, Object> headers() {
        Map<String, Object> h = headers;
        if (h == null) {
            h = PropertyValues.readableHeaders(properties.getHeaders());
            headers = h;
        }
        return h;
    }

    @Override
    public void ack() {
        settle(ACKED);
    }

    @Override
    public void nack(boolean requeue) {
        settle(requeue ? NACKED_REQUEUE : NACKED);
    }

    @Override
    public void reject(boolean requeue) {
        settle(requeue ? REJECTED_REQUEUE : REJECTED);
    }

    @Override
    public boolean isSettled() {
        return state != UNSETTLED;
    }

    /**
     * Sends nack with requeue unless it was settled, ignoring a closed channel (the broker
     * requeues by itself then). For deliveries nobody took. Whether a settle was queued. A
     * delivery from a stream (it carries its {@code x-stream-offset}) is acked instead: a stream
     * keeps its messages whatever the consumer says, and refuses a nack with 540 NOT_IMPLEMENTED,
     * closing the whole connection.
     */
    boolean requeueQuietly() {
        if (state != UNSETTLED || ctx.closedCause() != null) {
            return false;
        }
        try {
            if (header(STREAM_OFFSET).isPresent()) {
                ack();
            } else {
                nack(true);
            }
            return true;
        } catch (ClosedException | IllegalStateException ignored) {
            // Closed meanwhile (the broker requeues it), or settled by a racing caller.
            return false;
        }
    }

    /**
     * Records the settlement and hands it to the channel's writer: the caller never writes to
     * the socket, so an interrupt (a cancelled handler settling in a finally block) cannot close
     * the connection, and the interrupt status is left alone. The frame follows, in order,
     * whatever the channel queued before.
     */
    private void settle(int how) {
        int s = state;
        if (s != UNSETTLED) {
            throw new IllegalStateException("delivery " + envelope.getDeliveryTag() + " was "
                    + (s == AUTO_ACKED ? "delivered with auto-ack; there is nothing to settle" : "already " + name(s)));
        }
        // Checked before the state changes, so that a delivery whose channel closed stays unsettled.
        ctx.ensureOpen();
        if (!STATE.compareAndSet(this, UNSETTLED, how)) {
            throw new IllegalStateException("delivery " + envelope.getDeliveryTag() + " was already "
                    + name(state));
        }
        ctx.send(this);
        Telemetry t = ctx.telemetry();
        if (t.observer != null) {
            t.settled(how == ACKED, how == NACKED_REQUEUE || how == REJECTED_REQUEUE);
        }
    }

    /** On the writer thread: the ack, nack or reject. */
    @Override
    public void write() throws IOException {
        long tag = envelope.getDeliveryTag();
        switch (state) {
            case ACKED -> ctx.raw().basicAck(tag, false);
            case NACKED, NACKED_REQUEUE -> ctx.raw().basicNack(tag, false, state == NACKED_REQUEUE);
            default -> ctx.raw().basicReject(tag, state == REJECTED_REQUEUE);
        }
    }

    /** The channel closed first: the broker requeues it by itself. */
    @Override
    public void abandon(Throwable cause) {
    }

    private static String name(int state) {
        return switch (state) {
            case ACKED -> "acked";
            case NACKED, NACKED_REQUEUE -> "nacked";
            case REJECTED, REJECTED_REQUEUE -> "rejected";
            default -> "settled";
        };
    }

    InboundDelivery next() {
        return next;
    }

    void setNext(InboundDelivery n) {
        next = n;
    }

    @Override
    public String toString() {
        if (envelope == null) {
            return "Delivery[sentinel]";
        }
        return "Delivery[tag " + envelope.getDeliveryTag() + ", exchange '" + envelope.getExchange() + "', routing key '"
                + envelope.getRoutingKey() + "'" + (envelope.isRedeliver() ? ", redelivered" : "") + ", "
                + body.length + " bytes" + (isSettled() ? ", settled" : "") + "]";
    }
}
