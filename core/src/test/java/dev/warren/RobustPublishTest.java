package dev.warren;

import static dev.warren.TestSupport.awaitTrue;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reliable publishing and a supervised consumer on one robust connection to a private node that
 * the test may break: three forced closes and a stop_app/start_app while 200 threads publish.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RobustPublishTest {
    private static final int THREADS = 200;
    private static final int PER_THREAD = 100;
    private static final int TOTAL = THREADS * PER_THREAD;
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);
    /** Publishes are paced so that they span the faults (unpaced they would be done before the first one). */
    private static final int PER_SECOND = 2000;

    @Test
    void everyConfirmedMessageReachesTheQueueAndTheSupervisedConsumerAcrossForcedClosesAndABrokerRestart()
            throws Exception {
        RabbitCluster.Node node = RabbitCluster.shared(1).node(0);
        BrokerAdmin admin = node.admin();
        String name = unique("robust-publish");
        String queue = unique("robust-publish-q");
        ConnectionOptions options = ConnectionOptions.of(node.uri()).withConnectionName(name)
                .withPublishTimeout(PUBLISH_TIMEOUT)
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofSeconds(1)));
        try (BlockingConnection c = Warren.connect(node.uri()); BlockingChannel ch = c.openChannel()) {
            ch.queueDeclare(QueueSpec.named(queue)); // durable; so that no publish goes unrouted
        }
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        AtomicLong deliveries = new AtomicLong();
        AtomicLong redelivered = new AtomicLong();
        AtomicInteger confirmed = new AtomicInteger();
        AtomicInteger tickets = new AtomicInteger();
        long[] started = new long[1];
        AtomicLong slowestNanos = new AtomicLong();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (RobustConnection rc = Warren.connectRobust(options)) {
            RecoveryEvents events = RecoveryEvents.on(rc);
            Supervised consumer = rc.supervise(conn -> {
                try (BlockingChannel ch = conn.openChannel()) {
                    ch.queueDeclare(QueueSpec.named(queue)); // its own topology, on every run
                    try (Subscription s = ch.consume(queue, ConsumeOptions.defaults().withPrefetch(500))) {
                        for (Delivery d : s) {
                            seen.merge(d.properties().getMessageId(), 1, Integer::sum);
                            deliveries.incrementAndGet();
                            if (d.envelope().isRedeliver()) {
                                redelivered.incrementAndGet();
                            }
                            d.ack();
                        }
                    }
                }
            });
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                publishers.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < PER_THREAD; i++) {
                            long due = started[0] + tickets.getAndIncrement() * (1_000_000_000L / PER_SECOND);
                            while (System.nanoTime() - due < 0) {
                                java.util.concurrent.locks.LockSupport.parkNanos(due - System.nanoTime());
                            }
                            Message m = Message.text("m").withPersistent(true).withMessageId("m-" + thread + "-" + i);
                            long start = System.nanoTime();
                            try {
                                rc.publish("", queue, m);
                                confirmed.incrementAndGet();
                            } finally {
                                slowestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            started[0] = System.nanoTime();
            go.countDown();
            IntSupplier progress = tickets::get;
            for (int k = 1; k <= 3; k++) {
                int at = k * TOTAL * 3 / 20;
                assertThat(awaitTrue(() -> progress.getAsInt() >= at, Duration.ofSeconds(60))).isTrue();
                assertThat(admin.closeConnection(name, "warren test, forced close " + k)).isEqualTo(1);
                events.next("lost", Duration.ofSeconds(10));
                events.next("recovered", Duration.ofSeconds(10));
            }
            assertThat(awaitTrue(() -> progress.getAsInt() >= TOTAL * 3 / 5, Duration.ofSeconds(60))).isTrue();
            admin.rabbitmqctl("stop_app");
            events.next("lost", Duration.ofSeconds(10));
            admin.rabbitmqctl("start_app");
            events.next("recovered", Duration.ofSeconds(30));
            for (Thread p : publishers) {
                p.join();
            }
            long publishMillis = (System.nanoTime() - started[0]) / 1_000_000;

            assertThat(failures).as("every publish returned normally").isEmpty();
            assertThat(confirmed.get()).isEqualTo(TOTAL);
            assertThat(Duration.ofNanos(slowestNanos.get())).as("no publish blocked past its deadline")
                    .isLessThanOrEqualTo(PUBLISH_TIMEOUT.plusSeconds(1));
            // The consumer only gets what the queue held: every confirmed id must come out of it.
            boolean all = awaitTrue(() -> seen.size() == TOTAL, Duration.ofSeconds(60));
            assertThat(seen.size()).as("distinct confirmed ids consumed").isEqualTo(TOTAL);
            assertThat(all).isTrue();
            for (int t = 0; t < THREADS; t++) {
                for (int i = 0; i < PER_THREAD; i++) {
                    assertThat(seen).containsKey("m-" + t + "-" + i);
                }
            }
            assertThat(consumer.restarts()).isGreaterThanOrEqualTo(4);
            // Whether a message was in flight at a loss is timing; RobustFaultsTest makes a re-send happen.
            assertThat(rc.recoveries()).isEqualTo(4);
            long duplicates = deliveries.get() - seen.size();
            System.out.printf("PRINT robust publish: %d messages by %d threads in %d ms across 3 forced closes and a"
                    + " broker restart; re-sent %d, duplicates consumed %d (redelivered %d), slowest publish %d ms,"
                    + " consumer restarts %d%n", TOTAL, THREADS, publishMillis, rc.resends(), duplicates,
                    redelivered.get(), slowestNanos.get() / 1_000_000, consumer.restarts());
        } finally {
            admin.deleteQueue(queue);
        }
    }
}
