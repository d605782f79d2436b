package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.internal.Scope;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A channel is a structured-concurrency scope: forks, join, close, cancellation, ownership. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class ChannelScopeTest {
    private BlockingConnection conn;

    @BeforeEach
    void connect(RabbitBroker broker) {
        conn = Warren.connect(broker.uri());
    }

    @AfterEach
    void disconnect() {
        conn.close();
    }

    @Test
    void joinAndCloseFromAnotherThreadThrowWrongThreadException() throws Exception {
        BlockingChannel ch = conn.openChannel();
        CompletableFuture<Throwable> join = new CompletableFuture<>();
        CompletableFuture<Throwable> close = new CompletableFuture<>();
        CompletableFuture<Throwable> fork = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            join.complete(TestSupport.caught(ch::join));
            close.complete(TestSupport.caught(ch::close));
            fork.complete(TestSupport.caught(() -> ch.fork(() -> 1)));
        }).join();
        assertThat(join.get()).isInstanceOf(WrongThreadException.class).hasMessageContaining("join");
        assertThat(close.get()).isInstanceOf(WrongThreadException.class).hasMessageContaining("close");
        assertThat(fork.get()).isInstanceOf(WrongThreadException.class).hasMessageContaining("fork");
        assertThat(ch.isOpen()).as("the failed close closed nothing").isTrue();
        ch.close();
    }

    @Test
    void joinFromASubtaskThrowsWrongThreadException() throws Exception {
        BlockingChannel ch = conn.openChannel();
        Subtask<Object> s = ch.fork(() -> {
            ch.join();
            return null;
        });
        assertThatThrownBy(ch::join).isInstanceOf(SubtaskFailedException.class)
                .cause().isInstanceOf(WrongThreadException.class);
        assertThat(s.exception()).isInstanceOf(WrongThreadException.class);
        ch.close();
    }

    @Test
    void subtaskMayForkAndJoinWaitsForTheGrandchild() throws Exception {
        BlockingChannel ch = conn.openChannel();
        CountDownLatch childMayFinish = new CountDownLatch(1);
        AtomicReference<Subtask<String>> child = new AtomicReference<>();
        Subtask<String> parent = ch.fork(() -> {
            child.set(ch.fork(() -> {
                childMayFinish.await();
                return ch.queueDeclare(QueueSpec.serverNamed()).name();
            }));
            return "parent";
        });
        Thread releaser = Thread.ofVirtual().start(() -> {
            // The parent has returned; the child still runs: release it only then.
            while (parent.state() != Subtask.State.SUCCESS) {
                Thread.onSpinWait();
                Thread.yield();
            }
            childMayFinish.countDown();
        });
        ch.join();
        releaser.join();
        assertThat(parent.get()).isEqualTo("parent");
        assertThat(child.get().state()).isEqualTo(Subtask.State.SUCCESS);
        assertThat(child.get().get()).startsWith("amq.gen-");
        ch.close();
    }

    @Test
    void firstFailingSubtaskCancelsSiblingsAndJoinThrowsItAsCause() throws Exception {
        BlockingChannel ch = conn.openChannel();
        CountDownLatch asleep = new CountDownLatch(3);
        Subtask<?>[] sleepers = new Subtask<?>[3];
        for (int i = 0; i < sleepers.length; i++) {
            sleepers[i] = TestSupport.sleeper(ch, asleep);
        }
        asleep.await();
        IllegalStateException boom = new IllegalStateException("boom");
        Subtask<?> failing = ch.fork(() -> {
            throw boom;
        });
        assertThatThrownBy(ch::join).isInstanceOfSatisfying(SubtaskFailedException.class, e -> {
            assertThat(e.getCause()).isSameAs(boom);
            assertThat(e.getSuppressed()).as("cancellations are not failures").isEmpty();
        });
        assertThat(failing.exception()).isSameAs(boom);
        for (Subtask<?> s : sleepers) {
            assertThat(s.state()).isEqualTo(Subtask.State.FAILED);
            assertThat(s.exception()).isInstanceOf(InterruptedException.class);
        }
        // The failure was reported once; the channel and its scope carry on.
        assertThat(ch.isOpen()).isTrue();
        Subtask<Integer> after = ch.fork(() -> 42);
        ch.join();
        assertThat(after.get()).isEqualTo(42);
        ch.close();
    }

    @Test
    void closeCancelsRunningSubtasksAndWaitsForThem() throws Exception {
        int before = Scope.liveThreads();
        BlockingChannel ch = conn.openChannel();
        CountDownLatch asleep = new CountDownLatch(1);
        Subtask<?> sleeper = TestSupport.sleeper(ch, asleep);
        asleep.await();
        ch.close();
        assertThat(sleeper.state()).isEqualTo(Subtask.State.FAILED);
        assertThat(sleeper.exception()).isInstanceOf(InterruptedException.class);
        assertThat(Scope.liveThreads()).isEqualTo(before);
        assertThat(conn.openChannelCount()).isZero();
    }

    @Test
    void closeIsIdempotentAndLaterCallsFailAtOnce() throws Exception {
        BlockingChannel ch = conn.openChannel();
        assertThat(ch.isOpen()).isTrue();
        ch.close();
        ch.close();
        assertThat(ch.isOpen()).isFalse();
        assertThat(conn.isOpen()).isTrue();
        assertThatThrownBy(() -> ch.queueDeclare(QueueSpec.serverNamed()))
                .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                    assertThat(e.replyCode()).isEqualTo(200);
                    assertThat(e.initiatedByBroker()).isFalse();
                });
        assertThatThrownBy(() -> ch.fork(() -> 1)).isInstanceOf(IllegalStateException.class);
        ch.join();
    }

    @Test
    void connectionCloseClosesItsChannelsAndIsIdempotent() throws Exception {
        BlockingChannel a = conn.openChannel();
        BlockingChannel b = conn.openChannel();
        CountDownLatch asleep = new CountDownLatch(1);
        Subtask<?> sleeper = TestSupport.sleeper(b, asleep);
        asleep.await();
        assertThat(conn.openChannelCount()).isEqualTo(2);
        conn.close();
        conn.close();
        assertThat(conn.isOpen()).isFalse();
        assertThat(a.isOpen()).isFalse();
        assertThat(b.isOpen()).isFalse();
        assertThat(sleeper.state()).isEqualTo(Subtask.State.FAILED);
        assertThat(conn.openChannelCount()).isZero();
        assertThatThrownBy(conn::openChannel).isInstanceOfSatisfying(ConnectionClosedException.class,
                e -> assertThat(e.replyCode()).isEqualTo(200));
        assertThatThrownBy(() -> a.queueDeclarePassive("amq.direct")).isInstanceOf(ClosedException.class);
        a.close();
        b.close();
    }

}
