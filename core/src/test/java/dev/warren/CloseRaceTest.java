package dev.warren;

import static dev.warren.TestSupport.awaitParkedIn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Command;
import com.rabbitmq.client.Method;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.internal.ChannelContext;
import dev.warren.internal.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The close callback against waiters, without a broker: a stubbed amqp-client channel whose
 * close the test fires at chosen moments, and {@link ChannelContext} and {@link Scope} directly.
 */
@Timeout(60)
class CloseRaceTest {
    private static final int ITERATIONS = Integer.getInteger("warren.race.iterations", 3000);

    private static final Consumer<Throwable> STUBBED_406 = e -> {
        assertThat(e).isInstanceOf(ChannelClosedException.class);
        ChannelClosedException c = (ChannelClosedException) e;
        assertThat(c.replyCode()).isEqualTo(406);
        assertThat(c.failedMethod()).isEqualTo("queue.declare");
        assertThat(c.channelNumber()).isEqualTo(7);
        assertThat(c.initiatedByBroker()).isTrue();
    };

    // ------------------------------------------------------------ chosen moments

    @Test
    void closeBeforeTheWaiterRegistersFailsItAtOnce() {
        StubChannel stub = new StubChannel(7);
        ChannelContext ctx = stub.context();
        stub.fire(stub.channelError());
        assertThatThrownBy(() -> ctx.await(new CompletableFuture<String>())).satisfies(STUBBED_406);
        assertThatThrownBy(() -> ctx.rpc(declare("q"))).satisfies(STUBBED_406);
        assertThat(stub.rpcs).as("nothing was sent").isEmpty();
        assertThat(ctx.pendingCount()).isZero();
    }

    @Test
    void closeOfAChannelClosedBeforeTheContextExistedIsSeen() {
        StubChannel stub = new StubChannel(7);
        stub.fire(stub.channelError());
        ChannelContext ctx = stub.context();
        assertThat(ctx.closedCause()).satisfies(STUBBED_406);
        assertThatThrownBy(ctx::ensureOpen).satisfies(STUBBED_406);
    }

