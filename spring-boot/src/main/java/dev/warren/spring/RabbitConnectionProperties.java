package dev.warren.spring;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationUnit;

/**
 * The standard {@code spring.rabbitmq.*} connection keys a Boot application already has, with
 * Boot's defaults and units, bound by Warren itself so that Spring AMQP need not be on the class
 * path (when it is, its own {@code RabbitProperties} reads the same keys). Only the keys below
 * are used; the others (listener, template, cache, ...) are Spring AMQP's.
 *
 * @param host the broker's host (default localhost); ignored when {@code addresses} is set
 * @param port the broker's port (default 5672, or 5671 with TLS); ignored when {@code addresses} is set
 * @param addresses the cluster's nodes, {@code host[:port]} or {@code amqp[s]://user:password@host:port/vhost}
 *        entries (comma-separated in a properties file); each connection tries them in turn
 * @param username the user (default guest)
 * @param password the password (default guest); never logged
 * @param virtualHost the virtual host (default {@code /})
 * @param connectionTimeout how long opening a connection may take (a bare number is milliseconds)
 * @param requestedHeartbeat the heartbeat asked of the broker (a bare number is seconds; 0 turns it off)
 * @param ssl TLS
 */
@ConfigurationProperties("spring.rabbitmq")
public record RabbitConnectionProperties(@DefaultValue("localhost") String host, Integer port, List<String> addresses,
        @DefaultValue("guest") String username, @DefaultValue("guest") String password, String virtualHost,
        Duration connectionTimeout, @DurationUnit(ChronoUnit.SECONDS) Duration requestedHeartbeat,
        @DefaultValue Ssl ssl) {

    /**
     * {@code spring.rabbitmq.ssl.*}: TLS from an SSL bundle, or from key and trust stores.
     *
     * @param enabled whether to use TLS (also turned on by an {@code amqps://} address)
     * @param bundle the name of a {@code spring.ssl.bundle.*} bundle to take the SSL context from
     * @param keyStore where the client's key store is (a Spring resource location), for a client certificate
     * @param keyStoreType its type (default PKCS12)
     * @param keyStorePassword its password
     * @param keyStoreAlgorithm its key manager algorithm (default: the JVM's)
     * @param trustStore where the trust store is (a Spring resource location); default: the JVM's
     * @param trustStoreType its type (default JKS)
     * @param trustStorePassword its password
     * @param trustStoreAlgorithm its trust manager algorithm (default: the JVM's)
     * @param algorithm the TLS protocol to enable (e.g. TLSv1.3; default: the JVM's)
     * @param validateServerCertificate whether to check the broker's certificate (default true;
     *        false trusts any certificate, for tests only)
     */
    public record Ssl(Boolean enabled, String bundle, String keyStore, @DefaultValue("PKCS12") String keyStoreType,
            String keyStorePassword, String keyStoreAlgorithm, String trustStore,
            @DefaultValue("JKS") String trustStoreType, String trustStorePassword, String trustStoreAlgorithm,
            String algorithm, @DefaultValue("true") boolean validateServerCertificate) {

        /**
         * Whether TLS is on: {@code enabled}, or else whether the first address is {@code amqps://}.
         *
         * @param firstAddressIsAmqps whether the first of the addresses says amqps
         * @return whether to connect with TLS
         */
        public boolean on(boolean firstAddressIsAmqps) {
            return enabled != null ? enabled : firstAddressIsAmqps;
        }
    }
}
