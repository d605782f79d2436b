package dev.warren;

import static dev.warren.TestSupport.awaitTrue;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** What a RobustConnection offers beside recovery: setup before traffic, addresses, nack retry, returns by id. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class RobustOptionsTest {
    private static final RecoveryPolicy FAST = RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(200));

    private static Thread start(TestSupport.Action a, List<Throwable> failures, CountDownLatch done) {
        return Thread.ofVirtual().start(() -> {
            try {
                a.run();
                done.countDown();
            } catch (Throwable e) {
                failures.add(e);
            }
        });
    }

    @Test
    void onConnectSetupRunsOnEveryNewConnectionBeforePublishesResume(RabbitBroker broker) throws Exception {
        String queue = unique("on-connect-exclusive-q");
        AtomicInteger setups = new AtomicInteger();
        CountDownLatch secondSetup = new CountDownLatch(1);
        CountDownLatch releaseSecond = new CountDownLatch(1);
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                     .withAddresses("127.0.0.1:" + proxy.port()).withConnectionName(unique("on-connect"))
                     .withRecovery(FAST))) {
            // An exclusive queue goes with its connection: it must be there again before traffic resumes.
            rc.onConnect(c -> {
                if (setups.incrementAndGet() == 2) {
                    secondSetup.countDown();
                    releaseSecond.await();
                }
                try (BlockingChannel ch = c.openChannel()) {
                    ch.queueDeclare(QueueSpec.named(queue).durable(false).exclusive(true));
                }
            });
            assertThat(setups.get()).as("ran at once").isEqualTo(1);
            rc.publish("", queue, Message.text("one").withMandatory(true));

            RecoveryEvents events = RecoveryEvents.on(rc);
            proxy.cut();
            events.next("lost", Duration.ofSeconds(10));
            assertThat(secondSetup.await(10, TimeUnit.SECONDS)).isTrue();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            CountDownLatch published = new CountDownLatch(1);
            start(() -> rc.publish("", queue, Message.text("two").withMandatory(true)), failures, published);
            assertThat(published.await(1, TimeUnit.SECONDS)).as("waits for the setup").isFalse();
            releaseSecond.countDown();
            events.next("recovered", Duration.ofSeconds(10));
            assertThat(published.await(10, TimeUnit.SECONDS)).as("routed, not returned: %s", failures).isTrue();
            assertThat(setups.get()).isEqualTo(2);
        }
    }

    @Test
    void listenersAndCurrentAddressNameTheConfiguredHostNotItsAddress(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                     .withAddresses("localhost:" + proxy.port()).withConnectionName(unique("host-name"))
                     .withRecovery(FAST))) {
            assertThat(rc.currentAddress()).contains("localhost:" + proxy.port());
            RecoveryEvents events = RecoveryEvents.on(rc);
            proxy.cut();
            events.next("lost", Duration.ofSeconds(10));
            assertThat(events.next("recovered", Duration.ofSeconds(10)).detail()).isEqualTo("localhost:" + proxy.port());
            assertThat(rc.currentAddress()).contains("localhost:" + proxy.port());
        }
    }

    @Test
    void withAddressShuffleConnectionsSpreadOverTheAddresses(RabbitBroker broker) throws Exception {
        try (TcpProxy a = new TcpProxy(broker.uri()); TcpProxy b = new TcpProxy(broker.uri())) {
            ConnectionOptions o = ConnectionOptions.of(broker.uri())
                    .withAddresses("127.0.0.1:" + a.port(), "127.0.0.1:" + b.port());
            Set<Integer> inOrder = new HashSet<>();
            Set<Integer> shuffled = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                try (BlockingConnection c = Warren.connect(o)) {
                    inOrder.add(c.unwrap().getPort());
                }
                try (BlockingConnection c = Warren.connect(o.withAddressShuffle(true))) {
                    shuffled.add(c.unwrap().getPort());
                }
            }
            assertThat(inOrder).containsExactly(a.port());
            // Both in 20 tries, but with a chance of 2 in a million.
            assertThat(shuffled).containsExactlyInAnyOrder(a.port(), b.port());
        }
    }

    @Test
    void aNackedPublishIsSentAgainUnderTheNackRetryPolicyWithinItsDeadline(RabbitBroker broker) throws Exception {
        String queue = unique("nack-retry-q");
        AtomicInteger nacks = new AtomicInteger();
        WarrenObserver countNacks = new WarrenObserver() {
            @Override
            public void published(String exchange, String routingKey, int bodySize, Outcome outcome, long nanos) {
                if (outcome == Outcome.NACK) {
                    nacks.incrementAndGet();
                }
            }
        };
        try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel()) {
            // Full: a second message is nacked until the first is taken.
            ch.queueDeclare(QueueSpec.named(queue).durable(false).argument("x-max-length", 1)
                    .argument("x-overflow", "reject-publish"));
            ch.publish("", queue, Message.text("fills it"));
            try (RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                    .withConnectionName(unique("nack-retry")).withObserver(countNacks)
                    .withNackRetry(RecoveryPolicy.backoff(Duration.ofMillis(20), Duration.ofMillis(100))))) {
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                CountDownLatch published = new CountDownLatch(1);
                start(() -> rc.publish("", queue, Message.text("retried")), failures, published);
                assertThat(awaitTrue(() -> nacks.get() >= 2, Duration.ofSeconds(10))).as("failures %s", failures)
                        .isTrue();
                assertThat(ch.get(queue)).isPresent().get().satisfies(d -> d.ack());
                assertThat(published.await(10, TimeUnit.SECONDS)).as("failures %s", failures).isTrue();
                assertThat(ch.get(queue)).isPresent().get()
                        .satisfies(d -> assertThat(d.bodyAsString()).isEqualTo("retried"));
            } finally {
                ch.queueDelete(queue);
            }
        }
    }

    @Test
    void aReturnIsMatchedByMessageIdAmongMessagesThatDifferOnlyInHeaders(RabbitBroker broker) throws Exception {
        String exchange = unique("returns-by-id-x");
        String queue = unique("returns-by-id-q");
        try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel();
             TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                     .withAddresses("127.0.0.1:" + proxy.port()).withConnectionName(unique("returns-by-id")))) {
            ch.exchangeDeclare(ExchangeSpec.headers(exchange).durable(false));
            ch.queueDeclare(QueueSpec.named(queue).durable(false));
            ch.queueBind(queue, exchange, "", java.util.Map.of("x-match", "all", "route", "yes"));
            rc.publish(exchange, "", Message.text("opens the channel").withHeader("route", "yes"));
            List<Throwable> routedFailures = new CopyOnWriteArrayList<>();
            List<Throwable> returnedFailures = new CopyOnWriteArrayList<>();
            CountDownLatch routed = new CountDownLatch(1);
            CountDownLatch returned = new CountDownLatch(1);
            proxy.pause(); // both in flight at once: the return of the second comes before the ack of the first
            try {
                // Parked in publish once queued: queued in this order, so written in this order (one writer per channel).
                TestSupport.awaitParkedIn(start(() -> rc.publish(exchange, "", Message.text("same")
                        .withHeader("route", "yes").withPersistent(true).withMandatory(true).withMessageId("routed")),
                        routedFailures, routed), "publish");
                TestSupport.awaitParkedIn(start(() -> rc.publish(exchange, "", Message.text("same")
                        .withHeader("route", "no").withMandatory(true).withMessageId("returned")),
                        returnedFailures, returned), "publish");
            } finally {
                proxy.resume();
            }
            assertThat(routed.await(10, TimeUnit.SECONDS)).as("routed: %s", routedFailures).isTrue();
            assertThat(awaitTrue(() -> !returnedFailures.isEmpty(), Duration.ofSeconds(10))).isTrue();
            assertThat(returnedFailures).singleElement().isInstanceOf(UnroutableException.class);
        } finally {
            try (BlockingConnection c = Warren.connect(broker.uri()); BlockingChannel ch = c.openChannel()) {
                ch.queueDelete(queue);
                ch.exchangeDelete(exchange);
            }
        }
    }
}
