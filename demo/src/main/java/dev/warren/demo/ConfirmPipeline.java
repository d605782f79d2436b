package dev.warren.demo;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import java.io.IOException;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The raw client's fastest confirmed publishing: one thread publishes without waiting while
 * fewer than {@value #MAX_IN_FLIGHT} messages are unconfirmed, and the broker's acks (often
 * {@code multiple}) free room from the connection's reader thread.
 *
 * <p>Never {@code waitForConfirms}: it waits for all outstanding confirms, so it empties the pipe
 * on every call.
 */
final class ConfirmPipeline implements ConfirmListener {
    /** The most unconfirmed messages at once. */
    static final int MAX_IN_FLIGHT = 1000;
    private static final long STALL_SECONDS = 60;

    private final Channel channel;
    private final Semaphore room = new Semaphore(MAX_IN_FLIGHT);

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
        for (long sent = 0; sent < max && !window.expired(); sent++) {
            if (!room.tryAcquire(STALL_SECONDS, TimeUnit.SECONDS)) {
                throw new TimeoutException("the broker confirmed nothing for " + STALL_SECONDS + " s");
            }
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

    /** Marks the confirmed tags settled and returns how many were not settled before. */
    private long settle(long tag, boolean multiple) {
        if (tag < lowestUnsettled) {
            return 0;
        }
        long n;
        if (multiple) {
            n = tag - lowestUnsettled + 1;
            if (!settledAhead.isEmpty()) {
                var covered = settledAhead.headSet(tag, true);
                n -= covered.size();
                covered.clear();
            }
            lowestUnsettled = tag + 1;
        } else if (tag == lowestUnsettled) {
            n = 1;
            lowestUnsettled++;
        } else {
            // Out of order: RabbitMQ does not do this for one queue, but a listener must cope.
            return settledAhead.add(tag) ? 1 : 0;
        }
        while (!settledAhead.isEmpty() && settledAhead.first() == lowestUnsettled) {
            settledAhead.pollFirst();
            lowestUnsettled++;
        }
        return n;
    }
}
