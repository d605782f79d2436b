package dev.warren;

import static dev.warren.TestSupport.AMQP_THREAD_PREFIX;
import static dev.warren.TestSupport.amqpThreads;
import static dev.warren.TestSupport.awaitNoAmqpThreads;
import static dev.warren.TestSupport.awaitParkedIn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.internal.Scope;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Nothing Warren starts outlives the connection it belongs to. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class LeakTest {
    private static final int CHANNELS = 4;
    private static final int PER_CHANNEL = 250;

    @Test
    void everyPlatformThreadOfAmqpClientCarriesWarrensPrefix(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            ch.queueDeclare(QueueSpec.serverNamed());
            List<Thread> amqpClientThreads = Thread.getAllStackTraces().entrySet().stream()
                    .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("com.rabbitmq.")))
                    .map(e -> e.getKey())
                    .toList();
            // The connection's reader (main loop) thread at least runs amqp-client code now.
            assertThat(amqpClientThreads).isNotEmpty();
            assertThat(amqpClientThreads).allSatisfy(t -> assertThat(t.getName()).startsWith(AMQP_THREAD_PREFIX));
        }
        awaitNoAmqpThreads();
    }

    @Test
    void closeLeavesNoThreadAndNoPendingOperationAfterThousandsOfSubtasks(RabbitBroker broker) throws Exception {
        int threadsBefore = Scope.liveThreads();
        BlockingConnection conn = Warren.connect(broker.uri());
        List<BlockingChannel> channels = new ArrayList<>();
        List<Subtask<?>> cancelled = new ArrayList<>();
        CountDownLatch started = new CountDownLatch(CHANNELS * PER_CHANNEL);
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> holders = new ArrayList<>();
        try {
            for (int c = 0; c < CHANNELS; c++) {
                channels.add(conn.openChannel());
            }
            // 1000 subtasks that finish, each with a round trip through the pending registry.
            for (BlockingChannel ch : channels) {
                List<Subtask<Integer>> finished = new ArrayList<>();
                for (int i = 0; i < PER_CHANNEL; i++) {
                    int prefetch = i;
                    finished.add(ch.fork(() -> {
                        ch.basicQos(prefetch);
                        return prefetch;
                    }));
                }
                ch.join();
                assertThat(finished).allSatisfy(s -> assertThat(s.state()).isEqualTo(Subtask.State.SUCCESS));
                assertThat(ch.context().pendingCount()).isZero();
            }
            // 1000 subtasks that are cancelled by the close: asleep, queued for the FIFO slot, or
            // waiting on an operation of the pending registry.
            for (BlockingChannel ch : channels) {
                Thread holder = TestSupport.holdSlot(ch, release);
                holders.add(holder);
                started.countDown();
                for (int i = 1; i < PER_CHANNEL; i++) {
                    Subtask<?> s = switch (i % 3) {
                        case 0 -> ch.fork(() -> {
                            started.countDown();
                            Thread.sleep(Duration.ofDays(1));
                            return null;
                        });
                        case 1 -> ch.fork(() -> {
                            started.countDown();
                            return ch.queueDeclare(QueueSpec.serverNamed());
                        });
                        default -> ch.fork(() -> {
                            started.countDown();
                            return ch.context().await(new CompletableFuture<Void>());
                        });
                    };
                    cancelled.add(s);
                }
            }
            started.await();
            assertThat(channels.stream().mapToInt(ch -> ch.context().pendingCount()).sum())
                    .as("operations waiting in the registries").isPositive();
        } finally {
            conn.close();
            release.countDown();
            for (Thread t : holders) {
                t.join();
            }
        }
        assertThat(Scope.liveThreads()).isEqualTo(threadsBefore);
        assertThat(cancelled).allSatisfy(s -> assertThat(s.state()).isEqualTo(Subtask.State.FAILED));
        assertThat(channels).allSatisfy(ch -> {
            assertThat(ch.context().pendingCount()).isZero();
            assertThat(ch.isOpen()).isFalse();
        });
        assertThat(conn.openChannelCount()).isZero();
        awaitNoAmqpThreads();
    }
}
