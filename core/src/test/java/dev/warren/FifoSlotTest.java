package dev.warren;

import static dev.warren.TestSupport.awaitParkedIn;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.TcpProxy;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Synchronous methods take turns; an interrupted caller never puts the channel out of step. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class FifoSlotTest {

    @Test
    void interruptingACallerQueuedForTheSlotLeavesTheChannelInStep(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = TestSupport.holdSlot(ch, release);
            String[] names = {unique("first"), unique("interrupted"), unique("third")};
            List<CompletableFuture<DeclaredQueue>> results = new ArrayList<>();
            List<Thread> callers = new ArrayList<>();
            for (String name : names) {
                CompletableFuture<DeclaredQueue> result = new CompletableFuture<>();
                Thread t = Thread.ofVirtual().start(() -> {
                    try {
                        result.complete(ch.queueDeclare(QueueSpec.named(name).withDurable(false).withExclusive(true)));
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                });
                // One after the other, so that the slot's queue is in this order.
                awaitParkedIn(t, "acquireSlot");
                results.add(result);
                callers.add(t);
            }
            callers.get(1).interrupt();
            assertThat(results.get(1)).failsWithin(java.time.Duration.ofSeconds(10))
                    .withThrowableThat().havingCause().isInstanceOf(InterruptedException.class);
            release.countDown();
            holder.join();
            assertThat(results.get(0).get().name()).isEqualTo(names[0]);
            assertThat(results.get(2).get().name()).isEqualTo(names[2]);
            String last = unique("last");
            assertThat(ch.queueDeclare(QueueSpec.named(last).withDurable(false).withExclusive(true)).name()).isEqualTo(last);
            // The interrupted caller's method was never sent.
            try (BlockingChannel probe = conn.openChannel()) {
                assertThatThrownBy(() -> probe.queueDeclarePassive(names[1]))
                        .isInstanceOfSatisfying(ChannelClosedException.class, e -> assertThat(e.replyCode()).isEqualTo(404));
            }
            assertThat(ch.isOpen()).isTrue();
        }
    }

    @Test
    void queuedCallersAreServedInTheOrderTheyQueued(RabbitBroker broker) throws Exception {
        int callers = 10;
        try (TestQueues queues = new TestQueues(broker); BlockingConnection conn = Warren.connect(broker.uri());
                BlockingChannel ch = conn.openChannel()) {
            String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("fifo-order")));
            queues.publishNumbered(q, "m", callers);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = TestSupport.holdSlot(ch, release);
            // basic.get goes through the slot: the i-th caller in the queue must get the i-th message.
            List<CompletableFuture<String>> got = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                CompletableFuture<String> body = new CompletableFuture<>();
                Thread t = Thread.ofVirtual().start(() -> {
                    try {
                        Delivery d = ch.get(q).orElseThrow();
                        d.ack();
                        body.complete(d.bodyAsString());
                    } catch (Throwable e) {
                        body.completeExceptionally(e);
                    }
                });
                awaitParkedIn(t, "acquireSlot");
                got.add(body);
            }
            release.countDown();
            holder.join();
            for (int i = 0; i < callers; i++) {
                assertThat(got.get(i)).as("caller %d", i).succeedsWithin(Duration.ofSeconds(10)).isEqualTo("m" + i);
            }
        }
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void interruptedCallersWhoseFramesFillTheSocketLeaveTheChannelInStep(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            ConnectionOptions options = ConnectionOptions.of(proxy.uri(broker.uri())).withConnectionName(unique("full-socket"));
            try (BlockingConnection conn = Warren.connect(options); BlockingChannel ch = conn.openChannel()) {
                String q = ch.queueDeclare(QueueSpec.named(unique("full-socket")).durable(false).exclusive(true)).name();
                proxy.pause(); // nothing is forwarded: once the kernel's buffers are full, writes block
                byte[] body = new byte[1 << 20];
                List<Thread> publishers = new ArrayList<>();
                List<CompletableFuture<Throwable>> outcomes = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
                    publishers.add(Thread.ofVirtual().start(() -> outcome.complete(TestSupport.caught(
                            () -> ch.publish("", q, body)))));
                    outcomes.add(outcome);
                }
                // Whichever thread writes (a publisher itself, or a writer of Warren's own) is stuck
                // now; the caller to interrupt is that publisher, else the first one, whose frame waits.
                Thread writing = awaitBlockedInSocketWrite(publishers);
                Thread publisher = publishers.contains(writing) ? writing : publishers.getFirst();
                // A synchronous method whose frame queues behind the full socket.
                CompletableFuture<Throwable> declare = new CompletableFuture<>();
                Thread caller = Thread.ofVirtual().start(() -> declare.complete(TestSupport.caught(
                        () -> ch.queueDeclare(QueueSpec.named(unique("behind")).durable(false).exclusive(true)))));
                outcomes.add(declare);
                assertThat(TestSupport.awaitTrue(() -> caller.getState() != Thread.State.RUNNABLE
                        && !declare.isDone(), Duration.ofSeconds(10))).isTrue();

                publisher.interrupt();
                caller.interrupt();
                proxy.resume();

                for (CompletableFuture<Throwable> o : outcomes) {
                    assertThat(o.get(30, TimeUnit.SECONDS)).satisfiesAnyOf(
                            e -> assertThat(e).isNull(), e -> assertThat(e).isInstanceOf(InterruptedException.class));
                }
                assertThat(conn.isOpen()).as("connection open").isTrue();
                assertThat(ch.isOpen()).as("channel open").isTrue();
                String last = unique("last");
                assertThat(ch.queueDeclare(QueueSpec.named(last).durable(false).exclusive(true)).name()).isEqualTo(last);
                ch.publish("", q, new byte[1]);
                assertThat(ch.context().pendingCount()).isZero();
            }
        }
    }

    /**
     * Waits until a thread is blocked in a socket write, one of {@code callers} or a platform
     * thread (a writer of Warren's own), and returns it.
     */
    private static Thread awaitBlockedInSocketWrite(List<Thread> callers) {
        Thread[] found = new Thread[1];
        boolean blocked = TestSupport.awaitTrue(() -> {
            List<Thread> all = new ArrayList<>(callers);
            all.addAll(Thread.getAllStackTraces().keySet());
            for (Thread t : all) {
                if (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.RUNNABLE) {
                    if (Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getMethodName().equals("implWrite")
                            || f.getMethodName().equals("socketWrite0"))) {
                        found[0] = t;
                        return true;
                    }
                }
            }
            return false;
        }, Duration.ofSeconds(20));
        assertThat(blocked).as("a thread blocked in a socket write").isTrue();
        return found[0];
    }

    @Test
    void callersInterruptedAtRandomNeverShiftTheRepliesOfOthers(RabbitBroker broker) throws Exception {
        int workers = 4;
        int perWorker = 100;
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            AtomicInteger interruptedQueued = new AtomicInteger();
            AtomicInteger interruptedAwaiting = new AtomicInteger();
            AtomicInteger answered = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(workers);
            for (int w = 0; w < workers; w++) {
                int worker = w;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < perWorker; i++) {
                            String name = unique("w" + worker + "." + i);
                            try {
                                DeclaredQueue q = ch.queueDeclare(QueueSpec.named(name).withDurable(false).withExclusive(true));
                                answered.incrementAndGet();
                                if (!q.name().equals(name)) {
                                    wrong.add("asked " + name + ", got " + q.name());
                                }
                            } catch (InterruptedException e) {
                                boolean queued = Arrays.stream(e.getStackTrace())
                                        .anyMatch(f -> f.getMethodName().equals("acquireSlot"));
                                (queued ? interruptedQueued : interruptedAwaiting).incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        wrong.add(e.toString());
                    } finally {
                        done.countDown();
                    }
                }));
            }
            AtomicBoolean stop = new AtomicBoolean();
            Thread interrupter = Thread.ofVirtual().start(() -> {
                // About one interrupt per three calls, wherever the caller is at that moment.
                while (!stop.get()) {
                    int target = answered.get() + interruptedQueued.get() + interruptedAwaiting.get() + 3;
                    threads.get(ThreadLocalRandom.current().nextInt(workers)).interrupt();
                    while (!stop.get() && answered.get() + interruptedQueued.get() + interruptedAwaiting.get() < target) {
                        Thread.yield();
                    }
                }
            });
            done.await();
            stop.set(true);
            interrupter.join();
            assertThat(wrong).isEmpty();
            assertThat(answered.get()).isPositive();
            assertThat(interruptedAwaiting.get()).as("callers interrupted while awaiting their reply").isPositive();
            assertThat(interruptedQueued.get()).as("callers interrupted while queued").isPositive();
            assertThat(ch.isOpen()).isTrue();
            // An interrupted caller's method stays in flight until its reply comes, just after.
            assertThat(TestSupport.awaitTrue(() -> ch.context().pendingCount() == 0, Duration.ofSeconds(10)))
                    .as("nothing pending once the last replies came").isTrue();
            String last = unique("last");
            assertThat(ch.queueDeclare(QueueSpec.named(last).withDurable(false).withExclusive(true)).name()).isEqualTo(last);
        }
    }
}
