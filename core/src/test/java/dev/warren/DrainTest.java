package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.internal.SubscriptionImpl;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Graceful drain: {@link Subscription#cancel()} and {@link BlockingConnection#close(Duration)}. */
@ExtendWith(RabbitExtension.class)
@Timeout(90)
class DrainTest {
    private static final Logger LOG = LoggerFactory.getLogger(DrainTest.class);

    private RabbitBroker broker;
    private TestQueues queues;
    private BlockingConnection conn;

    @BeforeEach
    void setUp(RabbitBroker broker) throws Exception {
        this.broker = broker;
        queues = new TestQueues(broker);
        conn = Warren.connect(broker.uri());
    }

    @AfterEach
    void tearDown() throws Exception {
        conn.close();
        queues.close();
    }

    private static void awaitBuffered(Subscription s, int n) {
        assertThat(TestSupport.awaitTrue(() -> ((SubscriptionImpl) s).buffered() == n, Duration.ofSeconds(10)))
                .as("%d deliveries buffered", n).isTrue();
    }

    @Test
    void cancelHandsOutWhatIsBufferedThenIterationEnds() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-iter")));
        queues.publishNumbered(q, "m", 10);
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(10));
        awaitBuffered(sub, 10);

        sub.cancel();
        assertThat(sub.isActive()).isFalse();
        // Cancelled: a message published now is not delivered to it.
        queues.publish(q, "after");

        List<String> got = new ArrayList<>();
        for (Delivery d : sub) {
            got.add(d.bodyAsString());
            d.ack();
        }
        assertThat(got).hasSize(10).first().isEqualTo("m0");
        assertThatThrownBy(sub::take).isInstanceOf(IllegalStateException.class).hasMessageContaining("drained");
        assertThatThrownBy(() -> sub.poll(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
        sub.close();
        assertThat(queues.ready(q)).as("only the message published after cancel is left").isEqualTo(1);
    }

    @Test
    void cancelWakesATakerWaitingOnAnEmptyBuffer() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-wake")));
        Subscription sub = ch.consume(q);
        CompletableFuture<Throwable> taker = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> taker.complete(TestSupport.caught(sub::take)));
        TestSupport.awaitParkedIn(t, "awaitNext");
        sub.cancel();
        assertThat(taker.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class);
        sub.close();
    }

    @Test
    void handleReturnsAfterCancelOnceItsHandlersHaveSettled() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-handle")));
        queues.publishNumbered(q, "m", 20);
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(20));
        CountDownLatch fourRunning = new CountDownLatch(4);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger handled = new AtomicInteger();
        Subtask<String> handling = ch.fork(() -> {
            sub.handle(4, d -> {
                fourRunning.countDown();
                release.await();
                handled.incrementAndGet();
            });
            return "returned";
        });
        assertThat(fourRunning.await(10, TimeUnit.SECONDS)).isTrue();
        sub.cancel();
        release.countDown();
        ch.join();
        assertThat(handling.get()).isEqualTo("returned");
        assertThat(handled).hasValue(20);
        sub.close();
        assertThat(queues.ready(q)).isZero();
    }

    @Test
    void serveReturnsAfterCancel() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-serve")));
        Subscription requests = ch.consume(q);
        Subtask<String> serving = ch.fork(() -> {
            ch.serve(requests, ServeOptions.defaults(), r -> Message.text("pong"));
            return "returned";
        });
        try (BlockingConnection client = Warren.connect(broker.uri());
                BlockingChannel cc = client.openChannel()) {
            assertThat(cc.call("", q, Message.text("ping"), Duration.ofSeconds(10)).bodyAsString()).isEqualTo("pong");
        }
        requests.cancel();
        ch.join();
        assertThat(serving.get()).isEqualTo("returned");
        requests.close();
    }

    /**
     * The drain: 100 prefetched deliveries, 16 of them in running handlers, the other 84
     * buffered, when the connection is closed with a grace. Every delivery handed out is acked,
     * none is lost or redelivered, and the handlers' own publishes (one per delivery) are confirmed.
     */
    @Test
    void drainOf100PrefetchedWith16RunningHandlersLosesAndRedeliversNone() throws Exception {
        int total = 300;
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-in")));
        String out = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-out")));
        queues.publishNumbered(q, "m", total);
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(100));
        CountDownLatch sixteenRunning = new CountDownLatch(16);
        CountDownLatch release = new CountDownLatch(1);
        Set<String> handedOut = ConcurrentHashMap.newKeySet();
        AtomicInteger redelivered = new AtomicInteger();
        AtomicInteger acked = new AtomicInteger();
        AtomicInteger published = new AtomicInteger();
        ch.fork(() -> {
            sub.handle(16, d -> {
                handedOut.add(d.bodyAsString());
                if (d.redelivered()) {
                    redelivered.incrementAndGet();
                }
                sixteenRunning.countDown();
                release.await();
                // A running handler may still publish what its work produces while the connection drains.
                ch.publish("", out, Message.text("done " + d.bodyAsString()));
                published.incrementAndGet();
                d.ack();
                acked.incrementAndGet();
            });
        });
        assertThat(sixteenRunning.await(10, TimeUnit.SECONDS)).isTrue();
        awaitBuffered(sub, 84);

        CompletableFuture<DrainReport> closing = CompletableFuture.supplyAsync(
                () -> conn.close(Duration.ofSeconds(30)), r -> Thread.ofVirtual().start(r));
        // Cancelled (no more deliveries) while the handlers are still held: the drain is under way.
        assertThat(TestSupport.awaitTrue(() -> !sub.isActive(), Duration.ofSeconds(10))).isTrue();
        // From a thread that neither owns a channel nor is a subtask of one (this one owns ch).
        CompletableFuture<Throwable> outside = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> outside.complete(
                TestSupport.caught(() -> ch.publish("", out, Message.text("from outside")))));
        assertThat(outside.get(10, TimeUnit.SECONDS))
                .as("a publish from a thread outside the running work is refused while draining")
                .isInstanceOf(ConnectionClosedException.class).hasMessageContaining("closing gracefully");
        release.countDown();
        DrainReport report = closing.get(60, TimeUnit.SECONDS);

        assertThat(report.complete()).as(report.toString()).isTrue();
        assertThat(report.subscriptionsCancelled()).isEqualTo(1);
        assertThat(report.deliveriesRequeued()).isZero();
        assertThat(handedOut).hasSize(100);
        assertThat(acked).hasValue(100);
        assertThat(published).hasValue(100);
        assertThat(redelivered).hasValue(0);

        // What was never handed out is still in the queue, never delivered (so not redelivered either).
        List<String> rest = new ArrayList<>();
        AtomicInteger restRedelivered = new AtomicInteger();
        try (BlockingConnection after = Warren.connect(broker.uri()); BlockingChannel ac = after.openChannel()) {
            for (var d = ac.get(q); d.isPresent(); d = ac.get(q)) {
                rest.add(d.get().bodyAsString());
                if (d.get().redelivered()) {
                    restRedelivered.incrementAndGet();
                }
                d.get().ack();
            }
            assertThat(ac.queueDeclarePassive(out).messageCount()).as("the handlers' publishes, all confirmed")
                    .isEqualTo(100);
        }
        assertThat(rest).hasSize(total - 100).doesNotContainAnyElementsOf(handedOut);
        assertThat(restRedelivered).hasValue(0);
        LOG.info("drained shutdown: prefetched 100 ({} running, 84 buffered); handed out {}, acked {}, requeued {},"
                + " redelivered {}; handler publishes confirmed {}; left in the queue {} (never delivered); {}",
                16, handedOut.size(), acked.get(), report.deliveriesRequeued(), redelivered.get() + restRedelivered.get(),
                published.get(), rest.size(), report);
    }

    @Test
    void bufferedDeliveriesNobodyTakesAreRequeuedAndCounted() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-idle")));
        queues.publishNumbered(q, "m", 7);
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(10));
        awaitBuffered(sub, 7);
        DrainReport report = conn.close(Duration.ofSeconds(5));
        assertThat(report.deliveriesRequeued()).isEqualTo(7);
        assertThat(report.complete()).isTrue();
        assertThat(queues.ready(q)).isEqualTo(7);
    }

    @Test
    void handlerStillRunningAtTheEndOfTheGraceIsReportedAndCancelled() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-stuck")));
        queues.publishNumbered(q, "m", 1);
        Subscription sub = ch.consume(q);
        CountDownLatch running = new CountDownLatch(1);
        ch.fork(() -> sub.handle(1, d -> {
            running.countDown();
            Thread.sleep(Duration.ofDays(1));
        }));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        DrainReport report = conn.close(Duration.ofMillis(200));
        assertThat(report.complete()).isFalse();
        // The subtask running handle() and the handler it forked.
        assertThat(report.handlersRunning()).isEqualTo(2);
        assertThat(report.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(TestSupport.awaitTrue(() -> {
            try {
                return queues.ready(q) == 1;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofSeconds(10))).as("the cut-off handler's delivery is requeued by the broker").isTrue();
    }

    /**
     * Publishes in flight (sent, not confirmed: the proxy holds the confirms) when the drain
     * starts are all confirmed before the connection closes; none returns silently.
     */
    @Test
    void publishesInFlightAtCloseAreConfirmedWithinTheGrace() throws Exception {
        int publishers = 50;
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            InFlight f = inFlight(proxy, "drain-pub", publishers);
            BlockingConnection viaProxy = f.conn();
            String q = f.queue();
            List<CompletableFuture<Throwable>> outcomes = f.outcomes();
            CompletableFuture<DrainReport> closing = CompletableFuture.supplyAsync(
                    () -> viaProxy.close(Duration.ofSeconds(30)), r -> Thread.ofVirtual().start(r));
            assertThat(TestSupport.awaitTrue(viaProxy::isDraining, Duration.ofSeconds(10))).isTrue();
            proxy.resume();
            DrainReport report = closing.get(60, TimeUnit.SECONDS);
            assertThat(report.publishesUnconfirmed()).isZero();
            for (CompletableFuture<Throwable> o : outcomes) {
                assertThat(o.get(10, TimeUnit.SECONDS)).as("every publish in flight was confirmed").isNull();
            }
            assertThat(queues.ready(q)).isEqualTo(publishers);
            LOG.info("drained shutdown: {} publishes in flight at close(grace), {} confirmed; {}", publishers,
                    publishers, report);
        }
    }

    /** Past the grace, the publishes still unconfirmed fail with the close: loud, never silent. */
    @Test
    void publishesStillUnconfirmedWhenTheGraceEndsFailWithTheClose() throws Exception {
        int publishers = 20;
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            InFlight f = inFlight(proxy, "drain-pub-late", publishers);
            BlockingConnection viaProxy = f.conn();
            BlockingChannel ch = f.ch();
            List<CompletableFuture<Throwable>> outcomes = f.outcomes();
            // The close itself cannot reach the broker either: cut the link once the grace has run out.
            AtomicReference<DrainReport> report = new AtomicReference<>();
            Thread closer = Thread.ofVirtual().start(() -> report.set(viaProxy.close(Duration.ofMillis(300))));
            assertThat(TestSupport.awaitTrue(() -> !outcomesPending(outcomes) || !ch.isOpen(),
                    Duration.ofSeconds(10))).isTrue();
            proxy.cut();
            closer.join();
            assertThat(report.get().publishesUnconfirmed()).isEqualTo(publishers);
            for (CompletableFuture<Throwable> o : outcomes) {
                assertThat(o.get(30, TimeUnit.SECONDS)).isInstanceOf(ClosedException.class);
            }
        }
    }

    /**
     * A robust connection publishes over a connection of its own: its drain waits for those
     * confirms too, and counts what the grace cut off (it counted only the works' connection).
     */
    @Test
    void robustCloseCountsThePublishesStillUnconfirmedOnItsPublishingConnection() throws Exception {
        int publishers = 20;
        List<ConnectionStats> stats = new java.util.concurrent.CopyOnWriteArrayList<>();
        WarrenObserver gauges = new WarrenObserver() {
            @Override
            public void connectionOpened(ConnectionStats s) {
                stats.add(s);
            }
        };
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(proxy.uri(broker.uri()))
                    .withObserver(gauges).withConnectTimeout(Duration.ofSeconds(2))
                    .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(500))));
            String q = TestQueues.unique("drain-robust-pub");
            rc.onConnect(c -> {
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(TestQueues.spec(q));
                }
            });
            rc.publish("", q, Message.text("before the pause"));
            proxy.pause();
            List<CompletableFuture<Throwable>> outcomes = new ArrayList<>();
            for (int i = 0; i < publishers; i++) {
                CompletableFuture<Throwable> outcome = new CompletableFuture<>();
                outcomes.add(outcome);
                Thread.ofVirtual().start(() -> {
                    try {
                        rc.publish("", q, Message.text("held"));
                        outcome.complete(null);
                    } catch (Throwable e) {
                        outcome.complete(e);
                    }
                });
            }
            assertThat(TestSupport.awaitTrue(() -> stats.stream().mapToInt(ConnectionStats::unconfirmedPublishes).sum()
                    == publishers, Duration.ofSeconds(10))).isTrue();
            AtomicReference<DrainReport> report = new AtomicReference<>();
            Thread closer = Thread.ofVirtual().start(() -> report.set(rc.close(Duration.ofMillis(300))));
            assertThat(TestSupport.awaitTrue(() -> outcomes.stream().anyMatch(CompletableFuture::isDone)
                    || !rc.isOpen(), Duration.ofSeconds(10))).isTrue();
            proxy.cut();
            closer.join();
            assertThat(report.get().publishesUnconfirmed()).isEqualTo(publishers);
            for (CompletableFuture<Throwable> o : outcomes) {
                assertThat(o.get(30, TimeUnit.SECONDS)).isInstanceOf(ClosedException.class);
            }
            try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel()) {
                ch.queueDelete(q);
            }
        }
    }

    /**
     * A robust connection's drain: the supervised work's subscription is cancelled, its handlers
     * (which publish through the robust connection) finish, the work returns, and nothing is cut off.
     */
    @Test
    void robustCloseDrainsTheSupervisedWorksAndTheirPublishes() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-robust-in")));
        String out = queues.declare(ch, TestQueues.spec(TestQueues.unique("drain-robust-out")));
        queues.publishNumbered(q, "m", 40);
        CountDownLatch fourRunning = new CountDownLatch(4);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Subscription> subscription = new AtomicReference<>();
        AtomicInteger acked = new AtomicInteger();
        RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(500))));
        Supervised work = rc.supervise(c -> {
            try (BlockingChannel wc = c.openChannel(); Subscription s = wc.consume(q,
                    ConsumeOptions.defaults().withPrefetch(10))) {
                subscription.set(s);
                s.handle(4, d -> {
                    fourRunning.countDown();
                    release.await();
                    rc.publish("", out, Message.text("done " + d.bodyAsString()));
                    d.ack();
                    acked.incrementAndGet();
                });
            }
        });
        assertThat(fourRunning.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<DrainReport> closing = CompletableFuture.supplyAsync(
                () -> rc.close(Duration.ofSeconds(30)), r -> Thread.ofVirtual().start(r));
        assertThat(TestSupport.awaitTrue(() -> !subscription.get().isActive(), Duration.ofSeconds(10))).isTrue();
        assertThatThrownBy(() -> rc.publish("", out, Message.text("from outside")))
                .isInstanceOf(ConnectionClosedException.class).hasMessageContaining("closing gracefully");
        release.countDown();
        DrainReport report = closing.get(60, TimeUnit.SECONDS);
        assertThat(report.complete()).as(report.toString()).isTrue();
        assertThat(report.subscriptionsCancelled()).isEqualTo(1);
        work.join();
        assertThat(work.isDone()).isTrue();
        // The 4 running and the 6 buffered behind them (prefetch 10) were handled; the rest never delivered.
        assertThat(acked).hasValue(10);
        assertThat(queues.ready(out)).isEqualTo(10);
        assertThat(queues.ready(q)).isEqualTo(30);
        LOG.info("robust drained shutdown: handed out 10, acked {}, requeued {}, robust publishes confirmed {}; {}",
                acked.get(), report.deliveriesRequeued(), queues.ready(out), report);
    }

    private static boolean outcomesPending(List<CompletableFuture<Throwable>> outcomes) {
        return outcomes.stream().noneMatch(CompletableFuture::isDone);
    }

    /** A connection through the proxy with {@code n} publishes on one channel sent and held unconfirmed (paused). */
    private record InFlight(BlockingConnection conn, BlockingChannel ch, String queue,
            List<CompletableFuture<Throwable>> outcomes) {}

    private InFlight inFlight(TcpProxy proxy, String what, int n) throws Exception {
        BlockingConnection viaProxy = Warren.connect(proxy.uri(broker.uri()));
        BlockingChannel ch = viaProxy.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique(what)));
        proxy.pause();
        List<CompletableFuture<Throwable>> outcomes = startPublishers(ch, q, n);
        assertThat(TestSupport.awaitTrue(() -> ch.unconfirmedCount() == n, Duration.ofSeconds(10))).isTrue();
        return new InFlight(viaProxy, ch, q, outcomes);
    }

    private static List<CompletableFuture<Throwable>> startPublishers(BlockingChannel ch, String q, int n) {
        List<CompletableFuture<Throwable>> outcomes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CompletableFuture<Throwable> o = new CompletableFuture<>();
            byte[] body = ("p" + i).getBytes(StandardCharsets.UTF_8);
            Thread.ofVirtual().start(() -> o.complete(TestSupport.caught(() -> ch.publish("", q, body))));
            outcomes.add(o);
        }
        return outcomes;
    }
}
