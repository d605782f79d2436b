package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Robust publish and call against faults of one connection (a {@link TcpProxy} of the test's
 * own) or of one message: a slow confirm is waited for, a bad message or call fails alone,
 * deadlines hold while a channel is being opened, a failed channel open is thrown as itself.
 */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class RobustFaultsTest {

    private static ConnectionOptions viaProxy(RabbitBroker broker, TcpProxy proxy, String name) {
        return ConnectionOptions.of(broker.uri()).withAddresses("127.0.0.1:" + proxy.port())
                .withConnectionName(unique(name))
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(200)));
    }

    private static String declare(RabbitBroker broker, String name) throws InterruptedException {
        String queue = unique(name);
        try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel()) {
            ch.queueDeclare(QueueSpec.named(queue).durable(false).argument("x-expires", 60_000));
        }
        return queue;
    }

    private static int messageCount(RabbitBroker broker, String queue) throws InterruptedException {
        try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel()) {
            return ch.queueDeclarePassive(queue).messageCount();
        }
    }

    private static void delete(RabbitBroker broker, String queue) throws InterruptedException {
        try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel()) {
            ch.queueDelete(queue);
        }
    }

    private static Thread start(TestSupport.Action a, List<Throwable> failures) {
        return Thread.ofVirtual().start(() -> {
            try {
                a.run();
            } catch (Throwable e) {
                failures.add(e);
            }
        });
    }

    @Test
    void aSlowConfirmOnAnOpenChannelIsWaitedForAndTheMessageNotSentAgain(RabbitBroker broker) throws Exception {
        String queue = declare(broker, "slow-confirm-q");
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(viaProxy(broker, proxy, "slow-confirm")
                     .withPublishTimeout(Duration.ofSeconds(20)))) {
            rc.publish("", queue, Message.text("opens the channel"));
            CountDownLatch confirmed = new CountDownLatch(1);
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            proxy.pause();
            Thread publisher;
            try {
                publisher = start(() -> {
                    rc.publish("", queue, Message.text("slow"));
                    confirmed.countDown();
                }, failures);
                // Longer than the quarter of the publish timeout after which an attempt used to
                // give up on its channel and publish again.
                assertThat(confirmed.await(6500, TimeUnit.MILLISECONDS)).isFalse();
            } finally {
                proxy.resume();
            }
            assertThat(confirmed.await(10, TimeUnit.SECONDS)).as("failures %s", failures).isTrue();
            publisher.join();
            assertThat(rc.resends()).isZero();
            assertThat(messageCount(broker, queue)).as("each message once").isEqualTo(2);
        } finally {
            delete(broker, queue);
        }
    }

    /**
     * The re-send itself, made to happen: the message reaches the socket, the proxy holds it, and
     * the link is cut before anything reaches the broker, so its outcome is unknown.
     */
    @Test
    void aMessageInFlightWhenItsConnectionIsLostIsSentAgainOnTheNextOneAndConfirmed(RabbitBroker broker)
            throws Exception {
        String queue = declare(broker, "resent-q");
        List<ConnectionStats> stats = new java.util.concurrent.CopyOnWriteArrayList<>();
        WarrenObserver gauges = new WarrenObserver() {
            @Override
            public void connectionOpened(ConnectionStats s) {
                stats.add(s);
            }
        };
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(viaProxy(broker, proxy, "resent").withObserver(gauges)
                     .withPublishTimeout(Duration.ofSeconds(20)))) {
            rc.publish("", queue, Message.text("opens the channel"));
            CountDownLatch confirmed = new CountDownLatch(1);
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            proxy.pause();
            Thread publisher = start(() -> {
                rc.publish("", queue, Message.text("in flight"));
                confirmed.countDown();
            }, failures);
            assertThat(TestSupport.awaitTrue(() -> stats.stream().mapToInt(ConnectionStats::unconfirmedPublishes).sum()
                    == 1, Duration.ofSeconds(10))).as("the message reached the socket").isTrue();
            proxy.cut();
            proxy.resume();
            assertThat(confirmed.await(20, TimeUnit.SECONDS)).as("failures %s", failures).isTrue();
            publisher.join();
            assertThat(rc.resends()).isEqualTo(1);
            assertThat(messageCount(broker, queue)).as("the held copy never reached the broker").isEqualTo(2);
        } finally {
            delete(broker, queue);
        }
    }

    /**
     * A publishing channel that gets nothing but nacks for {@link RobustConnection#NACK_STREAK}
     * is replaced (RabbitMQ 3.10 keeps nacking a channel that began publishing to a quorum queue
     * while its leader was replaced, and acks a new one: ClusterFailoverTest's stall). A full
     * reject-publish queue nacks every channel alike, so here the new channel is nacked too.
     */
    @Test
    void aPublishingChannelThatGetsNothingButNacksIsReplaced(RabbitBroker broker) throws Exception {
        String full = unique("nacking-q");
        String open = declare(broker, "after-nacks-q");
        try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel()) {
            ch.queueDeclare(QueueSpec.named(full).withDurable(false).withArgument("x-expires", 60_000)
                    .withArgument("x-max-length", 0).withArgument("x-overflow", "reject-publish"));
        }
        java.util.concurrent.atomic.AtomicInteger closedByUs = new java.util.concurrent.atomic.AtomicInteger();
        WarrenObserver closes = new WarrenObserver() {
            @Override
            public void channelClosed(int replyCode, String replyText, String failedMethod, boolean initiatedByBroker,
                    int failedOperations, int cancelledSubtasks) {
                if (replyCode == 200 && !initiatedByBroker) {
                    closedByUs.incrementAndGet();
                }
            }
        };
        try (RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri()).withObserver(closes)
                .withConnectionName(unique("nacking")))) {
            long until = System.nanoTime() + RobustConnection.NACK_STREAK.plusSeconds(1).toNanos();
            int nacks = 0;
            while (System.nanoTime() - until < 0 && closedByUs.get() == 0) {
                assertThatThrownBy(() -> rc.publish("", full, Message.text("refused")))
                        .isInstanceOf(PublishNackedException.class);
                nacks++;
            }
            assertThat(closedByUs.get()).as("channels replaced after %s nacks", nacks).isEqualTo(1);
            rc.publish("", open, Message.text("confirmed on the new channel"));
            assertThat(rc.recoveries()).as("the connection stayed").isZero();
            assertThat(messageCount(broker, open)).isEqualTo(1);
        } finally {
            delete(broker, full);
            delete(broker, open);
        }
    }

    @Test
    void aMessageTheBrokerRefusesFailsAloneAndTheOthersInFlightAreConfirmed(RabbitBroker broker) throws Exception {
        String queue = declare(broker, "bad-message-q");
        int bystanders = 40;
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(viaProxy(broker, proxy, "bad-message"))) {
            rc.publish("", queue, Message.text("opens the channel"));
            List<Throwable> badFailure = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            proxy.pause(); // all of them in flight on the shared channel at once
            try {
                // 406 PRECONDITION_FAILED on basic.publish: a user id that is not the connection's user.
                threads.add(start(() -> rc.publish("", queue, Message.text("bad").withUserId("not-" + unique("u"))),
                        badFailure));
                TestSupport.awaitParkedIn(threads.get(0), "publish");
                for (int i = 0; i < bystanders; i++) {
                    int n = i;
                    threads.add(start(() -> rc.publish("", queue, Message.text("good-" + n)), failures));
                }
                threads.forEach(t -> TestSupport.awaitParkedIn(t, "publish"));
            } finally {
                proxy.resume();
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).as("no bystander was thrown the bad message's error").isEmpty();
            assertThat(badFailure).singleElement().isInstanceOf(ChannelClosedException.class)
                    .satisfies(e -> assertThat(((ChannelClosedException) e).replyCode()).isEqualTo(406));
        } finally {
            delete(broker, queue);
        }
    }

    @Test
    void aPublishKeepsItsDeadlineWhileItsChannelIsBeingOpened(RabbitBroker broker) throws Exception {
        Duration timeout = Duration.ofSeconds(2);
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(viaProxy(broker, proxy, "deadline-publish")
                     .withConnectTimeout(Duration.ofSeconds(1)).withPublishTimeout(timeout))) {
            proxy.pause(); // the channel open gets no answer; amqp-client gives up on it after 5 s
            try {
                long start = System.nanoTime();
                assertThatThrownBy(() -> rc.publish("", unique("nobody"), Message.text("x")))
                        .isInstanceOf(PublishTimeoutException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(timeout.plusMillis(900));
            } finally {
                proxy.resume();
            }
        }
    }

    @Test
    void aCallKeepsItsDeadlineWhileItsChannelIsBeingOpened(RabbitBroker broker) throws Exception {
        Duration timeout = Duration.ofSeconds(2);
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(viaProxy(broker, proxy, "deadline-call")
                     .withConnectTimeout(Duration.ofSeconds(1)))) {
            proxy.pause();
            try {
                long start = System.nanoTime();
                assertThatThrownBy(() -> rc.call("", unique("nobody"), Message.text("x"), timeout))
                        .isInstanceOf(RpcTimeoutException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(timeout.plusMillis(900));
            } finally {
                proxy.resume();
            }
        }
    }

    @Test
    void aChannelThatFailedToOpenIsOpenedAgainAndItsFailureThrownAsItIs(RabbitBroker broker) throws Exception {
        try (RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                .withConnectionName(unique("channel-max")).withChannelMax(1))) {
            rc.publish("", unique("nobody"), Message.text("opens the publishing connection's only channel"));
            CountDownLatch holding = new CountDownLatch(1);
            Supervised holder = rc.supervise(c -> {
                try (BlockingChannel ch = c.openChannel()) { // the works' connection's only channel
                    holding.countDown();
                    Thread.sleep(Duration.ofDays(1));
                }
            });
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> rc.call("", unique("nobody"), Message.text("x"), Duration.ofSeconds(2)))
                        .isInstanceOf(IllegalStateException.class).isNotInstanceOf(CompletionException.class)
                        .hasMessageContaining("no free channel number");
            }
            rc.publish("", unique("nobody"), Message.text("publishing still works"));
            holder.close();
        }
    }

    @Test
    void aCallToAMissingExchangeFailsAloneNotTheCallsSharingItsChannel(RabbitBroker broker) throws Exception {
        String queue = declare(broker, "call-alone-q");
        CountDownLatch received = new CountDownLatch(1);
        CountDownLatch reply = new CountDownLatch(1);
        try (BlockingConnection sc = Warren.connect(broker.uri()); BlockingChannel server = sc.openChannel();
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                     .withConnectionName(unique("call-alone")))) {
            server.fork(() -> {
                server.serve(queue, req -> {
                    received.countDown();
                    reply.await();
                    return Message.text("re:" + req.bodyAsString());
                });
                return null;
            });
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Delivery> good = pool.submit(() -> rc.call("", queue, Message.text("good"), Duration.ofSeconds(20)));
                assertThat(received.await(10, TimeUnit.SECONDS)).isTrue();
                assertThatThrownBy(() -> rc.call(unique("no-such-exchange"), "x", Message.text("bad"),
                        Duration.ofSeconds(5))).isInstanceOf(ChannelClosedException.class)
                        .satisfies(e -> assertThat(((ChannelClosedException) e).replyCode()).isEqualTo(404));
                reply.countDown();
                assertThat(good.get(10, TimeUnit.SECONDS).bodyAsString()).isEqualTo("re:good");
            }
        } finally {
            delete(broker, queue);
        }
    }
}
