package dev.warren;

import static dev.warren.TestSupport.awaitNoAmqpThreads;
import static dev.warren.TestSupport.awaitParkedIn;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.internal.Scope;
import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** An operator closes the connection (320 CONNECTION_FORCED) while work is pending on three channels. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class ForcedCloseTest {
    private static final int CHANNELS = 3;

    /** What one channel had pending when the connection was closed. */
    private record Pending(BlockingChannel channel, List<Subtask<?>> sleepers, Subtask<?> slotHolder,
            List<Subtask<?>> queuedDeclares, CompletableFuture<Throwable> queuedOutsider,
            CompletableFuture<Throwable> awaitingOutsider, List<Thread> outsiders) {}

    @Test
    void forcedConnectionCloseFailsEverythingPendingOnEveryChannelWith320(RabbitBroker broker, BrokerAdmin admin)
            throws Exception {
        int threadsBefore = Scope.liveThreads();
        String name = unique("forced");
        String reason = "warren test closes " + name;
        BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withConnectionName(name));
        List<Pending> pending = new ArrayList<>();
        try {
            for (int c = 0; c < CHANNELS; c++) {
                pending.add(startWork(conn.openChannel()));
            }
            assertThat(admin.closeConnection(name, reason)).isEqualTo(1);

            Consumer<Throwable> forced = e -> {
                assertThat(e).isInstanceOf(ConnectionClosedException.class);
                ConnectionClosedException c = (ConnectionClosedException) e;
                assertThat(c.replyCode()).isEqualTo(320);
                assertThat(c.replyText()).startsWith("CONNECTION_FORCED").contains(reason);
                assertThat(c.initiatedByBroker()).isTrue();
                assertThat(c.failedMethod()).isNull();
                assertThat(c.connectionName()).isEqualTo(name);
            };
            for (Pending p : pending) {
                BlockingChannel ch = p.channel();
                assertThatThrownBy(ch::join).satisfies(forced);
                assertThat(p.sleepers()).allSatisfy(s -> assertThat(s.exception()).isInstanceOf(InterruptedException.class));
                assertThat(p.slotHolder().exception()).satisfies(forced);
                assertThat(p.queuedDeclares()).allSatisfy(s -> assertThat(s.exception()).satisfies(forced));
                assertThat(p.queuedOutsider().get(10, TimeUnit.SECONDS)).satisfies(forced);
                assertThat(p.awaitingOutsider().get(10, TimeUnit.SECONDS)).satisfies(forced);
                for (Thread t : p.outsiders()) {
                    assertThat(t.join(Duration.ofSeconds(10))).isTrue();
                }
                assertThat(ch.context().pendingCount()).isZero();
                assertThat(ch.isOpen()).isFalse();
                // Later calls fail at once.
                assertThatThrownBy(() -> ch.queueDeclare(QueueSpec.serverNamed())).satisfies(forced);
                assertThatThrownBy(() -> ch.fork(() -> 1)).satisfies(forced);
            }
            assertThat(Scope.liveThreads()).isEqualTo(threadsBefore);
            assertThat(conn.isOpen()).isFalse();
            assertThatThrownBy(conn::openChannel).satisfies(forced);
            for (Pending p : pending) {
                p.channel().close();
                p.channel().close();
            }
        } finally {
            conn.close();
        }
        conn.close();
        awaitNoAmqpThreads();
    }

    @Test
    void connectionCloseAfterTheConnectionWasLostWaitsForTheSubtasksOfItsChannels(RabbitBroker broker) throws Exception {
        int threadsBefore = Scope.liveThreads();
        BlockingConnection conn = Warren.connect(broker.uri());
        List<Subtask<?>> lingering = new ArrayList<>();
        CountDownLatch asleep = new CountDownLatch(CHANNELS);
        for (int c = 0; c < CHANNELS; c++) {
            BlockingChannel ch = conn.openChannel();
            // A subtask whose cleanup takes a while after it is cancelled.
            lingering.add(ch.fork(() -> {
                try {
                    asleep.countDown();
                    Thread.sleep(Duration.ofDays(1));
                } finally {
                    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
                    while (System.nanoTime() < until) {
                        try {
                            Thread.sleep(Duration.ofMillis(10));
                        } catch (InterruptedException ignored) {
                            // Cleanup goes on.
                        }
                    }
                }
                return null;
            }));
        }
        asleep.await();
        // The connection is lost (as the broker or the network would do it, without rabbitmqctl).
        conn.unwrap().abort();
        assertThat(conn.isOpen()).isFalse();
        conn.close();
        assertThat(lingering).allSatisfy(s -> assertThat(s.state()).isEqualTo(Subtask.State.FAILED));
        assertThat(Scope.liveThreads()).isEqualTo(threadsBefore);
    }

    /**
     * On {@code ch}: an owner-forked sleeper, a sleeper forked by a subtask (and that subtask,
     * asleep too), a subtask holding the FIFO slot in an uninterruptible amqp-client call that
     * ends only with the close, two subtasks and one other thread queued behind it in
     * queue.declare, and another thread waiting on an operation of the pending registry.
     */
    private static Pending startWork(BlockingChannel ch) throws InterruptedException {
        CountDownLatch asleep = new CountDownLatch(3);
        List<Subtask<?>> sleepers = new ArrayList<>();
        sleepers.add(ch.fork(() -> {
            asleep.countDown();
            Thread.sleep(Duration.ofDays(1));
            return null;
        }));
        AtomicReference<Subtask<?>> grandchild = new AtomicReference<>();
        CountDownLatch forked = new CountDownLatch(1);
        sleepers.add(ch.fork(() -> {
            grandchild.set(ch.fork(() -> {
                asleep.countDown();
                Thread.sleep(Duration.ofDays(1));
                return null;
            }));
            forked.countDown();
            asleep.countDown();
            Thread.sleep(Duration.ofDays(1));
            return null;
        }));
        forked.await();
        sleepers.add(grandchild.get());
        asleep.await();

        CompletableFuture<Void> closed = new CompletableFuture<>();
        ch.context().onClose(c -> closed.complete(null));
        CountDownLatch held = new CountDownLatch(1);
        Subtask<?> holder = ch.fork(() -> ch.context().holdingSlot(() -> {
            held.countDown();
            closed.join(); // like amqp-client's own RPC wait: deaf to interrupts, ended by the close
            throw new IOException(ch.unwrap().getCloseReason());
        }));
        held.await();

        java.util.Queue<Thread> declarers = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<Subtask<?>> declares = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            declares.add(ch.fork(() -> {
                declarers.add(Thread.currentThread());
                return ch.queueDeclare(QueueSpec.serverNamed());
            }));
        }
        TestSupport.awaitTrue(() -> declarers.size() == 2, Duration.ofSeconds(10));
        declarers.forEach(t -> awaitParkedIn(t, "acquireSlot"));

        CompletableFuture<Throwable> queuedOutsider = new CompletableFuture<>();
        Thread q = Thread.ofVirtual().start(() -> queuedOutsider.complete(
                TestSupport.caught(() -> ch.queueDeclare(QueueSpec.serverNamed()))));
        awaitParkedIn(q, "acquireSlot");
        CompletableFuture<Throwable> awaitingOutsider = new CompletableFuture<>();
        Thread a = Thread.ofVirtual().start(() -> awaitingOutsider.complete(
                TestSupport.caught(() -> ch.context().await(new CompletableFuture<>()))));
        awaitParkedIn(a, "await");
        return new Pending(ch, sleepers, holder, declares, queuedOutsider, awaitingOutsider, List.of(q, a));
    }

}
