package dev.warren.demo;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import dev.warren.demo.Trial.Window;
import java.io.IOException;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The raw client's fastest confirmed publishing: one thread publishes without waiting while
 * fewer than {@value #MAX_IN_FLIGHT} messages are unconfirmed, and the broker's acks (often
 * {@code multiple}) free room from the connection's reader thread.
 *
 * <p>Each message's latency, from just before {@code basicPublish} to its confirm, goes to the
 * window's {@link Window#latencies()}: the send time is kept in a ring indexed by the publish
 * sequence number, larger than the most unconfirmed at once, so nothing is allocated per message.
 *
 * <p>Never {@code waitForConfirms}: it waits for all outstanding confirms, so it empties the pipe
 * on every call.
 */
final class ConfirmPipeline implements ConfirmListener {
    /** The most unconfirmed messages at once. */
    static final int MAX_IN_FLIGHT = 1000;
    private static final long STALL_SECONDS = 60;
    /** The send-time ring: a power of two above {@link #MAX_IN_FLIGHT}, so no unconfirmed slot is reused. */
    private static final int RING = Integer.highestOneBit(MAX_IN_FLIGHT) << 1;

    private final Channel channel;
    private final Semaphore room = new Semaphore(MAX_IN_FLIGHT);
    /**
     * System.nanoTime() just before each unconfirmed message was sent, at its sequence number
     * modulo {@link #RING}: written by the publisher with release, read by the reader thread
     * with acquire (the broker's confirm cannot come before the send, but that is no memory edge).
     */
    private final AtomicLongArray sentAt = new AtomicLongArray(RING);
    /** The latency recorder of the current publish call; the reader thread records into it. */
    private volatile LatencyHistogram latencies = new LatencyHistogram();

    // Confirms arrive on the connection's single reader thread, in order, so the fields below
    // need no lock; the publisher reads the counts only after taking back all of `room`, which
    // the reader released after writing them.
    private long lowestUnsettled = 1;
    /** Tags above lowestUnsettled already settled one by one, so a later multiple skips them. */
    private final TreeSet<Long> settledAhead = new TreeSet<>();
    private long acked;
    private long nacked;

    /** Puts {@code channel} in confirm mode and listens to its confirms. */
    ConfirmPipeline(Channel channel) throws IOException {
        this.channel = channel;
        channel.confirmSelect();
        channel.addConfirmListener(this);
        // Wake a publisher blocked on room if the channel dies; basicPublish then throws.
        channel.addShutdownListener(cause -> room.release(MAX_IN_FLIGHT));
    }

    /**
     * Publishes {@code body} transient and not mandatory until {@code max} messages are sent or
     * the window expires, then waits for every confirm.
     *
     * @return how many of the messages this call sent the broker acked
     * @throws IOException when the channel closes, or the broker nacks any message
     */
    long publish(String exchange, String routingKey, byte[] body, long max, Window window)
            throws IOException, InterruptedException, TimeoutException {
        long ackedBefore = acked;
        latencies = window.latencies();
        for (long sent = 0; sent < max && !window.expired(); sent++) {
            if (!room.tryAcquire(STALL_SECONDS, TimeUnit.SECONDS)) {
                throw new TimeoutException("the broker confirmed nothing for " + STALL_SECONDS + " s");
            }
            long seq = channel.getNextPublishSeqNo();
            sentAt.setRelease((int) (seq & (RING - 1)), System.nanoTime());
            channel.basicPublish(exchange, routingKey, false, null, body);
        }
        if (!room.tryAcquire(MAX_IN_FLIGHT, STALL_SECONDS, TimeUnit.SECONDS)) {
            throw new TimeoutException("the last confirms did not come within " + STALL_SECONDS + " s");
        }
        room.release(MAX_IN_FLIGHT);
        if (!channel.isOpen()) {
            throw new IOException("the channel closed while publishing", channel.getCloseReason());
        }
        if (nacked > 0) {
            throw new IOException("the broker nacked " + nacked + " messages");
        }
        return acked - ackedBefore;
    }

    @Override
    public void handleAck(long tag, boolean multiple) {
        long n = settle(tag, multiple);
        acked += n;
        room.release((int) n);
    }

    @Override
    public void handleNack(long tag, boolean multiple) {
        long n = settle(tag, multiple);
        nacked += n;
        room.release((int) n);
    }

    /**
     * Marks the confirmed tags settled, records the latency of each that was not settled
     * before, and returns how many those were.
     */
    private long settle(long tag, boolean multiple) {
        if (tag < lowestUnsettled) {
            return 0;
        }
        long now = System.nanoTime();
        LatencyHistogram recorder = latencies;
        long n;
        if (multiple) {
            n = tag - lowestUnsettled + 1;
            for (long t = lowestUnsettled; t <= tag; t++) {
                if (settledAhead.isEmpty() || !settledAhead.contains(t)) {
                    recorder.record(now - sentAt.getAcquire((int) (t & (RING - 1))));
                }
            }
            if (!settledAhead.isEmpty()) {
                var covered = settledAhead.headSet(tag, true);
                n -= covered.size();
                covered.clear();
            }
            lowestUnsettled = tag + 1;
        } else if (tag == lowestUnsettled) {
            recorder.record(now - sentAt.getAcquire((int) (tag & (RING - 1))));
            n = 1;
            lowestUnsettled++;
        } else {
            // Out of order: RabbitMQ does not do this for one queue, but a listener must cope.
            if (!settledAhead.add(tag)) {
                return 0;
            }
            recorder.record(now - sentAt.getAcquire((int) (tag & (RING - 1))));
            return 1;
        }
        while (!settledAhead.isEmpty() && settledAhead.first() == lowestUnsettled) {
            settledAhead.pollFirst();
            lowestUnsettled++;
        }
        return n;
    }
}
