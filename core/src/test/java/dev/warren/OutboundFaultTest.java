package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The outbound path under network faults made on purpose with the test proxy: a frozen network
 * while a write is stuck, interrupts while the socket's send buffer is full, and synchronous
 * methods whose replies do not come.
 */
@ExtendWith(RabbitExtension.class)
@Timeout(90)
class OutboundFaultTest {
    private static final Duration HEARTBEAT = Duration.ofSeconds(2);

    @Test
    void missedHeartbeatsEndEveryBlockedCallWithinTwoIntervalsWhileAWriteIsStuck(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            BlockingConnection conn = Warren.connect(ConnectionOptions.of(proxy.uri(broker.uri()))
                    .withHeartbeat(HEARTBEAT).withPublishTimeout(Duration.ofSeconds(60)));
            BlockingChannel ch = conn.openChannel();
            String q = ch.queueDeclare(QueueSpec.named(unique("frozen")).durable(false).autoDelete(true)).name();
            String idle = ch.queueDeclare(QueueSpec.named(unique("idle")).durable(false).autoDelete(true)).name();
            Subscription nothing = ch.consume(idle);
            byte[] big = new byte[1 << 20];
            AtomicInteger confirmed = new AtomicInteger();
            List<CompletableFuture<Throwable>> ends = new ArrayList<>();
            List<CompletableFuture<Long>> endedAt = new ArrayList<>();
            TestSupport.Action publishing = () -> {
                while (true) {
                    ch.publish("", q, big);
                    confirmed.incrementAndGet();
                }
            };
            for (int i = 0; i < 8; i++) {
                watch(ends, endedAt, publishing);
            }
            assertThat(TestSupport.awaitTrue(() -> confirmed.get() >= 8, Duration.ofSeconds(20))).isTrue();
            watch(ends, endedAt, nothing::take);
            proxy.pause();
            long pausedAt = System.nanoTime();
            // Sent after the pause, far more than the socket buffers hold: the writer gets stuck.
            for (int i = 0; i < 24; i++) {
                watch(ends, endedAt, publishing);
            }
            assertThat(TestSupport.awaitTrue(OutboundFaultTest::aWriteIsStuck, Duration.ofSeconds(5)))
                    .as("the writer is stuck in a socket write").isTrue();
            watch(ends, endedAt, () -> ch.queueDeclare(QueueSpec.serverNamed()));
            for (int i = 0; i < ends.size(); i++) {
                Throwable e = ends.get(i).get(20, TimeUnit.SECONDS);
                assertThat(e).isInstanceOfSatisfying(ConnectionClosedException.class,
                        c -> assertThat(c.replyText()).startsWith("missed heartbeats"));
                long afterPause = endedAt.get(i).get() - pausedAt;
                assertThat(Duration.ofNanos(afterPause)).as("ended after the pause")
                        .isLessThanOrEqualTo(HEARTBEAT.multipliedBy(2).plusMillis(500));
            }
            long closing = System.nanoTime();
            ch.close();
            conn.close();
            assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void interruptsWhileTheSendBufferIsFullLeaveTheConnectionOpen(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
                BlockingConnection conn = Warren.connect(proxy.uri(broker.uri()))) {
            BlockingChannel publishing = conn.openChannel();
            BlockingChannel handling = conn.openChannel();
            BlockingChannel serving = conn.openChannel();
            BlockingChannel calling = conn.openChannel();
            BlockingChannel settling = conn.openChannel();
            String sink = publishing.queueDeclare(QueueSpec.named(unique("sink")).durable(false).autoDelete(true)).name();
            String work = handling.queueDeclare(QueueSpec.named(unique("work")).durable(false).autoDelete(true)).name();
            String rpc = serving.queueDeclare(QueueSpec.named(unique("rpc")).durable(false).autoDelete(true)).name();
            String acks = settling.queueDeclare(QueueSpec.named(unique("acks")).durable(false).autoDelete(true)).name();
            for (int i = 0; i < 4; i++) {
                handling.publish("", work, Message.text("job " + i));
            }
            for (int i = 0; i < 200; i++) {
                settling.publish("", acks, Message.text("ack me " + i));
            }
            AtomicBoolean stop = new AtomicBoolean();
            Set<Thread> publishers = ConcurrentHashMap.newKeySet();
            Set<Thread> handlers = ConcurrentHashMap.newKeySet();
            Set<Thread> servers = ConcurrentHashMap.newKeySet();
            Set<Thread> settlers = ConcurrentHashMap.newKeySet();
            AtomicInteger published = new AtomicInteger();
            byte[] body = new byte[512 * 1024];
            Runnable startPublisher = () -> publishing.fork(() -> {
                publishers.add(Thread.currentThread());
                while (!stop.get()) {
                    try {
                        publishing.publish("", sink, body);
                        published.incrementAndGet();
                    } catch (InterruptedException e) {
                        // What a cancelled publisher sees; the next publish goes on.
                    }
                }
                return null;
            });
            for (int i = 0; i < 4; i++) {
                startPublisher.run();
            }
            Subscription jobs = handling.consume(work);
            handling.fork(() -> {
                jobs.handle(4, d -> deafSleep(handlers, stop));
                return null;
            });
            serving.fork(() -> {
                serving.serve(rpc, request -> {
                    deafSleep(servers, stop);
                    return Message.text("answer");
                });
                return null;
            });
            for (int i = 0; i < 2; i++) {
                calling.fork(() -> calling.call("", rpc, Message.text("question"), Duration.ofSeconds(60)));
            }
            Subscription toAck = settling.consume(acks);
            Thread settler = Thread.ofVirtual().start(() -> {
                settlers.add(Thread.currentThread());
                while (!stop.get()) {
                    try {
                        toAck.take().ack();
                    } catch (InterruptedException | ClosedException | IllegalStateException e) {
                        // Interrupted while settling or taking: go on.
                    }
                }
            });
            try {
                assertThat(TestSupport.awaitTrue(() -> published.get() >= 4 && handlers.size() == 4
                        && servers.size() == 2, Duration.ofSeconds(20))).as("everything runs").isTrue();
                proxy.pause();
                // Messages sent after the pause, far more than the socket buffers hold: the
                // writer gets stuck in a write.
                for (int i = 0; i < 40; i++) {
                    startPublisher.run();
                }
                interruptWhileStuck(published, publishers, handlers, servers, settlers);
            } finally {
                // Also when an assertion failed: the deaf handlers and publishers must end, or the
                // channels' close would wait for them for good.
                proxy.resume();
                stop.set(true);
                handlers.forEach(Thread::interrupt);
                servers.forEach(Thread::interrupt);
                settler.interrupt();
            }
            settler.join();
            assertThat(conn.isOpen()).isTrue();
            for (BlockingChannel ch : List.of(publishing, handling, serving, calling, settling)) {
                assertThat(ch.isOpen()).as("%s", ch).isTrue();
                ch.publish("", sink, Message.text("still works"));
                assertThat(ch.queueDeclarePassive(sink).name()).isEqualTo(sink);
            }
            jobs.close();
            toAck.close();
            calling.join();
        }
    }

