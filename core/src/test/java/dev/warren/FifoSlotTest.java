package dev.warren;

import static dev.warren.TestSupport.awaitParkedIn;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
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
            assertThat(ch.context().pendingCount()).isZero();
            String last = unique("last");
            assertThat(ch.queueDeclare(QueueSpec.named(last).withDurable(false).withExclusive(true)).name()).isEqualTo(last);
        }
    }
}
