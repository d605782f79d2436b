package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A delivery that {@code handle()} drops is reported through {@link ConsumeOptions#withOnDropped}. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class DroppedDeliveryTest {
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

    private record Drop(String body, Throwable failure, boolean settled) {}

    @Test
    void aHandlerFailureThatNacksWithoutRequeueIsReportedWithTheDeliveryAndTheException() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("dropped")));
        queues.publish(q, "good", "bad", "good");
        List<Drop> drops = new CopyOnWriteArrayList<>();
        CountDownLatch reported = new CountDownLatch(1);
        IllegalArgumentException poison = new IllegalArgumentException("poison");
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withOnDropped((d, e) -> {
            drops.add(new Drop(d.bodyAsString(), e, d.isSettled()));
            reported.countDown();
        }));
        CountDownLatch seen = new CountDownLatch(3);
        ch.fork(() -> {
            sub.handle(1, d -> {
                seen.countDown();
                if (d.bodyAsString().equals("bad")) {
                    throw poison;
                }
            });
        });
        assertThat(seen.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(reported.await(10, TimeUnit.SECONDS)).isTrue();
        sub.close();
        ch.join();
        assertThat(drops).containsExactly(new Drop("bad", poison, true));
        assertThat(queues.ready(q)).isZero();
    }

    @Test
    void aRequeuedFailureIsNotReportedAsDropped() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("requeued")));
        queues.publish(q, "flaky");
        List<Drop> drops = new CopyOnWriteArrayList<>();
        Subscription sub = ch.consume(q, ConsumeOptions.defaults()
                .withOnDropped((d, e) -> drops.add(new Drop(d.bodyAsString(), e, d.isSettled()))));
        CountDownLatch twice = new CountDownLatch(2);
        ch.fork(() -> {
            sub.handle(1, d -> {
                twice.countDown();
                if (!d.redelivered()) {
                    throw new IllegalStateException("transient");
                }
            }, true);
        });
        assertThat(twice.await(10, TimeUnit.SECONDS)).isTrue();
        sub.close();
        ch.join();
        assertThat(drops).isEmpty();
    }

    @Test
    void aListenerThatThrowsFailsTheSubtaskSoJoinThrowsIt() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("stop")));
        queues.publish(q, "bad");
        IllegalStateException stop = new IllegalStateException("a message was dropped");
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withOnDropped((d, e) -> {
            throw stop;
        }));
        ch.fork(() -> {
            sub.handle(1, d -> {
                throw new IllegalArgumentException("poison");
            });
        });
        assertThatThrownBy(ch::join).isInstanceOf(SubtaskFailedException.class).hasCause(stop);
    }
}