    private static void interruptWhileStuck(AtomicInteger published, Set<Thread> publishers, Set<Thread> handlers,
            Set<Thread> servers, Set<Thread> settlers) {
            assertThat(TestSupport.awaitTrue(OutboundFaultTest::aWriteIsStuck, Duration.ofSeconds(10)))
                    .as("the writer is stuck in a socket write; published %s; threads %s", published.get(),
                            writerStacks()).isTrue();
            for (Set<Thread> group : List.of(publishers, handlers, servers, settlers)) {
                List<Thread> threads = List.copyOf(group);
                for (int i = 0; i < 100; i++) {
                    threads.get(i % threads.size()).interrupt();
                    Thread.onSpinWait();
                }
            }
    }

    @Test
    void aStalledConsumeAbortsItsChannelAtTheOperationTimeout(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
                BlockingConnection conn = Warren.connect(ConnectionOptions.of(proxy.uri(broker.uri()))
                        .withOperationTimeout(Duration.ofSeconds(1)))) {
            BlockingChannel ch = conn.openChannel();
            String q = ch.queueDeclare(QueueSpec.named(unique("stalled")).durable(false).autoDelete(false)).name();
            proxy.pause();
            long start = System.nanoTime();
            assertThatThrownBy(() -> ch.consume(q, ConsumeOptions.defaults().withAutoAck(true)))
                    .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                        assertThat(e.initiatedByBroker()).isFalse();
                        assertThat(e.failedMethod()).isEqualTo("basic.consume");
                        assertThat(e.replyText()).contains("client-side timeout");
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(ch.isOpen()).isFalse();
            assertThat(ch.context().pendingCount()).isZero();
            proxy.resume();
            assertNextChannelWorks(conn, q);
            try (BlockingChannel cleanup = conn.openChannel()) {
                cleanup.queueDelete(q);
            }
        }
    }

    @Test
    void aStalledCancelAbortsItsChannelAndTheSubscriptionsCloseStaysQuiet(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
                BlockingConnection conn = Warren.connect(ConnectionOptions.of(proxy.uri(broker.uri()))
                        .withOperationTimeout(Duration.ofSeconds(1)))) {
            BlockingChannel ch = conn.openChannel();
            String q = ch.queueDeclare(QueueSpec.named(unique("stalled")).durable(false).autoDelete(false)).name();
            Subscription sub = ch.consume(q);
            proxy.pause();
            long start = System.nanoTime();
            sub.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(ch.context().closedCause()).isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                assertThat(e.initiatedByBroker()).isFalse();
                assertThat(e.failedMethod()).isEqualTo("basic.cancel");
            });
            proxy.resume();
            assertNextChannelWorks(conn, q);
            try (BlockingChannel cleanup = conn.openChannel()) {
                cleanup.queueDelete(q);
            }
        }
    }

    private static void assertNextChannelWorks(BlockingConnection conn, String q) throws Exception {
        try (BlockingChannel next = conn.openChannel()) {
            next.publish("", q, Message.text("next"));
            assertThat(next.get(q)).hasValueSatisfying(d -> {
                assertThat(d.bodyAsString()).isEqualTo("next");
                d.ack();
            });
        }
        assertThat(conn.isOpen()).isTrue();
    }

    /** A handler that keeps sleeping through interrupts until told to stop. */
    private static void deafSleep(Set<Thread> registry, AtomicBoolean stop) {
        registry.add(Thread.currentThread());
        while (!stop.get()) {
            try {
                Thread.sleep(Duration.ofDays(1));
            } catch (InterruptedException e) {
                // Counted by the test as one interrupt that must do no harm.
            }
        }
    }

    private static String writerStacks() {
        StringBuilder sb = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, st) -> {
            if (t.getName().contains("writer")) {
                sb.append(t.getName()).append(' ').append(t.getState()).append(Arrays.toString(st)).append('\n');
            }
        });
        return sb.toString();
    }

    /** Whether Warren's writer thread is blocked in a socket write. */
    private static boolean aWriteIsStuck() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().contains("writer"))
                .anyMatch(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().contains("Socket")
                        && f.getMethodName().toLowerCase(java.util.Locale.ROOT).contains("write")));
    }

    /** Runs {@code a} on a virtual thread and records what it ended with, and when. */
    private static void watch(List<CompletableFuture<Throwable>> ends, List<CompletableFuture<Long>> at,
            TestSupport.Action a) {
        CompletableFuture<Throwable> end = new CompletableFuture<>();
        CompletableFuture<Long> when = new CompletableFuture<>();
        ends.add(end);
        at.add(when);
        Thread.ofVirtual().start(() -> {
            Throwable t = TestSupport.caught(a);
            when.complete(System.nanoTime());
            end.complete(t);
        });
    }
}
