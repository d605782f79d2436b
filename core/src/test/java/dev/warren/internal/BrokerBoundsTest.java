package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Envelope;
import dev.warren.ChannelClosedException;
import dev.warren.ConsumeOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a broker that breaks its side of flow control can make a channel hold, driven by hand
 * without a broker: the test thread plays amqp-client's dispatch thread.
 */
@Timeout(30)
class BrokerBoundsTest {
    private static final Writer WRITER = new Writer("bounds-writer");
    private final Channel raw = InertChannel.create();
    private final ChannelContext ctx = new ChannelContext(raw, "test", WRITER, Duration.ofSeconds(30));
    private final Consumers consumers = new Consumers(ctx);

    private SubscriptionImpl subscription(ConsumeOptions options) {
        return new SubscriptionImpl(consumers, ctx, new Scope("test"), "q", options, "tag");
    }

    private static void deliver(SubscriptionImpl s, long n) {
        for (long i = 1; i <= n; i++) {
            s.handleDelivery("tag", new Envelope(i, false, "", "q"), null, new byte[0]);
        }
    }

    @Test
    void aBrokerThatSendsMoreThanThePrefetchAbortsTheChannel() throws Exception {
        SubscriptionImpl s = subscription(ConsumeOptions.defaults().withPrefetch(3));
        deliver(s, 3);
        s.take();
        deliver(s, 1); // taken ones make room
        assertThat(ctx.closedCause()).isNull();
        deliver(s, 1);
        assertThat(ctx.closedCause()).isInstanceOf(ChannelClosedException.class);
        assertThat(ctx.closedCause().replyText()).contains("more than the prefetch of 3");
        assertThatThrownBy(s::take).isInstanceOf(ChannelClosedException.class);
    }

    @Test
    void autoAckBuffersAtMostTheStatedBound() {
        SubscriptionImpl s = subscription(ConsumeOptions.defaults().withAutoAck(true));
        deliver(s, ConsumeOptions.UNLIMITED_BUFFER_BOUND);
        assertThat(ctx.closedCause()).isNull();
        deliver(s, 1);
        assertThat(ctx.closedCause()).isInstanceOf(ChannelClosedException.class);
        assertThat(ctx.closedCause().replyText()).contains("auto-ack or prefetch 0")
                .contains(ConsumeOptions.UNLIMITED_BUFFER_BOUND + " deliveries buffered");
    }

    @Test
    void prefetchZeroBuffersAtMostTheStatedBound() {
        SubscriptionImpl s = subscription(ConsumeOptions.defaults().withPrefetch(0));
        deliver(s, ConsumeOptions.UNLIMITED_BUFFER_BOUND + 1L);
        assertThat(ctx.closedCause()).isInstanceOf(ChannelClosedException.class);
    }

    /** Before: one warning per delivery, so a broker could fill the log at its sending rate. */
    @Test
    void deliveriesForAnUnknownConsumerTagAreCountedAndLoggedOncePerTag() throws Exception {
        ConsumerRouter router = consumers.router();
        String text;
        PrintStream err = System.err;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        System.setErr(new PrintStream(copy, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 500; i++) {
                router.handleDelivery("amq.ctag-stray-a", new Envelope(i, false, "", "q"), null, new byte[0]);
                router.handleDelivery("amq.ctag-stray-b", new Envelope(i, false, "", "q"), null, new byte[0]);
            }
        } finally {
            System.setErr(err);
            text = copy.toString(StandardCharsets.UTF_8);
        }
        assertThat(router.unknownDeliveries()).isEqualTo(1000);
        assertThat(text.split("amq.ctag-stray-a", -1)).hasSize(2);
        assertThat(text.split("amq.ctag-stray-b", -1)).hasSize(2);
    }
}
