package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A broker that confirms a delivery tag never sent (a proxy rewrites its first basic.ack): the
 * reader must not loop on it, and the connection is closed as a protocol error, with a typed
 * cause, instead of leaving publishes to hang.
 */
@ExtendWith(RabbitExtension.class)
class CraftedAckTest {

    private static Throwable publishThroughAProxyThatRewritesTheFirstAck(RabbitBroker broker, long tag,
            boolean multiple) throws Exception {
        AtomicBoolean rewritten = new AtomicBoolean();
        try (FrameRewritingProxy proxy = new FrameRewritingProxy(broker.uri(),
                p -> FrameRewritingProxy.isBasicAck(p) && rewritten.compareAndSet(false, true)
                        ? FrameRewritingProxy.basicAck(tag, multiple) : p);
             BlockingConnection conn = Warren.connect(ConnectionOptions.of(proxy.uri(broker.uri()))
                     .withConnectionName(unique("crafted-ack")));
             BlockingChannel ch = conn.openChannel()) {
            Throwable t = TestSupport.caught(() -> ch.publish("", unique("nowhere"), Message.text("x")));
            assertThat(rewritten).isTrue();
            assertThat(TestSupport.awaitTrue(() -> !conn.isOpen(), Duration.ofSeconds(5))).isTrue();
            return t;
        }
    }

    /** Before: the loop up to Long.MAX_VALUE overflowed and spun on the reader thread for ever. */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void multipleAckWithAHugeTagClosesTheConnectionAsAProtocolError(RabbitBroker broker) throws Exception {
        Throwable t = publishThroughAProxyThatRewritesTheFirstAck(broker, Long.MAX_VALUE, true);
        assertThat(t).isInstanceOf(ConnectionClosedException.class).hasRootCauseInstanceOf(ProtocolException.class);
        ConnectionClosedException c = (ConnectionClosedException) t;
        assertThat(c.replyCode()).isEqualTo(503);
        assertThat(c.failedMethod()).isEqualTo("basic.ack");
        assertThat(c.replyText()).contains("delivery tag " + Long.MAX_VALUE);
    }

    /** Before: the ack settled nothing and the publish waited for ever. */
    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void singleAckBeyondTheLastTagSentClosesTheConnectionAsAProtocolError(RabbitBroker broker) throws Exception {
        Throwable t = publishThroughAProxyThatRewritesTheFirstAck(broker, 2, false);
        assertThat(t).isInstanceOf(ConnectionClosedException.class).hasRootCauseInstanceOf(ProtocolException.class);
        assertThat(((ConnectionClosedException) t).replyCode()).isEqualTo(503);
    }
}
