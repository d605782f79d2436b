package dev.warren;

import static dev.warren.TestSupport.awaitParkedIn;
import static dev.warren.TestSupport.unique;
import static dev.warren.TestSupport.withCredentials;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Channel errors from the broker: they fail everything on their channel, and only there. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class ChannelErrorTest {

    @Test
    void declaresWithoutConfigurePermissionAllFail403AndCancelTheirSiblings(RabbitBroker broker, BrokerAdmin admin)
            throws Exception {
        String user = "warren-limited-" + System.nanoTime();
        String password = "pw-" + System.nanoTime();
        admin.addUser(user, password, "", ".*", ".*");
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(withCredentials(broker.uri(), user, password)))) {
            BlockingChannel ch = conn.openChannel();
            CountDownLatch asleep = new CountDownLatch(3);
            List<Subtask<?>> sleepers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                sleepers.add(TestSupport.sleeper(ch, asleep));
            }
            asleep.await();
            // Hold the FIFO slot so that all five declares are queued before the first is sent.
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Subtask<?> holder = ch.fork(() -> ch.context().holdingSlot(() -> {
                held.countDown();
                awaitUninterruptibly(release);
                return null;
            }));
            held.await();
            Queue<Thread> declarers = new ConcurrentLinkedQueue<>();
            List<Subtask<DeclaredQueue>> declares = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String queue = unique("forbidden-" + i);
                declares.add(ch.fork(() -> {
                    declarers.add(Thread.currentThread());
                    return ch.queueDeclare(QueueSpec.named(queue).withDurable(false));
                }));
            }
            TestSupport.awaitTrue(() -> declarers.size() == 5, Duration.ofSeconds(10));
            declarers.forEach(t -> awaitParkedIn(t, "acquireSlot"));
            release.countDown();

            Consumer<Throwable> accessRefused = e -> {
                assertThat(e).isInstanceOf(ChannelClosedException.class);
                ChannelClosedException c = (ChannelClosedException) e;
                assertThat(c.replyCode()).isEqualTo(403);
                assertThat(c.replyText()).startsWith("ACCESS_REFUSED");
                assertThat(c.failedMethod()).isEqualTo("queue.declare");
                assertThat(c.initiatedByBroker()).isTrue();
                assertThat(c.channelNumber()).isEqualTo(ch.channelNumber());
            };
            assertThatThrownBy(ch::join).satisfies(accessRefused);
            assertThat(holder.state()).isEqualTo(Subtask.State.SUCCESS);
            assertThat(declares).allSatisfy(s -> {
                assertThat(s.state()).isEqualTo(Subtask.State.FAILED);
                assertThat(s.exception()).satisfies(accessRefused);
            });
            assertThat(sleepers).allSatisfy(s -> {
                assertThat(s.state()).isEqualTo(Subtask.State.FAILED);
                assertThat(s.exception()).isInstanceOf(InterruptedException.class);
            });
            assertThat(ch.context().pendingCount()).isZero();
            assertThat(ch.isOpen()).isFalse();
            assertThatThrownBy(() -> ch.basicQos(1)).satisfies(accessRefused);

            assertThat(conn.isOpen()).isTrue();
            try (BlockingChannel other = conn.openChannel()) {
                other.basicQos(10);
                other.exchangeDeclarePassive("amq.direct");
            }
            ch.close();
        } finally {
            admin.deleteUser(user);
        }
    }

    @Test
    void passiveDeclareOfMissingQueueGives404AndClosesOnlyItsChannel(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            BlockingChannel failing = conn.openChannel();
            BlockingChannel other = conn.openChannel();
            CountDownLatch asleep = new CountDownLatch(2);
            Subtask<?> failingSleeper = TestSupport.sleeper(failing, asleep);
            Subtask<?> otherSleeper = TestSupport.sleeper(other, asleep);
            asleep.await();
            String missing = unique("missing");
            assertThatThrownBy(() -> failing.queueDeclarePassive(missing))
                    .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                        assertThat(e.replyCode()).isEqualTo(404);
                        assertThat(e.replyText()).startsWith("NOT_FOUND").contains(missing);
                        assertThat(e.failedMethod()).isEqualTo("queue.declare");
                    });
            assertThatThrownBy(failing::join).isInstanceOfSatisfying(ChannelClosedException.class,
                    e -> assertThat(e.replyCode()).isEqualTo(404));
            assertThat(failingSleeper.exception()).isInstanceOf(InterruptedException.class);
            assertThatThrownBy(() -> failing.queueDeclare(QueueSpec.serverNamed()))
                    .isInstanceOfSatisfying(ChannelClosedException.class, e -> assertThat(e.replyCode()).isEqualTo(404));
            assertThat(failing.isOpen()).isFalse();

            assertThat(conn.isOpen()).isTrue();
            assertThat(other.isOpen()).isTrue();
            assertThat(otherSleeper.state()).isEqualTo(Subtask.State.UNAVAILABLE);
            assertThat(other.queueDeclare(QueueSpec.serverNamed()).name()).startsWith("amq.gen-");
            failing.close();
            failing.close();
            other.close();
            assertThat(otherSleeper.exception()).isInstanceOf(InterruptedException.class);
        }
    }

    @Test
    void redeclareWithOtherArgumentsGives406AndClosesOnlyItsChannel(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            BlockingChannel first = conn.openChannel();
            BlockingChannel second = conn.openChannel();
            String queue = unique("args");
            QueueSpec spec = QueueSpec.named(queue).withDurable(false).withExclusive(true);
            first.queueDeclare(spec.withMessageTtl(Duration.ofSeconds(60)));
            assertThatThrownBy(() -> second.queueDeclare(spec.withMessageTtl(Duration.ofSeconds(30))))
                    .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                        assertThat(e.replyCode()).isEqualTo(406);
                        assertThat(e.replyText()).startsWith("PRECONDITION_FAILED").contains("x-message-ttl");
                        assertThat(e.failedMethod()).isEqualTo("queue.declare");
                        assertThat(e.channelNumber()).isEqualTo(second.channelNumber());
                    });
            assertThat(second.isOpen()).isFalse();
            assertThat(first.isOpen()).isTrue();
            assertThat(first.queueDeclarePassive(queue).name()).isEqualTo(queue);
            second.close();
            first.close();
        }
    }


    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
