package dev.warren.spring;

import dev.warren.ConnectionOptions;
import dev.warren.RecoveryPolicy;
import dev.warren.TlsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.core.io.ResourceLoader;

/** Turns the bound {@code spring.rabbitmq.*} and {@code warren.*} properties into Warren's {@link ConnectionOptions}. */
final class BootOptions {
    private static final int AMQP_PORT = 5672;
    private static final int AMQPS_PORT = 5671;

    private BootOptions() {}

    /** One entry of {@code addresses} (or host and port), with what an {@code amqp://} entry carries besides. */
    record Address(String host, int port, String username, String password, String virtualHost, boolean amqps) {
        String hostPort() {
            return host + ":" + port;
        }
    }

    static ConnectionOptions from(RabbitConnectionProperties rabbit, WarrenProperties warren, SslBundles bundles,
            ResourceLoader resources) {
        List<Address> addresses = addresses(rabbit);
        Address first = addresses.getFirst();
        boolean tls = rabbit.ssl().on(first.amqps());
        String username = first.username() != null ? first.username() : rabbit.username();
        String password = first.password() != null ? first.password() : rabbit.password();
        String vhost = first.virtualHost() != null ? first.virtualHost() : rabbit.virtualHost();
        String uri = (tls ? "amqps://" : "amqp://") + encode(username) + ":" + encode(password) + "@"
                + first.hostPort() + (vhost == null ? "" : "/" + encode(vhost));
        ConnectionOptions o = ConnectionOptions.of(uri);
        if (addresses.size() > 1) {
            o = o.withAddresses(addresses.stream().map(Address::hostPort).toList());
        }
        if (rabbit.connectionTimeout() != null) {
            o = o.withConnectTimeout(rabbit.connectionTimeout());
        }
        if (rabbit.requestedHeartbeat() != null) {
            o = o.withHeartbeat(rabbit.requestedHeartbeat());
        }
        if (tls) {
            TlsOptions t = tls(rabbit.ssl(), bundles, resources);
            if (t != null) {
                o = o.withTls(t);
            }
        }
        if (warren.connectionName() != null) {
            o = o.withConnectionName(warren.connectionName());
        }
        if (warren.publishTimeout() != null) {
            o = o.withPublishTimeout(warren.publishTimeout());
        }
        WarrenProperties.Recovery r = warren.recovery();
        RecoveryPolicy policy = RecoveryPolicy.backoff(r.initialBackoff(), r.maxBackoff());
        return o.withRecovery(r.maxAttempts() > 0 ? policy.withMaxAttempts(r.maxAttempts()) : policy);
    }

    static List<Address> addresses(RabbitConnectionProperties rabbit) {
        boolean sslOn = Boolean.TRUE.equals(rabbit.ssl().enabled());
        List<Address> out = new ArrayList<>();
        if (rabbit.addresses() != null) {
            for (String a : rabbit.addresses()) {
                if (!a.isBlank()) {
                    out.add(parse(a.strip(), sslOn));
                }
            }
        }
        if (out.isEmpty()) {
            int port = rabbit.port() != null ? rabbit.port() : sslOn ? AMQPS_PORT : AMQP_PORT;
            out.add(new Address(rabbit.host(), port, null, null, null, false));
        }
        return out;
    }

    private static Address parse(String a, boolean sslOn) {
        if (!a.contains("://")) {
            int colon = a.lastIndexOf(':');
            return colon < 0 ? new Address(a, sslOn ? AMQPS_PORT : AMQP_PORT, null, null, null, false)
                    : new Address(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1)), null, null, null,
                            false);
        }
        URI u = URI.create(a);
        boolean amqps = "amqps".equalsIgnoreCase(u.getScheme());
        if (!amqps && !"amqp".equalsIgnoreCase(u.getScheme())) {
            throw new IllegalArgumentException("spring.rabbitmq.addresses: not an amqp:// or amqps:// address: "
                    + u.getScheme() + "://" + u.getHost());
        }
        String user = null;
        String pass = null;
        if (u.getRawUserInfo() != null) {
            String[] up = u.getRawUserInfo().split(":", 2);
            user = decode(up[0]);
            pass = up.length > 1 ? decode(up[1]) : null;
        }
        String path = u.getRawPath();
        String vhost = path == null || path.isEmpty() || path.equals("/") ? null : decode(path.substring(1));
        int port = u.getPort() >= 0 ? u.getPort() : amqps || sslOn ? AMQPS_PORT : AMQP_PORT;
        return new Address(u.getHost(), port, user, pass, vhost, amqps);
    }

    /** The TLS options the {@code ssl.*} keys ask for; null for the JVM's defaults. */
    static TlsOptions tls(RabbitConnectionProperties.Ssl ssl, SslBundles bundles, ResourceLoader resources) {
        TlsOptions t;
        if (ssl.bundle() != null) {
            if (bundles == null) {
                throw new IllegalStateException("spring.rabbitmq.ssl.bundle is set but the context has no SslBundles");
            }
            t = TlsOptions.of(bundles.getBundle(ssl.bundle()).createSslContext());
        } else if (ssl.keyStore() != null || ssl.trustStore() != null) {
            if (!ssl.validateServerCertificate()) {
                throw new IllegalArgumentException("spring.rabbitmq.ssl.validate-server-certificate=false cannot be"
                        + " combined with a key or trust store here; use an SSL bundle");
            }
            t = TlsOptions.of(sslContext(ssl, resources));
        } else if (!ssl.validateServerCertificate()) {
            t = TlsOptions.trustingAnyCertificateInsecurely();
        } else {
            t = ssl.algorithm() != null ? TlsOptions.trustingJvmDefaults() : null;
        }
        return t != null && ssl.algorithm() != null ? t.withProtocols(ssl.algorithm()) : t;
    }

    private static SSLContext sslContext(RabbitConnectionProperties.Ssl ssl, ResourceLoader resources) {
        try {
            KeyManagerFactory kmf = null;
            if (ssl.keyStore() != null) {
                char[] pw = chars(ssl.keyStorePassword());
                kmf = KeyManagerFactory.getInstance(ssl.keyStoreAlgorithm() != null ? ssl.keyStoreAlgorithm()
                        : KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(load(resources, ssl.keyStore(), ssl.keyStoreType(), pw), pw);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(ssl.trustStoreAlgorithm() != null
                    ? ssl.trustStoreAlgorithm() : TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ssl.trustStore() == null ? null
                    : load(resources, ssl.trustStore(), ssl.trustStoreType(), chars(ssl.trustStorePassword())));
            SSLContext ctx = SSLContext.getInstance(ssl.algorithm() != null ? ssl.algorithm() : "TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            // The message names the store, never its password.
            throw new IllegalStateException("spring.rabbitmq.ssl: cannot load the key or trust store: " + e.getMessage(),
                    e);
        }
    }

    private static KeyStore load(ResourceLoader resources, String location, String type, char[] password)
            throws GeneralSecurityException, IOException {
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = resources.getResource(location).getInputStream()) {
            ks.load(in, password);
        }
        return ks;
    }

    private static char[] chars(String s) {
        return s == null ? null : s.toCharArray();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
