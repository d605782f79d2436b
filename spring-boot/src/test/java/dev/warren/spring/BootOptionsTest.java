package dev.warren.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.io.DefaultResourceLoader;

/** How the spring.rabbitmq.* keys become Warren's options, without a broker. */
class BootOptionsTest {

    private static RabbitConnectionProperties bind(String... keyValues) {
        MapConfigurationPropertySource source = new MapConfigurationPropertySource();
        for (int i = 0; i < keyValues.length; i += 2) {
            source.put(keyValues[i], keyValues[i + 1]);
        }
        return new Binder(source).bindOrCreate("spring.rabbitmq", RabbitConnectionProperties.class);
    }

    private static WarrenProperties warren() {
        return new Binder(new MapConfigurationPropertySource()).bindOrCreate("warren", WarrenProperties.class);
    }

    @Test
    void bootsDefaultsAreLocalhostAndGuest() {
        var o = BootOptions.from(bind(), warren(), null, new DefaultResourceLoader());
        assertThat(o.uri()).isEqualTo("amqp://guest:guest@localhost:5672");
        assertThat(o.tls()).isNull();
    }

    @Test
    void addressesWithCredentialsAndVhostOverrideHostAndPort() {
        var rabbit = bind("spring.rabbitmq.addresses", "amqp://app:s%40cret@node1:5673/orders,node2:5674",
                "spring.rabbitmq.host", "ignored");
        assertThat(BootOptions.addresses(rabbit)).extracting(BootOptions.Address::hostPort)
                .containsExactly("node1:5673", "node2:5674");
        var o = BootOptions.from(rabbit, warren(), null, new DefaultResourceLoader());
        assertThat(o.uri()).isEqualTo("amqp://app:s%40cret@node1:5673/orders");
        assertThat(o.addresses()).isEqualTo(List.of("node1:5673", "node2:5674"));
    }

    @Test
    void anAmqpsAddressOrSslEnabledTurnsTlsOn() {
        var amqps = BootOptions.from(bind("spring.rabbitmq.addresses", "amqps://broker.example"), warren(), null,
                new DefaultResourceLoader());
        assertThat(amqps.uri()).isEqualTo("amqps://guest:guest@broker.example:5671");
        var enabled = BootOptions.from(bind("spring.rabbitmq.ssl.enabled", "true",
                "spring.rabbitmq.ssl.validate-server-certificate", "false"), warren(), null,
                new DefaultResourceLoader());
        assertThat(enabled.uri()).isEqualTo("amqps://guest:guest@localhost:5671");
        assertThat(enabled.tls().verifiesBroker()).isFalse();
    }

    @Test
    void aVirtualHostAndAPasswordAreEncoded() {
        var o = BootOptions.from(bind("spring.rabbitmq.virtual-host", "team a/b", "spring.rabbitmq.password", "p@ss word"),
                warren(), null, new DefaultResourceLoader());
        assertThat(o.uri()).isEqualTo("amqp://guest:p%40ss%20word@localhost:5672/team%20a%2Fb");
    }
}
