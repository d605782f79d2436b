package dev.warren;

import static dev.warren.TestSupport.awaitTrue;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection the broker blocks (a memory alarm, raised on a private node of the test's own)
 * is not a lost one: nothing is re-sent, nothing is closed, recovery does not stop, listeners
 * hear of the block and the unblock.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RobustBlockedTest {
    /** amqp-client's channel-open timeout is max(connect timeout, 5 s): an alarm must outlast it. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration PAST_THE_OPEN_TIMEOUT = Duration.ofSeconds(7);

    private static RabbitCluster.Node node() {
        return RabbitCluster.shared(1).node(0);
    }

    private static ConnectionOptions options(RabbitCluster.Node node, String name) {
        return ConnectionOptions.of(node.uri()).withConnectionName(unique(name)).withConnectTimeout(CONNECT_TIMEOUT)
                .withPublishTimeout(Duration.ofSeconds(20))
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(500)));
    }

    private static String declare(RabbitCluster.Node node, String name) throws InterruptedException {
        String queue = unique(name);
        try (BlockingConnection c = Warren.connect(node.uri()); BlockingChannel ch = c.openChannel()) {
            ch.queueDeclare(QueueSpec.named(queue).durable(false));
        }
        return queue;
    }

    /** Waits until the broker has the connection named {@code name} blocked (it stopped reading from it). */
    private static void awaitBlocked(BrokerAdmin admin, String name) {
        assertThat(awaitTrue(() -> admin.rabbitmqctl("list_connections", "-q", "--no-table-headers", "state",
                "client_properties").lines().anyMatch(l -> l.startsWith("blocked\t") && l.contains("\"" + name + "\"")),
                Duration.ofSeconds(15)))
                .as("connection %s blocked", name).isTrue();
    }

    /** Tells of blocks and unblocks. */
    private static final class Blocks implements RecoveryListener {
        final LinkedBlockingQueue<String> reasons = new LinkedBlockingQueue<>();
        final CountDownLatch unblocked = new CountDownLatch(1);

        @Override
        public void connectionBlocked(String reason) {
            reasons.add(reason);
        }

        @Override
        public void connectionUnblocked() {
            unblocked.countDown();
        }
    }

    /** Publishes unique messages from {@code threads} threads until stopped; counts what was confirmed. */
    private static final class Publishers {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong confirmed = new AtomicLong();
        final List<Throwable> failures = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new ArrayList<>();

        Publishers(RobustConnection rc, String queue, int n) {
            AtomicInteger ids = new AtomicInteger();
            for (int t = 0; t < n; t++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        while (!stop.get()) {
                            rc.publish("", queue, Message.text("m").withMessageId("m-" + ids.incrementAndGet()));
                            confirmed.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
        }

        void awaitMore(long n) {
            long target = confirmed.get() + n;
            assertThat(awaitTrue(() -> confirmed.get() >= target, Duration.ofSeconds(30)))
                    .as("publishing goes on; failures %s", failures).isTrue();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    @Test
    void aChannelOpenedWhileTheBrokerBlocksTheConnectionWaitsForTheUnblockAndRecoveryGoesOn() throws Exception {
        RabbitCluster.Node node = node();
        BrokerAdmin admin = node.admin();
        String queue = declare(node, "blocked-open-q");
        try (RobustConnection rc = Warren.connectRobust(options(node, "blocked-open"))) {
            Publishers publishers = new Publishers(rc, queue, 20);
            publishers.awaitMore(100);
            CountDownLatch opened = new CountDownLatch(1);
            CountDownLatch workBlocked = new CountDownLatch(1);
            Supervised work;
            admin.raiseMemoryAlarm();
            try {
                awaitBlocked(admin, rc.name() + ".publish");
                // The works' connection is blocked too once something publishes on it.
                work = rc.supervise(c -> {
                    try (BlockingChannel ch = c.openChannel()) {
                        ch.publishDeferred("", queue, Message.text("blocks the works' connection"));
                        workBlocked.await();
                        try (BlockingChannel another = c.openChannel()) {
                            opened.countDown();
                        }
                    }
                });
                awaitBlocked(admin, rc.name());
                workBlocked.countDown();
                // Past the channel-open timeout: the open waits for the unblock, it does not time out.
                assertThat(opened.await(PAST_THE_OPEN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isFalse();
            } finally {
                admin.clearMemoryAlarm();
            }
            assertThat(opened.await(15, TimeUnit.SECONDS)).as("the channel opened after the unblock").isTrue();
            assertThat(awaitTrue(work::isDone, Duration.ofSeconds(10))).isTrue();
            work.join();
            assertThat(work.restarts()).isZero();
            publishers.awaitMore(100);
            publishers.stop();
            assertThat(publishers.failures).isEmpty();
            assertThat(rc.isOpen()).isTrue();
            assertThat(rc.recoveries()).as("a blocked connection is not a lost one").isZero();
        } finally {
            admin.clearMemoryAlarm();
            admin.deleteQueue(queue);
        }
    }

    @Test
    void messagesInFlightDuringABlockAreConfirmedOnceAndNeverSentAgain() throws Exception {
        RabbitCluster.Node node = node();
        BrokerAdmin admin = node.admin();
        String queue = declare(node, "blocked-once-q");
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        AtomicLong deliveries = new AtomicLong();
        try (BlockingConnection consumerConnection = Warren.connect(node.uri());
             BlockingChannel cch = consumerConnection.openChannel();
             Subscription sub = cch.consume(queue, ConsumeOptions.defaults().withPrefetch(500));
             RobustConnection rc = Warren.connectRobust(options(node, "blocked-once"))) {
            Thread consumer = Thread.ofVirtual().start(() -> {
                try {
                    for (Delivery d : sub) {
                        seen.merge(d.properties().getMessageId(), 1, Integer::sum);
                        deliveries.incrementAndGet();
                        d.ack();
                    }
                } catch (Exception e) {
                    // closed at the end
                }
            });
            Publishers publishers = new Publishers(rc, queue, 20);
            publishers.awaitMore(100);
            admin.raiseMemoryAlarm();
            try {
                awaitBlocked(admin, rc.name() + ".publish");
                long atBlock = publishers.confirmed.get();
                // Longer than a quarter of the publish timeout, which an attempt used to wait before
                // it published again on the blocked connection.
                assertThat(awaitTrue(() -> publishers.confirmed.get() > atBlock + 20, PAST_THE_OPEN_TIMEOUT))
                        .as("nothing confirmed while blocked").isFalse();
            } finally {
                admin.clearMemoryAlarm();
            }
            publishers.awaitMore(100);
            publishers.stop();
            assertThat(publishers.failures).isEmpty();
            long total = publishers.confirmed.get();
            assertThat(awaitTrue(() -> seen.size() >= total, Duration.ofSeconds(30))).isTrue();
            assertThat(rc.resends()).isZero();
            assertThat(deliveries.get() - seen.size()).as("duplicates").isZero();
            assertThat(rc.recoveries()).isZero();
            sub.close();
            consumer.join();
        } finally {
            admin.clearMemoryAlarm();
            admin.deleteQueue(queue);
        }
    }

    @Test
    void listenersAreToldWhenTheBrokerBlocksAndUnblocksTheConnection() throws Exception {
        RabbitCluster.Node node = node();
        BrokerAdmin admin = node.admin();
        String queue = declare(node, "blocked-told-q");
        try (RobustConnection rc = Warren.connectRobust(options(node, "blocked-told"))) {
            Blocks blocks = new Blocks();
            rc.addListener(blocks);
            rc.publish("", queue, Message.text("before"));
            Thread publisher;
            admin.raiseMemoryAlarm();
            try {
                publisher = Thread.ofVirtual().start(() -> {
                    try {
                        rc.publish("", queue, Message.text("during")); // the broker blocks on a publish
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertThat(blocks.reasons.poll(10, TimeUnit.SECONDS)).contains("memory");
            } finally {
                admin.clearMemoryAlarm();
            }
            assertThat(blocks.unblocked.await(10, TimeUnit.SECONDS)).isTrue();
            publisher.join();
        } finally {
            admin.clearMemoryAlarm();
            admin.deleteQueue(queue);
        }
    }

    @Test
    void aPublishThatNeverReachedTheSocketTimesOutAsNotSent() throws Exception {
        RabbitCluster.Node node = node();
        BrokerAdmin admin = node.admin();
        String queue = declare(node, "blocked-unsent-q");
        try (RobustConnection rc = Warren.connectRobust(options(node, "blocked-unsent")
                .withPublishTimeout(Duration.ofSeconds(2)))) {
            admin.raiseMemoryAlarm();
            try {
                Thread first = Thread.ofVirtual().start(() -> {
                    try {
                        rc.publish("", queue, Message.text("the one that makes the broker block"));
                    } catch (Exception e) {
                        // may time out: it was written
                    }
                });
                awaitBlocked(admin, rc.name() + ".publish");
                assertThatThrownBy(() -> rc.publish("", queue, Message.text("waits at the gate")))
                        .isInstanceOf(PublishTimeoutException.class)
                        .satisfies(e -> assertThat(((PublishTimeoutException) e).sent()).isFalse());
                first.join();
            } finally {
                admin.clearMemoryAlarm();
            }
            assertThat(rc.resends()).isZero();
        } finally {
            admin.clearMemoryAlarm();
            admin.deleteQueue(queue);
        }
    }
}
