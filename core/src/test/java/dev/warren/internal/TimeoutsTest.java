package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The timeouts thread of request/reply, without a broker: every call ends at its deadline, never
 * before it, and never much after it, whatever order the deadlines come in.
 */
@Timeout(60)
class TimeoutsTest {
    /** How late a timeout may fire on a loaded 2-core machine; a missed wake-up would be seconds late. */
    private static final long SLACK_NANOS = Duration.ofMillis(750).toNanos();

    private final Collection<RpcClient.Call> calls = new ConcurrentLinkedQueue<>();
    private final Timeouts timeouts = new Timeouts(calls, "test-call-timeouts");

    @AfterEach
    void stop() {
        timeouts.stop();
    }

    /** A call that waits (as far as the timeouts thread knows) until {@code timeout} from now. */
    private RpcClient.Call pending(Duration timeout) {
        RpcClient.Call call = new RpcClient.Call(System.nanoTime() + timeout.toNanos());
        calls.add(call);
        timeouts.register(call.deadline);
        return call;
    }

    /** Registers a call as RpcClient does, waits for its outcome and returns how late it came (ns). */
    private long waitOut(long timeoutNanos) throws InterruptedException {
        long deadline = Timeouts.deadlineIn(timeoutNanos);
        RpcClient.Call call = new RpcClient.Call(deadline);
        calls.add(call);
        try {
            timeouts.register(deadline);
            Object outcome = call.await(0);
            long late = System.nanoTime() - deadline;
            assertThat(outcome).isSameAs(OneShot.TIMED_OUT);
            assertThat(late).as("timed out before its deadline").isGreaterThanOrEqualTo(0);
            return late;
        } finally {
            calls.remove(call);
        }
    }

    @Test
    void callTimesOutAtItsDeadline() throws Exception {
        timeouts.start();
        assertThat(waitOut(Duration.ofMillis(100).toNanos())).isLessThan(SLACK_NANOS);
    }

    @Test
    void shortTimeoutRegisteredBehindLongOnesStillFiresOnTime() throws Exception {
        timeouts.start();
        RpcClient.Call longCall = pending(Duration.ofHours(1));
        assertThat(waitOut(Duration.ofMillis(50).toNanos())).isLessThan(SLACK_NANOS);
        assertThat(longCall.isDone()).isFalse();
    }

    @Test
    void thousandsOfCallsWithMixedDeadlinesFromManyThreadsEachEndOnTime() throws Exception {
        timeouts.start();
        // A call an hour away keeps the thread's target far off, so a missed registration shows.
        RpcClient.Call far = pending(Duration.ofHours(1));
        int threads = 200;
        int perThread = 25;
        List<Future<Long>> worst = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < threads; t++) {
                worst.add(pool.submit(() -> {
                    long max = 0;
                    for (int i = 0; i < perThread; i++) {
                        long timeout = Duration.ofMillis(ThreadLocalRandom.current().nextInt(1, 40)).toNanos();
                        max = Math.max(max, waitOut(timeout));
                    }
                    return max;
                }));
            }
        }
        for (Future<Long> w : worst) {
            assertThat(w.get()).isLessThan(SLACK_NANOS);
        }
        assertThat(far.isDone()).isFalse();
    }

    @Test
    void callRegisteredWhileAScanRunsIsHandedToThatScan() throws Exception {
        RpcClient.Call far = new RpcClient.Call(System.nanoTime() + Duration.ofHours(1).toNanos());
        calls.add(far);
        CountDownLatch scanning = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicBoolean hold = new AtomicBoolean(true);
        // The first scan sees the calls as they were when it began, then waits: a call that
        // registers meanwhile is invisible to it and must reach it through the hand-over.
        Collection<RpcClient.Call> view = new AbstractCollection<>() {
            @Override
            public Iterator<RpcClient.Call> iterator() {
                List<RpcClient.Call> snapshot = List.copyOf(calls);
                if (hold.getAndSet(false)) {
                    scanning.countDown();
                    try {
                        proceed.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
                return snapshot.iterator();
            }

            @Override
            public int size() {
                return calls.size();
            }
        };
        Timeouts gated = new Timeouts(view, "test-gated-timeouts");
        try {
            gated.start();
            assertThat(scanning.await(10, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + Duration.ofMillis(100).toNanos();
            RpcClient.Call during = new RpcClient.Call(deadline);
            calls.add(during);
            gated.register(deadline);
            proceed.countDown();
            assertThat(during.await(deadline + Duration.ofSeconds(5).toNanos()))
                    .as("timed out by the thread, not left until the far deadline")
                    .isSameAs(OneShot.TIMED_OUT);
            assertThat(System.nanoTime() - deadline).isBetween(0L, SLACK_NANOS);
            assertThat(far.isDone()).isFalse();
        } finally {
            proceed.countDown();
            gated.stop();
        }
    }

    @Test
    void completedCallIsLeftAlone() throws Exception {
        timeouts.start();
        RpcClient.Call call = pending(Duration.ofMillis(20));
        Object reply = new Object();
        assertThat(call.complete(reply)).isTrue();
        // The thread wakes at that deadline and must not overwrite the outcome.
        assertThat(waitOut(Duration.ofMillis(60).toNanos())).isLessThan(SLACK_NANOS);
        assertThat(call.await(0)).isSameAs(reply);
    }

    @Test
    void stopEndsTheThreadAndItsCallsAreLeftToTheCloseHook() throws Exception {
        timeouts.start();
        RpcClient.Call call = new RpcClient.Call(System.nanoTime() + Duration.ofMillis(10).toNanos());
        calls.add(call);
        timeouts.stop();
        assertThat(timeouts.thread().join(Duration.ofSeconds(10))).isTrue();
        timeouts.register(call.deadline); // after the stop: harmless, and nothing times it out
        assertThat(call.await(System.nanoTime() + Duration.ofMillis(100).toNanos())).isNull();
    }
}
