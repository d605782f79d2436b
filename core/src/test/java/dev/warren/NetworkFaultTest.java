package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A frozen or cut network between a robust connection and the broker (a {@link TcpProxy}). */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class NetworkFaultTest {
    private static final Duration HEARTBEAT = Duration.ofSeconds(2);
    private static final Duration MAX_BACKOFF = Duration.ofMillis(500);

    @Test
    void aFrozenNetworkIsDetectedByMissedHeartbeatsAndRecoveredWithinTwoHeartbeatsAndTheBackoff(RabbitBroker broker)
            throws Exception {
        String queue = unique("frozen-q");
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(proxy.uri(broker.uri()))
                     .withConnectionName(unique("frozen")).withHeartbeat(HEARTBEAT)
                     .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(100), MAX_BACKOFF)))) {
            RecoveryEvents events = RecoveryEvents.on(rc);
            // Once the loss is seen, the network comes back: the next connection goes through.
            rc.addListener(new RecoveryListener() {
                @Override
                public void connectionLost(ConnectionClosedException cause) {
                    proxy.resume();
                }
            });
            CountDownLatch running = new CountDownLatch(1);
            Supervised work = rc.supervise(c -> {
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(QueueSpec.named(queue).durable(false).autoDelete(true));
                    running.countDown();
                    try (Subscription s = ch.consume(queue)) {
                        s.take();
                    }
                }
            });
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

            long frozenAt = System.nanoTime();
            proxy.pause();
            CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
                try {
                    rc.publish("", queue, Message.text("during the freeze"));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, r -> Thread.ofVirtual().start(r));
            RecoveryEvents.Event lost = events.next("lost", Duration.ofSeconds(15));
            RecoveryEvents.Event recovered = events.next("recovered", Duration.ofSeconds(15));
            Duration detection = Duration.ofNanos(lost.nanos() - frozenAt);
            Duration recovery = Duration.ofNanos(recovered.nanos() - frozenAt);
            System.out.printf("PRINT frozen network, heartbeat %d s: loss detected after %d ms, recovered after %d ms%n",
                    HEARTBEAT.toSeconds(), detection.toMillis(), recovery.toMillis());
            // amqp-client counts a heartbeat missed per socket read timeout of a quarter heartbeat and
            // gives up after two heartbeats' worth: 2 x heartbeat, plus up to one read timeout.
            Duration detectionBound = HEARTBEAT.multipliedBy(2).plus(HEARTBEAT.dividedBy(4)).plusMillis(250);
            assertThat(detection).isLessThanOrEqualTo(detectionBound);
            assertThat(recovery).isLessThanOrEqualTo(detectionBound.plus(MAX_BACKOFF).plusMillis(500));
            publishing.get(10, TimeUnit.SECONDS); // the publish from the freeze went out on the next connection
            assertThat(rc.recoveries()).isEqualTo(1);
            // The work runs again: it declared its queue, and the publish from the freeze ends its take().
            work.join();
            assertThat(work.restarts()).isEqualTo(1);
        }
    }

    @Test
    void aNetworkCutForGoodEndsWaitingPublishersAndSupervisedWorkAfterMaxAttempts(RabbitBroker broker)
            throws Exception {
        TcpProxy proxy = new TcpProxy(broker.uri());
        Duration publishTimeout = Duration.ofSeconds(30);
        try (RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(proxy.uri(broker.uri()))
                .withConnectionName(unique("cut")).withPublishTimeout(publishTimeout)
                .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(100), Duration.ofMillis(400)).withMaxAttempts(3)))) {
            RecoveryEvents events = RecoveryEvents.on(rc);
            CountDownLatch running = new CountDownLatch(1);
            Supervised work = rc.supervise(c -> {
                running.countDown();
                Thread.sleep(Duration.ofDays(1));
            });
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

            proxy.close(); // cut, and no longer accepting: every reconnect attempt is refused
            events.next("lost", Duration.ofSeconds(10));
            long cutAt = System.nanoTime();
            List<CompletableFuture<Throwable>> publishers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                publishers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        rc.publish("", "nowhere", Message.text("lost cause"));
                        return null;
                    } catch (Throwable e) {
                        return e;
                    }
                }, r -> Thread.ofVirtual().start(r)));
            }
            ConnectFailedException last = (ConnectFailedException) events.next("failed", Duration.ofSeconds(10)).detail();
            assertThat(last.getMessage()).contains("connection refused");
            for (CompletableFuture<Throwable> p : publishers) {
                assertThat(p.get(5, TimeUnit.SECONDS)).isInstanceOfAny(ConnectionClosedException.class,
                        PublishTimeoutException.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - cutAt)).isLessThan(publishTimeout);
            assertThatThrownBy(work::join).isInstanceOf(ConnectionClosedException.class)
                    .cause().isSameAs(last);
            assertThat(rc.isOpen()).isFalse();
            assertThat(rc.recoveries()).isZero();
        }
    }

    @Test
    void aCallWaitsForTheNextConnectionButIsNeverSentTwice(RabbitBroker broker) throws Exception {
        String queue = unique("robust-call-q");
        AtomicInteger requests = new AtomicInteger();
        CountDownLatch firstArrived = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection server = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                     .withConnectionName(unique("call-server")));
             RobustConnection client = Warren.connectRobust(ConnectionOptions.of(proxy.uri(broker.uri()))
                     .withConnectionName(unique("call-client"))
                     .withRecovery(RecoveryPolicy.backoff(Duration.ofMillis(100), Duration.ofMillis(200))))) {
            CountDownLatch serving = new CountDownLatch(1);
            server.supervise(c -> {
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(QueueSpec.named(queue).durable(false).autoDelete(true));
                    serving.countDown();
                    ch.serve(queue, req -> {
                        if (requests.incrementAndGet() == 1) {
                            firstArrived.countDown();
                            releaseFirst.await();
                        }
                        return Message.text("re:" + req.bodyAsString());
                    });
                }
            });
            assertThat(serving.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Throwable> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    client.call("", queue, Message.text("first"), Duration.ofSeconds(20));
                    return null;
                } catch (Throwable e) {
                    return e;
                }
            }, r -> Thread.ofVirtual().start(r));
            assertThat(firstArrived.await(10, TimeUnit.SECONDS)).isTrue();

            proxy.cut();
            assertThat(inFlight.get(10, TimeUnit.SECONDS)).isInstanceOf(ConnectionClosedException.class);
            releaseFirst.countDown();
            Delivery reply = client.call("", queue, Message.text("second"), Duration.ofSeconds(10));
            assertThat(reply.bodyAsString()).isEqualTo("re:second");
            assertThat(requests.get()).as("the first request was not sent again").isEqualTo(2);
        }
    }
}
