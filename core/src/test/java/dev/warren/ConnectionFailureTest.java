package dev.warren;

import dev.warren.testing.TcpProxy;
import static dev.warren.TestSupport.awaitNoAmqpThreads;
import static dev.warren.TestSupport.awaitParkedIn;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The connection's state as the broker and the network change it: lost, blocked. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class ConnectionFailureTest {

    @Test
    void socketErrorFailsEverythingPendingWithConnectionClosedExceptionCode0(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            ConnectionOptions options = ConnectionOptions.of(proxy.uri(broker.uri())).withConnectionName(unique("cut"));
            assertConnectionLost(options, proxy::cut, e -> assertThat(e.replyText()).startsWith("network failure"));
        }
        awaitNoAmqpThreads();
    }

    @Test
    void missedHeartbeatsFailEverythingPendingWithConnectionClosedExceptionCode0(RabbitBroker broker)
            throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            ConnectionOptions options = ConnectionOptions.of(proxy.uri(broker.uri())).withConnectionName(unique("frozen"))
                    .withHeartbeat(Duration.ofSeconds(1));
            assertConnectionLost(options, proxy::pause, e -> assertThat(e.replyText()).startsWith("missed heartbeats"));
        }
        awaitNoAmqpThreads();
    }

    @Test
    // A close waits (up to amqp-client's 10 min RPC timeout) while the broker still blocks the
    // connection: the timeout must not wait for it.
    @Timeout(value = 45, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void isBlockedFollowsTheBrokersResourceAlarm() throws Exception {
        // A memory alarm acts on the whole broker: only on one this JVM started.
        RabbitBroker broker = RabbitBroker.privateNode();
        BrokerAdmin admin = broker.admin();
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch unblocked = new CountDownLatch(1);
            // Called after Warren's own listener, which was added first.
            conn.unwrap().addBlockedListener(reason -> blocked.countDown(), unblocked::countDown);
            assertThat(conn.isBlocked()).isFalse();
            assertThat(conn.blockedReason()).isEmpty();
            try {
                admin.raiseMemoryAlarm();
                // The broker blocks a connection once it publishes (on a raw channel of its own:
                // Warren's refuses publishes that bypass it).
                conn.unwrap().createChannel().basicPublish("", unique("nowhere"), null, new byte[] {1});
                assertThat(blocked.await(20, TimeUnit.SECONDS)).as("connection.blocked arrived").isTrue();
                assertThat(conn.isBlocked()).isTrue();
                assertThat(conn.blockedReason()).hasValueSatisfying(r -> assertThat(r).contains("memory"));
                assertThat(conn.isOpen()).isTrue();
            } finally {
                admin.clearMemoryAlarm();
            }
            assertThat(unblocked.await(20, TimeUnit.SECONDS)).as("connection.unblocked arrived").isTrue();
            assertThat(conn.isBlocked()).isFalse();
            assertThat(conn.blockedReason()).isEmpty();
        }
    }

    private static void assertConnectionLost(ConnectionOptions options, Runnable fault,
            Consumer<ConnectionClosedException> reason) throws Exception {
        BlockingConnection conn = Warren.connect(options);
        try {
            BlockingChannel ch = conn.openChannel();
            CountDownLatch asleep = new CountDownLatch(1);
            Subtask<?> sleeper = TestSupport.sleeper(ch, asleep);
            asleep.await();
            CompletableFuture<Throwable> waiter = new CompletableFuture<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    ch.context().await(new CompletableFuture<>());
                    waiter.complete(null);
                } catch (Throwable e) {
                    waiter.complete(e);
                }
            });
            awaitParkedIn(t, "await");
            assertThat(conn.isOpen()).isTrue();
            assertThat(ch.isOpen()).isTrue();

            fault.run();

            Consumer<Throwable> lost = e -> {
                assertThat(e).isInstanceOf(ConnectionClosedException.class);
                ConnectionClosedException c = (ConnectionClosedException) e;
                assertThat(c.replyCode()).isZero();
                assertThat(c.initiatedByBroker()).isTrue();
                assertThat(c.connectionName()).isEqualTo(options.connectionName());
                reason.accept(c);
            };
            assertThatThrownBy(ch::join).satisfies(lost);
            assertThat(waiter.get(10, TimeUnit.SECONDS)).satisfies(lost);
            assertThat(sleeper.exception()).isInstanceOf(InterruptedException.class);
            assertThat(conn.isOpen()).isFalse();
            assertThat(ch.isOpen()).isFalse();
            assertThatThrownBy(conn::openChannel).satisfies(lost);
            ch.close();
        } finally {
            conn.close();
        }
    }
}
