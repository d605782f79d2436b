package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RabbitExtension.class)
@Timeout(60)
class HandleTest {
    private TestQueues queues;
    private BlockingConnection conn;

    @BeforeEach
    void setUp(RabbitBroker broker) throws Exception {
        queues = new TestQueues(broker);
        conn = Warren.connect(broker.uri());
    }

    @AfterEach
    void tearDown() throws Exception {
        conn.close();
        queues.close();
    }

    private String declare(BlockingChannel ch, QueueSpec spec) throws InterruptedException {
        return queues.declare(ch, spec);
    }

    @Test
    void concurrencyBoundIsNeverExceededAndEveryDeliveryIsAcked() throws Exception {
        int messages = 200;
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, TestQueues.spec(TestQueues.unique("bound")));
        queues.publishNumbered(q, "m", messages);
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(50));
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch firstFour = new CountDownLatch(4);
        CountDownLatch handled = new CountDownLatch(messages);
        var handling = ch.fork(() -> {
            sub.handle(4, d -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    // The first four wait for each other: the bound is reached, and a fifth would show.
                    firstFour.countDown();
                    firstFour.await();
                } finally {
                    running.decrementAndGet();
                }
                handled.countDown();
            });
            return "returned";
        });
        assertThat(handled.await(30, TimeUnit.SECONDS)).isTrue();
        sub.close();
        ch.join();
        assertThat(handling.get()).isEqualTo("returned");
        assertThat(most).hasValue(4);
        assertThat(ch.get(q)).isEmpty();
        assertThat(queues.ready(q)).isZero();
    }

    @Test
    void throwingHandlerNacksWithoutRequeueByDefault() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String dlq = declare(ch, TestQueues.spec(TestQueues.unique("dead")));
        String q = declare(ch, TestQueues.spec(TestQueues.unique("poison")).withDeadLetterExchange("")
                .withDeadLetterRoutingKey(dlq));
        queues.publish(q, "good", "bad", "good");
        Subscription sub = ch.consume(q);
        CountDownLatch seen = new CountDownLatch(3);
        ch.fork(() -> {
            sub.handle(1, d -> {
                seen.countDown();
                if (d.bodyAsString().equals("bad")) {
                    throw new IllegalArgumentException("poison");
                }
            });
            return null;
        });
        assertThat(seen.await(10, TimeUnit.SECONDS)).isTrue();
        Delivery dead = awaitGet(ch, dlq);
        assertThat(dead.bodyAsString()).isEqualTo("bad");
        dead.ack();
        sub.close();
        ch.join();
        assertThat(ch.get(q)).isEmpty();
    }

    @Test
    void throwingHandlerRequeuesWhenAskedTo() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, TestQueues.spec(TestQueues.unique("transient")));
        queues.publish(q, "flaky");
        Subscription sub = ch.consume(q);
        List<Boolean> redelivered = new ArrayList<>();
        CountDownLatch succeeded = new CountDownLatch(1);
        ch.fork(() -> {
            sub.handle(1, d -> {
                redelivered.add(d.envelope().isRedeliver());
                if (!d.envelope().isRedeliver()) {
                    throw new IllegalStateException("database down");
                }
                succeeded.countDown();
            }, true);
            return null;
        });
        assertThat(succeeded.await(10, TimeUnit.SECONDS)).isTrue();
        sub.close();
        ch.join();
        assertThat(redelivered).containsExactly(false, true);
        assertThat(ch.get(q)).isEmpty();
    }

    @Test
    void channelCloseCancelsRunningHandlersAndEndsHandleWithTheClosedException() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, TestQueues.spec(TestQueues.unique("close-mid")));
        queues.publish(q, "a", "b", "c");
        Subscription sub = ch.consume(q);
        CountDownLatch bothRunning = new CountDownLatch(2);
        Set<String> interrupted = ConcurrentHashMap.newKeySet();
        var handling = ch.fork(() -> {
            sub.handle(2, d -> {
                bothRunning.countDown();
                try {
                    Thread.sleep(Duration.ofDays(1));
                } catch (InterruptedException e) {
                    interrupted.add(d.bodyAsString());
                    throw e;
                }
            });
            return null;
        });
        assertThat(bothRunning.await(10, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> ch.queueDeclarePassive("warren.consume.missing"))
                .isInstanceOf(ChannelClosedException.class);
        assertThatThrownBy(ch::join).isInstanceOf(ChannelClosedException.class);
        assertThat(handling.state()).isEqualTo(Subtask.State.FAILED);
        assertThat(handling.exception()).isInstanceOfSatisfying(ChannelClosedException.class,
                e -> assertThat(e.replyCode()).isEqualTo(404));
        assertThat(interrupted).containsExactlyInAnyOrder("a", "b");
        // Nothing was settled: the broker requeued all three.
        assertThat(queues.ready(q)).isEqualTo(3);
    }

    @Test
    void interruptingHandleInterruptsItsHandlersAndRequeues() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, TestQueues.spec(TestQueues.unique("interrupt")));
        queues.publish(q, "slow");
        Subscription sub = ch.consume(q);
        CountDownLatch running = new CountDownLatch(1);
        AtomicInteger outcome = new AtomicInteger();
        CompletableFuture<Thread> caller = new CompletableFuture<>();
        // In a subtask: handle() forks the handlers, so only the owner and its subtasks may call it.
        ch.fork(() -> {
            caller.complete(Thread.currentThread());
            try {
                sub.handle(1, d -> {
                    running.countDown();
                    Thread.sleep(Duration.ofDays(1));
                });
                outcome.set(1);
            } catch (InterruptedException e) {
                outcome.set(2);
            }
            return null;
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        caller.get().interrupt();
        ch.join();
        assertThat(outcome).hasValue(2);
        Delivery again = sub.take();
        assertThat(again.bodyAsString()).isEqualTo("slow");
        assertThat(again.envelope().isRedeliver()).isTrue();
        again.ack();
        sub.close();
    }

    /** Polls with basic.get, up to a deadline: dead-lettering is asynchronous on the broker. */
    private static Delivery awaitGet(BlockingChannel ch, String q) {
        AtomicReference<Delivery> got = new AtomicReference<>();
        assertThat(TestSupport.awaitTrue(() -> {
            try {
                ch.get(q).ifPresent(got::set);
                return got.get() != null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }, Duration.ofSeconds(10))).as("a message in %s", q).isTrue();
        return got.get();
    }

    @Test
    void handleFromAThreadOutsideTheChannelsScopeIsRefused() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, TestQueues.spec(TestQueues.unique("outsider")));
        queues.publish(q, "untouched");
        Subscription sub = ch.consume(q);
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> outcome.complete(TestSupport.caught(() -> sub.handle(1, d -> { }))));
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(WrongThreadException.class);
        sub.close();
        // The requeue is on the wire when close returns; the broker applies it in its own time.
        assertThat(TestSupport.awaitTrue(() -> readyCount(q) == 1, Duration.ofSeconds(10)))
                .as("nothing was handled").isTrue();
        ch.close();
    }

    private int readyCount(String q) {
        try {
            return queues.ready(q);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aSubscriptionEndedBySiblingCancellationIsNoFailureOfItsOwn() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, TestQueues.spec(TestQueues.unique("sibling")));
        Subscription sub = ch.consume(q);
        CompletableFuture<Thread> iterating = new CompletableFuture<>();
        ch.fork(() -> {
            iterating.complete(Thread.currentThread());
            for (Delivery d : sub) {
                d.ack();
            }
            return null;
        });
        TestSupport.awaitParkedIn(iterating.get(10, TimeUnit.SECONDS), "awaitNext");
        IllegalStateException bug = new IllegalStateException("a sibling's own failure");
        ch.fork(() -> {
            throw bug;
        });
        // The iterator ends with CancellationException when cancelled; that is the sibling's doing.
        assertThatThrownBy(ch::join).isInstanceOfSatisfying(SubtaskFailedException.class, e -> {
            assertThat(e.getCause()).isSameAs(bug);
            assertThat(e.getSuppressed()).isEmpty();
        });
        sub.close();
        ch.close();
    }
}
