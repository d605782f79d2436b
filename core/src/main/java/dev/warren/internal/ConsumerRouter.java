package dev.warren.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumers of one channel, by consumer tag: amqp-client's default consumer for the channel,
 * which hands each delivery and each broker-side cancel to the consumer Warren registered.
 *
 * <p>Warren starts and cancels consumers with plain basic.consume and basic.cancel through its
 * writer, not amqp-client's blocking {@code basicConsume}/{@code basicCancel}: those wait for
 * the reply on the caller's thread, give up after amqp-client's RPC timeout and then leave a
 * consumer the broker has and amqp-client does not know (its first delivery would close the
 * connection). Here the consumer is registered under a tag Warren picks before basic.consume is
 * sent, so every delivery finds it, whenever the reply comes.
 */
final class ConsumerRouter implements Consumer {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerRouter.class);
    private static final AtomicLong TAGS = new AtomicLong();
    /** At most this many unknown consumer tags are logged per channel; the rest are only counted. */
    static final int LOGGED_TAGS = 64;

    private final ConcurrentHashMap<String, Consumer> consumers = new ConcurrentHashMap<>();
    /**
     * Consumer tags already logged as unknown: a broker (or a consumer cancelled while deliveries
     * were in flight) may send many deliveries for one, and each would log again. Bounded, since
     * the tags are the broker's to choose.
     */
    private final Set<String> unknownTags = ConcurrentHashMap.newKeySet();
    private final LongAdder unknownDeliveries = new LongAdder();
    private final ChannelContext ctx;

    ConsumerRouter(ChannelContext ctx) {
        this.ctx = ctx;
        ctx.raw().setDefaultConsumer(this);
    }

    /** A consumer tag unique in this JVM, in the broker's own style. */
    static String newTag() {
        return "amq.ctag-warren-" + TAGS.incrementAndGet();
    }

    /**
     * Registers {@code c} under {@code tag} before its basic.consume is sent.
     *
     * @throws IllegalArgumentException if the tag is in use on this channel
     */
    void register(String tag, Consumer c) {
        if (consumers.putIfAbsent(tag, c) != null) {
            throw new IllegalArgumentException("consumer tag '" + tag + "' is in use on this channel");
        }
    }

    /** Forgets the consumer of {@code tag} (cancelled, or its basic.consume failed). */
    void unregister(String tag) {
        consumers.remove(tag);
    }

    @Override
    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
            throws java.io.IOException {
        Consumer c = consumers.get(tag);
        if (c != null) {
            c.handleDelivery(tag, envelope, properties, body);
        } else {
            unknown(tag);
        }
    }

    /** Counts a delivery for a tag with no consumer; logs the first one of each tag (up to {@link #LOGGED_TAGS}). */
    private void unknown(String tag) {
        unknownDeliveries.increment();
        if (unknownTags.size() < LOGGED_TAGS && unknownTags.add(tag)) {
            LOG.warn("channel {}: a delivery for consumer tag '{}', which has no consumer; left to the broker to"
                    + " requeue when the channel closes (further deliveries for it are counted, not logged)",
                    ctx.number(), tag);
        }
    }

    /** Deliveries that came for a consumer tag with no consumer on this channel. */
    long unknownDeliveries() {
        return unknownDeliveries.sum();
    }

    @Override
    public void handleCancel(String tag) throws java.io.IOException {
        Consumer c = consumers.remove(tag);
        if (c != null) {
            c.handleCancel(tag);
        }
    }

    @Override
    public void handleConsumeOk(String tag) {
        // Replies to Warren's basic.consume go to the request that sent it.
    }

    @Override
    public void handleCancelOk(String tag) {
        // Replies to Warren's basic.cancel go to the request that sent it.
    }

    @Override
    public void handleShutdownSignal(String tag, ShutdownSignalException sig) {
        // The channel's close reaches every consumer through ChannelContext's close hooks.
    }

    @Override
    public void handleRecoverOk(String tag) {
        // basic.recover is not used by Warren.
    }
}