    @Test
    void closeWhileWaitingFailsTheWaiterAndUnregistersIt() throws Exception {
        StubChannel stub = new StubChannel(7);
        ChannelContext ctx = stub.context();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> outcome.complete(TestSupport.caught(() -> ctx.await(new CompletableFuture<>()))));
        awaitParkedIn(waiter, "await");
        assertThat(ctx.pendingCount()).isEqualTo(1);
        stub.fire(stub.channelError());
        assertThat(outcome.get(10, TimeUnit.SECONDS)).satisfies(STUBBED_406);
        assertThat(ctx.pendingCount()).isZero();
    }

    @Test
    void closeThatInterruptsTheWaiterGivesTheCloseNotAnInterruptedException() throws Exception {
        StubChannel stub = new StubChannel(7);
        ChannelContext ctx = stub.context();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        CompletableFuture<Boolean> interruptedAfter = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
        Thread waiter = Thread.ofVirtual().unstarted(() -> {
            outcome.complete(TestSupport.caught(() -> ctx.await(new CompletableFuture<>())));
            while (!fired.get()) {
                Thread.onSpinWait();
            }
            interruptedAfter.complete(Thread.currentThread().isInterrupted());
        });
        // As a channel's scope does: the close interrupts its subtasks.
        ctx.onClose(c -> waiter.interrupt());
        waiter.start();
        awaitParkedIn(waiter, "await");
        stub.fire(stub.channelError());
        fired.set(true);
        assertThat(outcome.get(10, TimeUnit.SECONDS)).satisfies(STUBBED_406);
        assertThat(interruptedAfter.get(10, TimeUnit.SECONDS)).as("the interrupt is not swallowed").isTrue();
    }

    @Test
    void closeAfterCompletionLeavesTheValueToTheWaiter() throws Exception {
        StubChannel stub = new StubChannel(7);
        ChannelContext ctx = stub.context();
        CompletableFuture<String> f = new CompletableFuture<>();
        f.complete("value");
        Thread.currentThread().interrupt();
        stub.fire(stub.channelError());
        try {
            assertThat(ctx.await(f)).as("a completed operation is not failed by a later close").isEqualTo("value");
        } finally {
            Thread.interrupted();
        }
        assertThat(ctx.pendingCount()).isZero();
    }

    @Test
    void rpcFailedByAmqpClientBeforeTheListenerRunsGivesTheSameClose() throws Exception {
        StubChannel stub = new StubChannel(7);
        ChannelContext ctx = stub.context();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> outcome.complete(TestSupport.caught(() -> ctx.rpc(declare("q")))));
        StubChannel.Rpc inFlight = stub.rpcs.take();
        // amqp-client fails the method in flight with the signal first, then calls the listeners.
        stub.fire(stub.channelError(), inFlight);
        assertThat(outcome.get(10, TimeUnit.SECONDS)).satisfies(STUBBED_406);
        assertThat(ctx.closedCause()).satisfies(STUBBED_406);
    }

    @Test
    void alreadyClosedExceptionSeenBeforeTheListenerRunsMapsToTheOriginalClose() {
        StubChannel stub = new StubChannel(7);
        ChannelContext ctx = stub.context();
        ShutdownSignalException lost = new ShutdownSignalException(true, false, null, stub.channel);
        lost.initCause(new java.net.SocketException("Connection reset"));
        // amqp-client records the close, then a caller's next call fails, then the listeners run.
        stub.closeWithoutNotifying(lost);
        RuntimeException e = ctx.translate(new AlreadyClosedException(lost));
        assertThat(e).isInstanceOfSatisfying(ConnectionClosedException.class, c -> {
            assertThat(c.replyCode()).isZero();
            assertThat(c.replyText()).isEqualTo("network failure: java.net.SocketException: Connection reset");
        });
        stub.fire(lost);
        assertThat(ctx.closedCause().replyText()).isEqualTo(((ClosedException) e).replyText());
    }

    @Test
    void callerInterruptedAwaitingItsReplyKeepsTheSlotUntilTheReplySoTheNextGetsItsOwn() throws Exception {
        StubChannel stub = new StubChannel(7);
        ChannelContext ctx = stub.context();
        CompletableFuture<Throwable> first = new CompletableFuture<>();
        Thread a = Thread.ofVirtual().start(() -> first.complete(TestSupport.caught(() -> ctx.rpc(declare("a")))));
        StubChannel.Rpc sentA = stub.rpcs.take();
        awaitParkedIn(a, "await");
        a.interrupt();
        assertThat(first.get(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);

        CompletableFuture<Command> second = new CompletableFuture<>();
        Thread b = Thread.ofVirtual().start(() -> {
            try {
                second.complete(ctx.rpc(declare("b")));
            } catch (Throwable e) {
                second.completeExceptionally(e);
            }
        });
        awaitParkedIn(b, "acquireSlot");
        assertThat(stub.rpcs).as("b waits until a's reply has come").isEmpty();
        sentA.answer();
        StubChannel.Rpc sentB = stub.rpcs.poll(10, TimeUnit.SECONDS);
        assertThat(sentB).isNotNull();
        sentB.answer();
        assertThat(queueOf(second.get(10, TimeUnit.SECONDS))).isEqualTo("b");
        assertThat(ctx.pendingCount()).isZero();
    }

    // ------------------------------------------------------------ races

    @Test
    void awaitRacingCompletionAndCloseNeverHangsNorGetsTheWrongOutcome() throws Exception {
        for (int i = 0; i < ITERATIONS; i++) {
            StubChannel stub = new StubChannel(7);
            ChannelContext ctx = stub.context();
            CompletableFuture<String> f = new CompletableFuture<>();
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            CountDownLatch go = new CountDownLatch(1);
            int[] delays = {random(), random(), random()};
            Thread waiter = Thread.ofVirtual().unstarted(() -> {
                awaitGo(go, delays[0]);
                try {
                    outcome.complete(ctx.await(f));
                } catch (Throwable e) {
                    outcome.complete(e);
                }
            });
            ctx.onClose(c -> waiter.interrupt());
            waiter.start();
            Thread completer = Thread.ofVirtual().start(() -> {
                awaitGo(go, delays[1]);
                f.complete("value");
            });
            Thread closer = Thread.ofVirtual().start(() -> {
                awaitGo(go, delays[2]);
                stub.fire(stub.channelError());
            });
            go.countDown();
            joinAll(i, waiter, completer, closer);
            Object result = outcome.getNow(null);
            int iteration = i;
            if (!f.isCompletedExceptionally()) {
                assertThat(result).as("iteration %d: the operation completed", iteration).isEqualTo("value");
            } else {
                assertThat(result).as("iteration %d: the close won", iteration).isInstanceOf(Throwable.class);
                assertThat((Throwable) result).satisfies(STUBBED_406);
            }
            assertThat(ctx.pendingCount()).as("iteration %d", i).isZero();
        }
    }

    @Test
    void rpcsRacingRepliesAndCloseNeverHangNorGetAnotherCallersReply() throws Exception {
        int callers = 4;
        for (int i = 0; i < ITERATIONS / 3; i++) {
            StubChannel stub = new StubChannel(7);
            ChannelContext ctx = stub.context();
            List<CompletableFuture<Object>> outcomes = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int c = 0; c < callers; c++) {
                String queue = "q" + c;
                CompletableFuture<Object> outcome = new CompletableFuture<>();
                outcomes.add(outcome);
                int delay = random();
                Thread t = Thread.ofVirtual().unstarted(() -> {
                    awaitGo(go, delay);
                    try {
                        outcome.complete(queueOf(ctx.rpc(declare(queue))));
                    } catch (Throwable e) {
                        outcome.complete(e);
                    }
                });
                threads.add(t);
            }
            // Half the callers are cancelled by the close, as subtasks are.
            List<Thread> cancelled = List.copyOf(threads.subList(0, callers / 2));
            ctx.onClose(c -> cancelled.forEach(Thread::interrupt));
            threads.forEach(Thread::start);
            // The broker: answers each method in turn, until the channel closes.
            int answers = ThreadLocalRandom.current().nextInt(callers + 1);
            Thread broker = Thread.ofVirtual().start(() -> {
                try {
                    for (int n = 0; n < answers; n++) {
                        StubChannel.Rpc rpc = stub.rpcs.poll(10, TimeUnit.SECONDS);
                        if (rpc == null || !stub.channel.isOpen()) {
                            return;
                        }
                        rpc.answer();
                    }
                    StubChannel.Rpc inFlight = stub.rpcs.poll(1, TimeUnit.MILLISECONDS);
                    stub.fire(stub.channelError(), inFlight);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            go.countDown();
            threads.add(broker);
            joinAll(i, threads.toArray(Thread[]::new));
            stub.fire(stub.channelError());
            for (int c = 0; c < callers; c++) {
                Object result = outcomes.get(c).getNow(null);
                int iteration = i;
                if (result instanceof String q) {
                    assertThat(q).as("iteration %d: caller %d got its own reply", iteration, c).isEqualTo("q" + c);
                } else {
                    assertThat(result).as("iteration %d: caller %d", iteration, c).isInstanceOf(Throwable.class);
                    assertThat((Throwable) result).satisfies(STUBBED_406);
                }
            }
            assertThat(ctx.pendingCount()).as("iteration %d", i).isZero();
        }
    }

    @Test
    void forkRacingCancelAllLeavesNoSubtaskRunning() throws Exception {
        int before = Scope.liveThreads();
        for (int i = 0; i < ITERATIONS; i++) {
            Scope scope = new Scope("race");
            CountDownLatch go = new CountDownLatch(1);
            List<Subtask<Object>> forked = new ArrayList<>();
            int forkDelay = random();
            int cancelDelay = random();
            Thread forker = Thread.ofVirtual().start(() -> {
                awaitGo(go, forkDelay);
                for (int n = 0; n < 3; n++) {
                    forked.add(scope.fork(() -> {
                        Thread.sleep(Duration.ofDays(1));
                        return null;
                    }));
                }
            });
            Thread canceller = Thread.ofVirtual().start(() -> {
                awaitGo(go, cancelDelay);
                scope.cancelAll();
            });
            go.countDown();
            joinAll(i, forker, canceller);
            Thread idle = Thread.ofVirtual().start(scope::awaitIdleUninterruptibly);
            joinAll(i, idle);
            int iteration = i;
            assertThat(forked).as("iteration %d", iteration).hasSize(3).allSatisfy(s -> {
                assertThat(s.state()).isEqualTo(Subtask.State.FAILED);
                assertThat(s.exception()).isInstanceOf(InterruptedException.class);
            });
            assertThat(scope.liveCount()).isZero();
        }
        assertThat(Scope.liveThreads()).isEqualTo(before);
    }

    @Test
    void forkRacingShutdownEitherRefusesOrCancels() throws Exception {
        for (int i = 0; i < ITERATIONS; i++) {
            Scope scope = new Scope("race");
            CountDownLatch go = new CountDownLatch(1);
            List<Subtask<Object>> forked = new ArrayList<>();
            CompletableFuture<Throwable> refused = new CompletableFuture<>();
            int forkDelay = random();
            int shutDelay = random();
            Thread forker = Thread.ofVirtual().start(() -> {
                awaitGo(go, forkDelay);
                try {
                    forked.add(scope.fork(() -> {
                        Thread.sleep(Duration.ofDays(1));
                        return null;
                    }));
                    refused.complete(null);
                } catch (Throwable e) {
                    refused.complete(e);
                }
            });
            Thread closer = Thread.ofVirtual().start(() -> {
                awaitGo(go, shutDelay);
                scope.shutdown();
            });
            go.countDown();
            joinAll(i, forker, closer);
            joinAll(i, Thread.ofVirtual().start(scope::awaitIdleUninterruptibly));
            Throwable r = refused.getNow(null);
            if (r != null) {
                assertThat(r).isInstanceOf(IllegalStateException.class);
                assertThat(forked).isEmpty();
            } else {
                assertThat(forked.get(0).exception()).isInstanceOf(InterruptedException.class);
            }
        }
    }

    // ------------------------------------------------------------ helpers

    private static Method declare(String queue) {
        return new AMQP.Queue.Declare.Builder().queue(queue).build();
    }

    private static String queueOf(Command reply) {
        return ((AMQP.Queue.Declare) reply.getMethod()).getQueue();
    }

    /** A short random spin, to shift the racing threads against each other. */
    private static int random() {
        return ThreadLocalRandom.current().nextInt(2000);
    }

    private static void awaitGo(CountDownLatch go, int spins) {
        try {
            go.await();
        } catch (InterruptedException e) {
            // Interrupted by the close before it began: carry on, as a real caller would.
            Thread.currentThread().interrupt();
        }
        for (int s = 0; s < spins; s++) {
            Thread.onSpinWait();
        }
    }

    private static void joinAll(int iteration, Thread... threads) throws InterruptedException {
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofSeconds(10))).as("iteration %d: %s ended; stack %s", iteration, t,
                    java.util.Arrays.toString(t.getStackTrace())).isTrue();
        }
    }

}
