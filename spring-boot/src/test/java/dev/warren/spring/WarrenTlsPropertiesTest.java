package dev.warren.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.RobustConnection;
import dev.warren.testing.TlsNode;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** spring.rabbitmq.ssl.* against a private TLS node whose certificate the test CA issued. */
@Timeout(180)
class WarrenTlsPropertiesTest {

    @Test
    void aTrustStoreFromTheSslPropertiesConnectsOverTls(@TempDir Path dir) throws Exception {
        TlsNode node = TlsNode.shared();
        Path trustStore = dir.resolve("trust.p12");
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            node.certificates().caTrustStore().store(out, "changeit".toCharArray());
        }
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(WarrenAutoConfiguration.class))
                .withPropertyValues("spring.rabbitmq.host=localhost", "spring.rabbitmq.port=" + node.port(),
                        "spring.rabbitmq.ssl.enabled=true", "spring.rabbitmq.ssl.trust-store=file:" + trustStore,
                        "spring.rabbitmq.ssl.trust-store-type=PKCS12", "spring.rabbitmq.ssl.trust-store-password=changeit",
                        "spring.rabbitmq.ssl.algorithm=" + TlsNode.PROTOCOL)
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    RobustConnection rc = ctx.getBean(RobustConnection.class);
                    assertThat(rc.isOpen()).isTrue();
                    assertThat(rc.currentAddress()).as("the configured host name").hasValue("localhost:" + node.port());
                });
    }

    @Test
    void withoutTheTrustStoreTheTestCaIsNotTrustedAndTheContextFails() {
        TlsNode node = TlsNode.shared();
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(WarrenAutoConfiguration.class))
                .withPropertyValues("spring.rabbitmq.host=localhost", "spring.rabbitmq.port=" + node.port(),
                        "spring.rabbitmq.ssl.enabled=true", "spring.rabbitmq.connection-timeout=5s")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure().hasStackTraceContaining("ConnectFailedException").hasStackTraceContaining("certification path"));
    }
}
