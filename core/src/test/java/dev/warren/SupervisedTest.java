package dev.warren;

import static dev.warren.TestSupport.awaitNoAmqpThreads;
import static dev.warren.TestSupport.awaitTrue;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** What restarts a supervised work, what does not, and what close() leaves behind (nothing). */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class SupervisedTest {

    private static ConnectionOptions options(RabbitBroker broker, String name) {
        return ConnectionOptions.of(broker.uri()).withConnectionName(name)
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(500)));
    }

    /** Waits until {@code queue} exists with {@code n} consumers. */
    static void awaitConsumers(BrokerAdmin admin, String queue, int n) {
        assertThat(awaitTrue(() -> admin.rabbitmqctl("list_queues", "-q", "--no-table-headers", "name", "consumers")
                .lines().anyMatch(l -> l.equals(queue + "\t" + n)), Duration.ofSeconds(15)))
                .as("queue %s with %d consumers", queue, n).isTrue();
    }

    /** A work that declares its queue and hands every delivery's body to {@code got}. */
    private static Work consumer(String queue, LinkedBlockingQueue<String> got, AtomicInteger runs) {
        return c -> {
            runs.incrementAndGet();
            try (BlockingChannel ch = c.openChannel()) {
                ch.queueDeclare(QueueSpec.named(queue).durable(false).argument("x-expires", 120_000));
                try (Subscription s = ch.consume(queue)) {
                    for (Delivery d : s) {
                        got.add(d.bodyAsString());
                        d.ack();
                    }
                }
            }
        };
    }

    @Test
    void aForcedCloseRestartsTheWorkOnTheNextConnection(RabbitBroker broker, BrokerAdmin admin) throws Exception {
        String name = unique("supervised-forced");
        String queue = unique("supervised-forced-q");
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        AtomicInteger runs = new AtomicInteger();
        try (RobustConnection rc = Warren.connectRobust(options(broker, name))) {
            RecoveryEvents events = RecoveryEvents.on(rc);
            Supervised s = rc.supervise(consumer(queue, got, runs));
            awaitConsumers(admin, queue, 1);
            rc.publish("", queue, Message.text("before"));
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("before");

            assertThat(admin.closeConnection(name, "warren test")).isEqualTo(1);
            events.next("lost", Duration.ofSeconds(10));
            events.next("recovered", Duration.ofSeconds(10));
            awaitConsumers(admin, queue, 1);
            rc.publish("", queue, Message.text("after"));
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("after");
            assertThat(s.restarts()).isEqualTo(1);
            assertThat(rc.recoveries()).isEqualTo(1);
            assertThat(s.isDone()).isFalse();
        }
    }

    @Test
    void aDeletedQueueIsDeclaredAgainByTheRestartedWork(RabbitBroker broker, BrokerAdmin admin) throws Exception {
        String queue = unique("supervised-deleted-q");
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        AtomicInteger runs = new AtomicInteger();
        try (RobustConnection rc = Warren.connectRobust(options(broker, unique("supervised-deleted")))) {
            Supervised s = rc.supervise(consumer(queue, got, runs));
            awaitConsumers(admin, queue, 1);
            rc.publish("", queue, Message.text("one"));
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("one");

            admin.deleteQueue(queue);
            assertThat(awaitTrue(() -> runs.get() == 2 && s.restarts() == 1, Duration.ofSeconds(10))).isTrue();
            // The restarted work declared the queue again and consumes from it.
            awaitConsumers(admin, queue, 1);
            rc.publish("", queue, Message.text("two"));
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("two");
        }
    }

    @Test
    void aWorkThatThrowsIllegalStateExceptionIsNotRestartedAndJoinThrowsIt(RabbitBroker broker) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        try (RobustConnection rc = Warren.connectRobust(options(broker, unique("supervised-bug")))) {
            Supervised s = rc.supervise(c -> {
                runs.incrementAndGet();
                throw new IllegalStateException("a bug");
            });
            assertThatThrownBy(s::join).isInstanceOf(SubtaskFailedException.class)
                    .cause().isInstanceOf(IllegalStateException.class).hasMessage("a bug");
            assertThat(s.isDone()).isTrue();
            assertThat(s.restarts()).isZero();
            assertThat(runs.get()).isEqualTo(1);
            assertThat(rc.isOpen()).isTrue();
        }
    }

    @Test
    void closingTheRobustConnectionEndsEveryWorkAndLeavesNoThreadConsumerOrConnection(RabbitBroker broker,
            BrokerAdmin admin) throws Exception {
        String name = unique("supervised-close");
        String queue = unique("supervised-close-q");
        AtomicInteger runs = new AtomicInteger();
        RobustConnection rc = Warren.connectRobust(options(broker, name));
        Supervised consuming = rc.supervise(consumer(queue, new LinkedBlockingQueue<>(), runs));
        CountDownLatch sleeping = new CountDownLatch(1);
        Supervised sleeper = rc.supervise(c -> {
            sleeping.countDown();
            Thread.sleep(Duration.ofDays(1));
        });
        assertThat(sleeping.await(10, TimeUnit.SECONDS)).isTrue();
        awaitConsumers(admin, queue, 1);
        assertThat(admin.connectionNames()).contains(name);

        rc.close();
        consuming.join(); // returns normally: closed by the application
        sleeper.join();
        assertThat(consuming.restarts()).isZero();
        assertThat(sleeper.restarts()).isZero();
        assertThat(runs.get()).isEqualTo(1);
        assertThat(rc.threadsEnded()).isTrue();
        assertThat(rc.isOpen()).isFalse();
        assertThat(rc.awaitOpen(Duration.ofMillis(10))).isFalse();
        assertThatThrownBy(() -> rc.publish("", queue, Message.text("late")))
                .isInstanceOf(ConnectionClosedException.class).hasMessageContaining("closed by the application");
        assertThatThrownBy(() -> rc.supervise(c -> {})).isInstanceOf(ConnectionClosedException.class);
        awaitNoAmqpThreads();
        assertThat(awaitTrue(() -> !admin.connectionNames().contains(name), Duration.ofSeconds(10))).isTrue();
        awaitConsumers(admin, queue, 0);
        admin.deleteQueue(queue);
    }

    @Test
    void closingASupervisedCancelsItsWorkWithoutRestart(RabbitBroker broker) throws Exception {
        try (RobustConnection rc = Warren.connectRobust(options(broker, unique("supervised-cancel")))) {
            CountDownLatch sleeping = new CountDownLatch(1);
            Supervised s = rc.supervise(c -> {
                sleeping.countDown();
                Thread.sleep(Duration.ofDays(1));
            });
            assertThat(sleeping.await(10, TimeUnit.SECONDS)).isTrue();
            s.close();
            assertThat(s.isDone()).isTrue();
            s.join();
            assertThat(s.restarts()).isZero();
            assertThat(rc.isOpen()).isTrue();
        }
    }

    @Test
    void aWrongPasswordFailsFastAndLeavesNothingRunning(RabbitBroker broker) {
        String uri = TestSupport.withCredentials(broker.uri(), "guest", "not-the-password");
        assertThatThrownBy(() -> Warren.connectRobust(ConnectionOptions.of(uri)))
                .isInstanceOf(ConnectFailedException.class)
                .hasMessageContaining("403 ACCESS_REFUSED")
                .hasMessageNotContaining("not-the-password")
                .satisfies(e -> assertThat(((ConnectFailedException) e).accessRefused()).isTrue());
        awaitNoAmqpThreads();
    }

    @Test
    void aPasswordRefusedOnReconnectGivesUpAtOnceAndJoinThrows(RabbitBroker broker, BrokerAdmin admin)
            throws Exception {
        String user = unique("supervised-user");
        String name = unique("supervised-refused");
        admin.addUser(user, "first-secret", ".*", ".*", ".*");
        try {
            ConnectionOptions o = ConnectionOptions.of(TestSupport.withCredentials(broker.uri(), user, "first-secret"))
                    .withConnectionName(name)
                    .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(100)));
            try (RobustConnection rc = Warren.connectRobust(o)) {
                RecoveryEvents events = RecoveryEvents.on(rc);
                CountDownLatch started = new CountDownLatch(1);
                Supervised s = rc.supervise(c -> {
                    started.countDown();
                    Thread.sleep(Duration.ofDays(1));
                });
                assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
                admin.rabbitmqctl("change_password", user, "second-secret");
                admin.closeConnection(name, "warren test");

                events.next("lost", Duration.ofSeconds(10));
                ConnectFailedException last = (ConnectFailedException) events.next("failed", Duration.ofSeconds(10))
                        .detail();
                assertThat(last.accessRefused()).isTrue();
                assertThat(events.isEmpty()).isTrue();
                assertThatThrownBy(s::join).isInstanceOf(ConnectionClosedException.class)
                        .hasMessageNotContaining("secret")
                        .cause().isSameAs(last);
                assertThatThrownBy(() -> rc.publish("", "nowhere", Message.text("x")))
                        .isInstanceOf(ConnectionClosedException.class);
                // The sleeping work was interrupted by the loss, to run again, and may have counted a restart.
                assertThat(s.restarts()).isLessThanOrEqualTo(1);
                assertThat(rc.recoveries()).isZero();
            }
        } finally {
            admin.deleteUser(user);
        }
    }

    // ---------------------------------------------------------------- what restarts, what ends (issue 23 row 5)

    private static ConnectionOptions viaProxy(RabbitBroker broker, TcpProxy proxy, String name) {
        return options(broker, name).withAddresses("127.0.0.1:" + proxy.port());
    }

    @Test
    void anOperationTimeoutRestartsTheWork(RabbitBroker broker) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(viaProxy(broker, proxy, unique("supervised-op-timeout"))
                     .withOperationTimeout(Duration.ofMillis(300)))) {
            Supervised s = rc.supervise(c -> {
                try (BlockingChannel ch = c.openChannel()) {
                    if (runs.incrementAndGet() == 1) {
                        proxy.pause(); // no reply comes: the declare times out (a slow broker in a failover)
                        try {
                            ch.exchangeDeclarePassive("amq.direct");
                        } finally {
                            proxy.resume();
                        }
                    }
                }
            });
            assertThat(awaitTrue(s::isDone, Duration.ofSeconds(15))).isTrue();
            s.join();
            assertThat(runs.get()).isEqualTo(2);
            assertThat(s.restarts()).isEqualTo(1);
            assertThat(rc.recoveries()).isZero();
        }
    }

    @Test
    void aPermanentChannelErrorEndsTheWorkAndJoinThrowsIt(RabbitBroker broker, BrokerAdmin admin) throws Exception {
        String queue = unique("supervised-406-q");
        AtomicInteger runs = new AtomicInteger();
        try (RobustConnection rc = Warren.connectRobust(options(broker, unique("supervised-406")))) {
            try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel()) {
                ch.queueDeclare(QueueSpec.named(queue).durable(false));
            }
            Supervised s = rc.supervise(c -> {
                runs.incrementAndGet();
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(QueueSpec.named(queue).durable(true)); // 406: it exists, not durable
                }
            });
            assertThat(awaitTrue(s::isDone, Duration.ofSeconds(15))).as("the work ended").isTrue();
            assertThatThrownBy(s::join).isInstanceOf(SubtaskFailedException.class).cause()
                    .isInstanceOf(ChannelClosedException.class)
                    .satisfies(e -> assertThat(((ChannelClosedException) e).replyCode()).isEqualTo(406));
            assertThat(runs.get()).isEqualTo(1);
        } finally {
            admin.deleteQueue(queue);
        }
    }

    @Test
    void aClosedExceptionWrappedInTheWorksOwnExceptionRestartsIt(RabbitBroker broker) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch consuming = new CountDownLatch(1);
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(viaProxy(broker, proxy, unique("supervised-wrapped")))) {
            Supervised s = rc.supervise(c -> {
                if (runs.incrementAndGet() > 1) {
                    return;
                }
                try (BlockingChannel ch = c.openChannel()) {
                    String q = ch.queueDeclare(QueueSpec.serverNamed()).name();
                    try (Subscription sub = ch.consume(q)) {
                        consuming.countDown();
                        sub.take();
                    } catch (ClosedException e) {
                        throw new IllegalStateException("the work's own wrapper", e);
                    }
                }
            });
            assertThat(consuming.await(10, TimeUnit.SECONDS)).isTrue();
            proxy.cut();
            assertThat(awaitTrue(s::isDone, Duration.ofSeconds(15))).isTrue();
            s.join();
            assertThat(runs.get()).isEqualTo(2);
            assertThat(s.restarts()).isEqualTo(1);
        }
    }

    @Test
    void aWorkBlockedOutsideWarrenIsInterruptedWhenItsConnectionIsLostAndRunsAgain(RabbitBroker broker)
            throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch sleeping = new CountDownLatch(1);
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(viaProxy(broker, proxy, unique("supervised-sleeping")))) {
            Supervised s = rc.supervise(c -> {
                if (runs.incrementAndGet() == 1) {
                    sleeping.countDown();
                    Thread.sleep(Duration.ofDays(1)); // a foreign blocking call, not Warren's
                }
            });
            assertThat(sleeping.await(10, TimeUnit.SECONDS)).isTrue();
            proxy.cut();
            assertThat(awaitTrue(s::isDone, Duration.ofSeconds(15))).as("interrupted and run again").isTrue();
            s.join();
            assertThat(runs.get()).isEqualTo(2);
            assertThat(s.restarts()).isEqualTo(1);
            assertThat(rc.recoveries()).isEqualTo(1);
        }
    }
}
