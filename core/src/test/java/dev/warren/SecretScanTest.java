package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * Runs after every other test class of the module ({@code junit-platform.properties} orders
 * classes by {@link Order}) and looks for every test password and private key in everything the
 * suite wrote to the console (all logging), in every exception the tests recorded, and in every
 * live thread's name.
 */
@ExtendWith(RabbitExtension.class)
@Order(Integer.MAX_VALUE)
@Timeout(60)
class SecretScanTest {

    @Test
    void noTestSecretAppearsInWhatTheSuiteLoggedInItsExceptionsOrInThreadNames(RabbitBroker broker) {
        // Failures this class provokes itself, so the scan covers them even when run alone.
        String uri = TestSupport.withCredentials(broker.uri(), "guest", "wrong-" + System.nanoTime());
        String wrong = uri.substring(uri.indexOf("guest:") + 6, uri.indexOf('@'));
        TestSecrets.secret(wrong);
        TestSecrets.record(TestSupport.caught(() -> Warren.connect(uri)));
        TestSecrets.record(TestSupport.caught(() -> Warren.connect(
                "amqp://guest:" + TestSecrets.PASSWORD_WITH_SPECIALS + "@localhost:" + portOf(broker.uri()))));
        LoggerFactory.getLogger(SecretScanTest.class).warn("options in a log line: {}",
                ConnectionOptions.of("amqps://guest:" + TestSecrets.PASSWORD_WITH_SPECIALS + "@localhost"));

        assertThat(LogCapture.installed()).as("the console is captured from the session's start").isTrue();
        assertThat(LogCapture.truncated()).as("the capture is complete").isFalse();
        Set<String> secrets = TestSecrets.all();
        String log = LogCapture.text();
        assertThat(log).as("something was logged").contains("options in a log line");
        assertThat(TestSecrets.foundIn(log, secrets)).as("secrets in the suite's log").isEmpty();
        List<Throwable> seen = TestSecrets.seen();
        assertThat(seen).isNotEmpty();
        for (Throwable e : seen) {
            assertThat(TestSecrets.foundIn(TestSecrets.fullTrace(e) + e, secrets)).as("secrets in %s",
                    e.getClass().getName()).isEmpty();
        }
        String threadNames = String.join("\n", Thread.getAllStackTraces().keySet().stream().map(Thread::getName).toList());
        assertThat(TestSecrets.foundIn(threadNames, secrets)).as("secrets in thread names").isEmpty();
    }

    @Test
    void theScanFindsASecretThatWasLogged() {
        // The same capture and search, with a planted secret: proof that the scan can fail.
        String planted = "planted-secret-" + System.nanoTime();
        LoggerFactory.getLogger(SecretScanTest.class).warn("leaking {} on purpose", planted);
        assertThat(TestSecrets.foundIn(LogCapture.text(), Set.of(planted))).hasSize(1);
        // One line of a PEM key body is enough to count as a leak.
        String key = "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
        assertThat(TestSecrets.foundIn("log: MIIEvAIBADANBgkqhkiG9w0BAQEFAASC", Set.of(key))).hasSize(1);
        assertThat(TestSecrets.foundIn("log: nothing", Set.of(key))).isEmpty();
    }

    private static int portOf(String uri) {
        int port = java.net.URI.create(uri).getPort();
        return port > 0 ? port : 5672;
    }
}
