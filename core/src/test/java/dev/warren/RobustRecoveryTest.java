package dev.warren;

import static dev.warren.TestSupport.awaitTrue;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.impl.CredentialsProvider;
import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Recovery never stops for good while the application wants it: a passing refusal, a listener
 * that closes or throws, a connection attempt that throws something unexpected. Each loss is a
 * cut of a {@link TcpProxy} or a {@link HandshakeCloser} of the test's own, never a fault of the
 * whole broker.
 */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class RobustRecoveryTest {
    private static final RecoveryPolicy FAST = RecoveryPolicy.backoff(Duration.ofMillis(50), Duration.ofMillis(200));

    @Test
    void aHandshakeClosedByANodeGoingDownIsAFailedAttemptNotARefusal(RabbitBroker broker) throws Exception {
        try (HandshakeCloser node = new HandshakeCloser(broker.uri());
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(broker.uri())
                     .withAddresses(node.address()).withConnectionName(unique("handshake-closed"))
                     .withRecovery(FAST))) {
            RecoveryEvents events = RecoveryEvents.on(rc);
            node.closeDuringHandshake(2);
            node.cut();
            events.next("lost", Duration.ofSeconds(10));
            // amqp-client calls the two closed handshakes a "possible authentication failure".
            events.next("recovered", Duration.ofSeconds(20));
            assertThat(node.closedHandshakes()).isEqualTo(2);
            assertThat(rc.isOpen()).isTrue();
        }
    }

    @Test
    void aRefusalByOneAddressWhileAnotherIsUnreachableIsRetried(RabbitBroker broker, BrokerAdmin admin)
            throws Exception {
        String user = unique("refused-one");
        admin.addUser(user, "first-secret", ".*", ".*", ".*");
        int unreachable;
        try (ServerSocket s = new ServerSocket(0)) {
            unreachable = s.getLocalPort(); // closed again: nothing listens there
        }
        String uri = TestSupport.withCredentials(broker.uri(), user, "first-secret");
        try (HandshakeCloser node = new HandshakeCloser(broker.uri());
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(uri)
                     .withAddresses(node.address(), "127.0.0.1:" + unreachable)
                     .withConnectionName(unique("refused-one")).withRecovery(FAST))) {
            RecoveryEvents events = RecoveryEvents.on(rc);
            admin.rabbitmqctl("change_password", user, "second-secret");
            node.cut();
            events.next("lost", Duration.ofSeconds(10));
            // One address refuses the password, the other is unreachable: not a verdict (two
            // connections at the start, then one accepted per failed attempt).
            assertThat(awaitTrue(() -> node.accepted() >= 5, Duration.ofSeconds(20))).isTrue();
            assertThat(events.isEmpty()).as("no 'failed' event").isTrue();
            admin.rabbitmqctl("change_password", user, "first-secret");
            events.next("recovered", Duration.ofSeconds(20));
        } finally {
            admin.deleteUser(user);
        }
    }

    @Test
    void closeCalledFromARecoveryListenerReturns(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(proxy.uri(broker.uri()))
                    .withConnectionName(unique("close-from-listener")).withRecovery(FAST));
            CountDownLatch closed = new CountDownLatch(1);
            rc.addListener(new RecoveryListener() {
                @Override
                public void connectionLost(ConnectionClosedException cause) {
                    rc.close();
                    closed.countDown();
                }
            });
            proxy.cut();
            assertThat(closed.await(15, TimeUnit.SECONDS)).as("close() from the listener returned").isTrue();
            assertThat(rc.isOpen()).isFalse();
            assertThat(awaitTrue(rc::threadsEnded, Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void anErrorThrownByAListenerDoesNotStopRecovery(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(proxy.uri(broker.uri()))
                     .withConnectionName(unique("listener-error")).withRecovery(FAST))) {
            rc.addListener(new RecoveryListener() {
                @Override
                public void connectionLost(ConnectionClosedException cause) {
                    throw new AssertionError("a listener's bug");
                }
            });
            RecoveryEvents events = RecoveryEvents.on(rc);
            proxy.cut();
            events.next("lost", Duration.ofSeconds(10));
            events.next("recovered", Duration.ofSeconds(10));
            assertThat(rc.awaitOpen(Duration.ofSeconds(5))).isTrue();
            rc.publish("", unique("nobody"), Message.text("after the listener's error"));
        }
    }

    @Test
    void aCredentialsProviderThatThrowsOnReconnectIsAFailedAttemptAndRecoveryGoesOn(RabbitBroker broker)
            throws Exception {
        URI u = URI.create(broker.uri());
        String[] userInfo = u.getUserInfo() == null ? new String[] {"guest", "guest"} : u.getUserInfo().split(":", 2);
        AtomicBoolean failing = new AtomicBoolean();
        AtomicInteger refusals = new AtomicInteger();
        CredentialsProvider provider = new CredentialsProvider() {
            @Override
            public String getUsername() {
                if (failing.get()) {
                    refusals.incrementAndGet();
                    throw new IllegalStateException("the token endpoint is down");
                }
                return userInfo[0];
            }

            @Override
            public String getPassword() {
                return userInfo[1];
            }
        };
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             RobustConnection rc = Warren.connectRobust(ConnectionOptions.of(proxy.uri(broker.uri()))
                     .withCredentials(provider).withConnectionName(unique("provider-throws")).withRecovery(FAST))) {
            RecoveryEvents events = RecoveryEvents.on(rc);
            failing.set(true);
            proxy.cut();
            events.next("lost", Duration.ofSeconds(10));
            assertThat(awaitTrue(() -> refusals.get() >= 3, Duration.ofSeconds(20))).isTrue();
            failing.set(false);
            events.next("recovered", Duration.ofSeconds(20));
            rc.publish("", unique("nobody"), Message.text("after the provider recovered"));
        }
    }
}
