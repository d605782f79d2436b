package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.impl.CredentialsProvider;
import com.rabbitmq.client.impl.DefaultCredentialsRefreshService;
import java.time.Duration;
import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Credentials from a provider: asked anew for every connection, so a rotated secret is used. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class CredentialsTest {

    /** A provider whose password the test changes, as a secret store's rotation would. */
    private static final class Rotating implements CredentialsProvider {
        final String user;
        final AtomicReference<String> password;
        final AtomicInteger asked = new AtomicInteger();

        Rotating(String user, String password) {
            this.user = user;
            this.password = new AtomicReference<>(password);
        }

        @Override
        public String getUsername() {
            return user;
        }

        @Override
        public String getPassword() {
            asked.incrementAndGet();
            return password.get();
        }
    }

    @Test
    void aProviderWhosePasswordChangesGivesTheNextConnectionTheNewOne(RabbitBroker broker, BrokerAdmin admin)
            throws Exception {
        String user = unique("rotating");
        String first = "first-" + System.nanoTime();
        String second = TestSecrets.PASSWORD_WITH_SPECIALS + System.nanoTime();
        TestSecrets.secret(first);
        TestSecrets.secret(second);
        admin.addUser(user, first, ".*", ".*", ".*");
        try {
            Rotating provider = new Rotating(user, first);
            // The URI's own user and password are overridden by the provider's.
            ConnectionOptions options = ConnectionOptions.of(TestSupport.withCredentials(broker.uri(), "guest", "unused"))
                    .withCredentials(provider);
            assertThat(options.toString()).doesNotContain(first).contains("credentials from Rotating");
            // The URI's password is wrong: connecting at all proves the provider's credentials were used.
            try (BlockingConnection conn = Warren.connect(options)) {
                assertThat(conn.isOpen()).isTrue();
                assertThat(provider.asked.get()).as("the provider was asked").isPositive();
            }
            admin.changePassword(user, second);
            // The old secret no longer works: the rotation is real.
            Throwable refused = TestSupport.caught(() -> Warren.connect(options).close());
            TestSecrets.record(refused);
            assertThat(refused).isInstanceOf(ConnectFailedException.class).hasMessageContaining("403");
            assertThat(TestSecrets.fullTrace(refused)).doesNotContain(first);

            provider.password.set(second);
            int before = provider.asked.get();
            try (BlockingConnection conn = Warren.connect(options); BlockingChannel ch = conn.openChannel()) {
                assertThat(ch.queueDeclare(QueueSpec.serverNamed()).name()).startsWith("amq.gen-");
            }
            assertThat(provider.asked.get()).isGreaterThan(before);
        } finally {
            admin.deleteUser(user);
        }
    }

    /** Credentials that say they expire in an hour, like a token's. */
    private static final class Expiring implements CredentialsProvider {
        @Override
        public String getUsername() {
            return "guest";
        }

        @Override
        public String getPassword() {
            return "guest";
        }

        @Override
        public Duration getTimeBeforeExpiration() {
            return Duration.ofHours(1);
        }
    }

    @Test
    void expiringCredentialsNeedARefreshServiceAndConnectWithOne(RabbitBroker broker) throws Exception {
        ConnectionOptions options = ConnectionOptions.of(broker.uri()).withCredentials(new Expiring());
        assertThatThrownBy(() -> Warren.connect(options)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("withCredentialsRefreshService");
        DefaultCredentialsRefreshService refresh = new DefaultCredentialsRefreshService.DefaultCredentialsRefreshServiceBuilder()
                .build();
        try (BlockingConnection conn = Warren.connect(options.withCredentialsRefreshService(refresh))) {
            assertThat(conn.isOpen()).isTrue();
        } finally {
            refresh.close();
        }
    }
}
