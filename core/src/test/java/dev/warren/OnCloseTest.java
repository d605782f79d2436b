package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code onClose} listeners: once, in a virtual thread, for every kind of close. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class OnCloseTest {

    /** What a listener saw: the close and the thread it ran in. */
    private record Heard(ClosedException close, Thread thread) {}

    private static CompletableFuture<Heard> listen(java.util.function.Consumer<java.util.function.Consumer<ClosedException>> on) {
        CompletableFuture<Heard> heard = new CompletableFuture<>();
        on.accept(c -> heard.complete(new Heard(c, Thread.currentThread())));
        return heard;
    }

    private static Heard await(CompletableFuture<Heard> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    @Test
    void channelClosedByTheBrokerTellsItsListenerInAVirtualThread(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            BlockingChannel ch = conn.openChannel();
            CompletableFuture<Heard> heard = listen(ch::onClose);
            AtomicInteger calls = new AtomicInteger();
            ch.onClose(c -> calls.incrementAndGet());
            try {
                ch.queueDeclarePassive(TestQueues.unique("missing"));
            } catch (ChannelClosedException expected) {
                // 404: the broker closes the channel
            }
            Heard h = await(heard);
            assertThat(h.close()).isInstanceOf(ChannelClosedException.class);
            assertThat(h.close().replyCode()).isEqualTo(404);
            assertThat(h.close().initiatedByBroker()).isTrue();
            assertThat(h.thread().isVirtual()).isTrue();
            assertThat(h.thread().getName()).doesNotStartWith(TestSupport.AMQP_THREAD_PREFIX);
            ch.close();
            TestSupport.awaitTrue(() -> calls.get() > 0, java.time.Duration.ofSeconds(10));
            assertThat(calls).hasValue(1); // the application's close after the broker's adds none
        }
    }

    @Test
    void applicationCloseOfAChannelTellsItsListenerWith200(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            BlockingChannel ch = conn.openChannel();
            CompletableFuture<Heard> heard = listen(ch::onClose);
            ch.close();
            Heard h = await(heard);
            assertThat(h.close()).isInstanceOf(ChannelClosedException.class);
            assertThat(h.close().replyCode()).isEqualTo(200);
            assertThat(h.close().initiatedByBroker()).isFalse();
            assertThat(h.thread().isVirtual()).isTrue();
        }
    }

    @Test
    void listenerAddedAfterTheChannelClosedRunsAtOnce(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            BlockingChannel ch = conn.openChannel();
            ch.close();
            Heard h = await(listen(ch::onClose));
            assertThat(h.close().replyCode()).isEqualTo(200);
            assertThat(h.thread().isVirtual()).isTrue();
            assertThat(h.thread()).isNotSameAs(Thread.currentThread());
        }
    }

    @Test
    void connectionForceClosedByNameTellsConnectionAndChannelListeners(RabbitBroker broker, BrokerAdmin admin)
            throws Exception {
        String name = TestSupport.unique("on-close");
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withConnectionName(name))) {
            BlockingChannel ch = conn.openChannel();
            CompletableFuture<Heard> connHeard = listen(conn::onClose);
            CompletableFuture<Heard> chHeard = listen(ch::onClose);
            assertThat(admin.closeConnection(name, "warren test closes " + name)).isEqualTo(1);
            Heard c = await(connHeard);
            assertThat(c.close()).isInstanceOf(ConnectionClosedException.class);
            assertThat(c.close().replyCode()).isEqualTo(320);
            assertThat(c.close().initiatedByBroker()).isTrue();
            assertThat(c.thread().isVirtual()).isTrue();
            Heard h = await(chHeard);
            assertThat(h.close()).isInstanceOf(ConnectionClosedException.class);
            assertThat(h.close().replyCode()).isEqualTo(320);
        }
    }

    @Test
    void applicationCloseOfAConnectionTellsItsListenerOnceWith200(RabbitBroker broker) throws Exception {
        BlockingConnection conn = Warren.connect(broker.uri());
        AtomicInteger calls = new AtomicInteger();
        conn.onClose(c -> calls.incrementAndGet());
        CompletableFuture<Heard> heard = listen(conn::onClose);
        conn.close();
        Heard h = await(heard);
        assertThat(h.close()).isInstanceOf(ConnectionClosedException.class);
        assertThat(h.close().replyCode()).isEqualTo(200);
        assertThat(h.close().initiatedByBroker()).isFalse();
        assertThat(h.thread().isVirtual()).isTrue();
        conn.close();
        // A late listener is a marker: once it ran, the first listener ran too, and only once.
        await(listen(conn::onClose));
        TestSupport.awaitTrue(() -> calls.get() > 0, java.time.Duration.ofSeconds(10));
        assertThat(calls).hasValue(1);
    }

    @Test
    void listenerAddedAfterTheConnectionClosedRunsAtOnce(RabbitBroker broker) throws Exception {
        BlockingConnection conn = Warren.connect(broker.uri());
        conn.close();
        Heard h = await(listen(conn::onClose));
        assertThat(h.close().replyCode()).isEqualTo(200);
        assertThat(h.thread().isVirtual()).isTrue();
    }

    @Test
    void aBlockingListenerDoesNotHoldUpTheReaderThread(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            BlockingChannel ch = conn.openChannel();
            java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
            ch.onClose(c -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                ch.queueDeclarePassive(TestQueues.unique("missing"));
            } catch (ChannelClosedException expected) {
                // 404
            }
            // The reader thread is free: another channel of the same connection still works.
            try (BlockingChannel other = conn.openChannel()) {
                assertThat(other.queueDeclare(QueueSpec.serverNamed()).name()).startsWith("amq.gen-");
            } finally {
                never.countDown();
            }
        }
    }
}
