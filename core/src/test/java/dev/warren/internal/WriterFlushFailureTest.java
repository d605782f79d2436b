package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.impl.FrameHandler;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A flush that fails at the end of the writer's burst loses frames of every channel that wrote in
 * it: the writer closes the socket, so that the connection ends and fails whoever waits.
 */
@Timeout(10)
class WriterFlushFailureTest {

    @Test
    void aFailedBurstFlushClosesTheSocketAndIsRecordedAsTheCause() throws Exception {
        Writer writer = new Writer("flush-failure-writer");
        try {
            IOException broken = new IOException("Broken pipe");
            CountDownLatch closed = new CountDownLatch(1);
            FrameHandler socket = (FrameHandler) Proxy.newProxyInstance(FrameHandler.class.getClassLoader(),
                    new Class<?>[] {FrameHandler.class}, (proxy, m, args) -> switch (m.getName()) {
                        case "flush" -> throw broken;
                        case "close" -> {
                            closed.countDown();
                            yield null;
                        }
                        default -> null;
                    });
            FrameHandler handler = writer.flushingInBursts(socket);
            // As amqp-client does: each command written is flushed, here on the writer thread.
            AtomicReference<Throwable> writeFailure = new AtomicReference<>();
            Channel raw = channel(() -> {
                try {
                    handler.flush(null);
                } catch (IOException e) {
                    writeFailure.set(e);
                }
            });
            ChannelContext ctx = new ChannelContext(raw, "test", writer, Duration.ofSeconds(30));
            ctx.startRpc(new AMQP.Queue.Declare.Builder().queue("q").build());

            assertThat(closed.await(5, TimeUnit.SECONDS)).as("the socket is closed").isTrue();
            assertThat(writer.lostBecause()).isSameAs(broken);
            assertThat(writeFailure.get()).as("the command's own flush was deferred").isNull();
        } finally {
            writer.stop();
        }
    }

    /** A channel whose asynchronous methods run {@code onWrite} and never get a reply. */
    private static Channel channel(Runnable onWrite) {
        Connection connection = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "getFrameMax" -> 0;
                    default -> null;
                });
        return (Channel) Proxy.newProxyInstance(Channel.class.getClassLoader(), new Class<?>[] {Channel.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "isOpen" -> true;
                    case "getChannelNumber" -> 1;
                    case "getConnection" -> connection;
                    case "asyncCompletableRpc" -> {
                        onWrite.run();
                        yield new CompletableFuture<Command>();
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> null;
                });
    }
}
