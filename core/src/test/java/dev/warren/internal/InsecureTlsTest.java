package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.ConnectionFactory;
import dev.warren.ConnectionOptions;
import dev.warren.TlsOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** TLS without verification is loud: on every connection, and also where SLF4J has no provider. */
class InsecureTlsTest {

    private static ConnectionOptions insecure(String name) {
        return ConnectionOptions.of("amqps://localhost").withConnectionName(name)
                .withTls(TlsOptions.trustingAnyCertificateInsecurely());
    }

    /** Before: one warning per JVM, so the second connection (or the second service) said nothing. */
    @Test
    void everyConnectionWithoutVerificationWarnsWithItsName() {
        PrintStream err = System.err;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        System.setErr(new PrintStream(copy, true, StandardCharsets.UTF_8));
        try {
            TlsSetup.applyTo(new ConnectionFactory(), insecure("first-insecure"), "amqps");
            TlsSetup.applyTo(new ConnectionFactory(), insecure("second-insecure"), "amqps");
            TlsSetup.applyTo(new ConnectionFactory(), insecure("second-insecure").withTls(TlsOptions.trustingJvmDefaults()),
                    "amqps");
        } finally {
            System.setErr(err);
        }
        String text = copy.toString(StandardCharsets.UTF_8);
        assertThat(text).containsOnlyOnce("TLS without verification (TlsOptions.trustingAnyCertificateInsecurely)"
                + " for connection 'first-insecure'");
        assertThat(text).containsOnlyOnce("for connection 'second-insecure'");
    }

    @Test
    void withoutAnSlf4jProviderTheWarningGoesToSystemLogger() {
        List<String> logged = new CopyOnWriteArrayList<>();
        System.Logger fallback = new System.Logger() {
            @Override
            public String getName() {
                return "test";
            }

            @Override
            public boolean isLoggable(Level level) {
                return true;
            }

            @Override
            public void log(Level level, java.util.ResourceBundle bundle, String msg, Throwable thrown) {
                logged.add(level + " " + msg);
            }

            @Override
            public void log(Level level, java.util.ResourceBundle bundle, String format, Object... params) {
                logged.add(level + " " + format);
            }
        };
        InsecureTls.warn("TLS without verification for connection 'x'", false, fallback);
        assertThat(logged).containsExactly("WARNING TLS without verification for connection 'x'");
        InsecureTls.warn("with a provider", true, fallback);
        assertThat(logged).hasSize(1);
    }
}
