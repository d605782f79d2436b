package dev.warren;

import static dev.warren.TestSupport.awaitNoAmqpThreads;
import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.TestCertificates;
import dev.warren.testing.TlsNode;
import dev.warren.testing.TlsStubServer;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * amqps against a private node with a TLS listener and certificates made by the test: verified
 * by default, mutual TLS with SASL EXTERNAL, and every refusal said in words.
 */
@Timeout(60)
class TlsTest {
    private static TlsNode node;
    private static TestCertificates certs;

    @BeforeAll
    static void startNode() throws Exception {
        node = TlsNode.shared();
        certs = node.certificates();
        for (TestCertificates.Issued i : new TestCertificates.Issued[] {certs.client(), certs.server(),
                certs.foreignClient(), certs.expiredServer()}) {
            TestSecrets.secret(Files.readString(i.keyPem()));
        }
    }

    private static TlsOptions trustingTestCa() {
        return TlsOptions.trusting(certs.caPem());
    }

    private static TlsOptions withClientCertificate() {
        return trustingTestCa().withClientCertificate(certs.client().certPem(), certs.client().keyPem());
    }

    @Test
    void amqpsWithTheTestCaConnectsPublishesAndConsumes() throws Exception {
        ConnectionOptions options = ConnectionOptions.of(node.uri("localhost")).withTls(trustingTestCa());
        try (BlockingConnection conn = Warren.connect(options); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.serverNamed()).name();
            ch.publish("", q, Message.text("over TLS"));
            try (Subscription s = ch.consume(q)) {
                Delivery d = s.take();
                assertThat(d.bodyAsString()).isEqualTo("over TLS");
                d.ack();
            }
        }
        awaitNoAmqpThreads();
    }

    @Test
    void withoutTheCaTheBrokersCertificateIsRefusedAsNotTrusted() {
        assertRefused(ConnectionOptions.of(node.uri("localhost")), e -> assertThat(e)
                .hasMessageContaining("certificate is not trusted")
                .hasMessageContaining("CN=localhost").hasMessageContaining("CN=Warren Test CA"));
    }

    @Test
    void aCertificateForAnotherHostIsRefusedNamingTheHostAndTheCertificatesNames() {
        assertRefused(ConnectionOptions.of(node.uri("127.0.0.1")).withTls(trustingTestCa()), e -> assertThat(e)
                .hasMessageContaining("host name mismatch")
                .hasMessageContaining("'127.0.0.1'").hasMessageContaining("DNS:localhost"));
    }

    @Test
    void theDefaultTrustStorePathAlsoRefusesAWrongHost() throws Exception {
        // The JVM-wide trust store, as a user would set it, with the test CA in it.
        Path store = Files.createTempFile("warren-truststore", ".p12");
        try (OutputStream out = Files.newOutputStream(store)) {
            certs.caTrustStore().store(out, "changeit".toCharArray());
        }
        String[] keys = {"javax.net.ssl.trustStore", "javax.net.ssl.trustStorePassword", "javax.net.ssl.trustStoreType"};
        String[] saved = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            saved[i] = System.getProperty(keys[i]);
        }
        try {
            System.setProperty(keys[0], store.toString());
            System.setProperty(keys[1], "changeit");
            System.setProperty(keys[2], "PKCS12");
            try (BlockingConnection conn = Warren.connect(node.uri("localhost"))) {
                assertThat(conn.isOpen()).isTrue();
            }
            assertRefused(ConnectionOptions.of(node.uri("127.0.0.1")), e -> assertThat(e)
                    .hasMessageContaining("host name mismatch").hasMessageContaining("'127.0.0.1'"));
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (saved[i] == null) {
                    System.clearProperty(keys[i]);
                } else {
                    System.setProperty(keys[i], saved[i]);
                }
            }
            Files.deleteIfExists(store);
        }
    }

    @Test
    void aGivenSslContextAlsoHasItsHostNameVerified() throws Exception {
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, testCaTrustManagers(), null);
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(node.uri("localhost"))
                .withTls(TlsOptions.of(context)))) {
            assertThat(conn.isOpen()).isTrue();
        }
        assertRefused(ConnectionOptions.of(node.uri("127.0.0.1")).withTls(TlsOptions.of(context)),
                e -> assertThat(e).hasMessageContaining("host name mismatch").hasMessageContaining("'127.0.0.1'"));
    }

    @Test
    void anExpiredCertificateIsRefusedAndSaidSo() {
        try (TlsStubServer expired = TlsStubServer.presenting(certs.expiredServer())) {
            assertRefused(ConnectionOptions.of("amqps://guest:guest@localhost:" + expired.port()).withTls(trustingTestCa()),
                    e -> assertThat(e).hasMessageContaining("certificate has expired")
                            .hasMessageContaining("CN=localhost"));
        }
    }

    @Test
    void aProtocolTheBrokerDoesNotAcceptIsRefusedAsAProtocolMismatch() {
        assertRefused(ConnectionOptions.of(node.uri("localhost")).withTls(trustingTestCa().withProtocols("TLSv1.3")),
                e -> assertThat(e).hasMessageContaining("protocol mismatch").hasMessageContaining("TLSv1.3"));
        // and the one it accepts works
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(node.uri("localhost"))
                .withTls(trustingTestCa().withProtocols(TlsNode.PROTOCOL)))) {
            assertThat(conn.isOpen()).isTrue();
        }
    }

    @Test
    void mutualTlsWithSaslExternalConnectsAsTheUserTheCertificateNames() throws Exception {
        String name = unique("external");
        ConnectionOptions options = ConnectionOptions.of("amqps://localhost:" + node.port())
                .withTls(withClientCertificate()).withSaslExternal().withConnectionName(name);
        try (BlockingConnection conn = Warren.connect(options); BlockingChannel ch = conn.openChannel()) {
            ch.queueDeclare(QueueSpec.serverNamed());
            String users = node.admin().rabbitmqctl("list_connections", "-q", "--no-table-headers", "user", "client_properties");
            assertThat(users.lines().filter(l -> l.contains(name)))
                    .singleElement().satisfies(l -> assertThat(l).startsWith(TestCertificates.CLIENT_USER + "\t"));
        }
        awaitNoAmqpThreads();
    }

    @Test
    void aClientKeyStoreWorksLikeAPemPair() throws Exception {
        Path store = Files.createTempFile("warren-client", ".p12");
        char[] password = "key-store-pw".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", certs.client().key(), password, new Certificate[] {certs.client().certificate()});
        try (OutputStream out = Files.newOutputStream(store)) {
            ks.store(out, password);
        }
        try {
            TlsOptions tls = trustingTestCa().withClientKeyStore(store, password);
            assertThat(tls.toString()).doesNotContain("key-store-pw");
            try (BlockingConnection conn = Warren.connect(ConnectionOptions.of("amqps://localhost:" + node.port())
                    .withTls(tls).withSaslExternal())) {
                assertThat(conn.isOpen()).isTrue();
            }
            assertThatThrownBy(() -> trustingTestCa().withClientKeyStore(store, "wrong".toCharArray()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(store.toString());
        } finally {
            Files.deleteIfExists(store);
        }
    }

    @Test
    void saslExternalWithoutAClientCertificateIsRefused() {
        assertRefused(ConnectionOptions.of("amqps://localhost:" + node.port()).withTls(trustingTestCa()).withSaslExternal(),
                e -> assertThat(e).hasMessageContaining("403").hasMessageContaining("no client certificate"));
    }

    @Test
    void aClientCertificateFromAnUnknownCaIsRefusedByTheBroker() throws Exception {
        // The JDK would not even send a certificate the broker's CA list does not cover: a key
        // manager that always offers it makes the broker see it, and refuse it.
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "x".toCharArray();
        ks.setKeyEntry("foreign", certs.foreignClient().key(), pw, new Certificate[] {certs.foreignClient().certificate()});
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, pw);
        javax.net.ssl.X509KeyManager jdk = (javax.net.ssl.X509KeyManager) kmf.getKeyManagers()[0];
        javax.net.ssl.X509ExtendedKeyManager always = new javax.net.ssl.X509ExtendedKeyManager() {
            @Override public String chooseClientAlias(String[] type, java.security.Principal[] issuers, java.net.Socket s) {
                return "foreign";
            }
            @Override public String[] getClientAliases(String type, java.security.Principal[] issuers) {
                return new String[] {"foreign"};
            }
            @Override public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
                return jdk.getCertificateChain(alias);
            }
            @Override public java.security.PrivateKey getPrivateKey(String alias) {
                return jdk.getPrivateKey(alias);
            }
            @Override public String[] getServerAliases(String type, java.security.Principal[] issuers) {
                return null;
            }
            @Override public String chooseServerAlias(String type, java.security.Principal[] issuers, java.net.Socket s) {
                return null;
            }
        };
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(new javax.net.ssl.KeyManager[] {always}, testCaTrustManagers(), null);
        assertRefused(ConnectionOptions.of("amqps://localhost:" + node.port()).withTls(TlsOptions.of(context))
                        .withSaslExternal(),
                e -> assertThat(e).hasMessageContaining("refused this client's certificate"));
    }

    @Test
    void aClientCertificateTheBrokerDoesNotAskForIsNotSentAndTheLoginIsRefused() {
        TlsOptions foreign = trustingTestCa().withClientCertificate(certs.foreignClient().certPem(),
                certs.foreignClient().keyPem());
        assertRefused(ConnectionOptions.of("amqps://localhost:" + node.port()).withTls(foreign).withSaslExternal(),
                e -> assertThat(e).hasMessageContaining("403").hasMessageContaining("SASL EXTERNAL")
                        .hasMessageContaining("with this client certificate"));
    }

    @Test
    void turningVerificationOffIsLoudAndConnectsToAnyName() throws Exception {
        java.util.concurrent.atomic.AtomicReference<ConnectionStats> stats = new java.util.concurrent.atomic.AtomicReference<>();
        WarrenObserver observer = new WarrenObserver() {
            @Override
            public void connectionOpened(ConnectionStats s) {
                stats.set(s);
            }
        };
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(node.uri("127.0.0.1"))
                .withTls(TlsOptions.trustingAnyCertificateInsecurely()).withObserver(observer))) {
            assertThat(conn.isOpen()).isTrue();
            // Marked for the observer and in every JFR event of the connection.
            assertThat(stats.get().tlsUnverified()).isTrue();
            assertThat(conn.telemetry().jfrConnection()).endsWith("[TLS UNVERIFIED]");
        }
        assertThat(TlsOptions.trustingAnyCertificateInsecurely().toString()).contains("INSECURE");
        if (LogCapture.installed()) {
            assertThat(LogCapture.text()).containsOnlyOnce("TLS without verification");
        }
    }

    @Test
    void tlsOptionsOnAPlainUriAndUnreadableKeysAreRejectedWithoutShowingTheKey() throws Exception {
        assertThatThrownBy(() -> Warren.connect(ConnectionOptions.of("amqp://localhost:1").withTls(trustingTestCa())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("amqps://");
        // A certificate file given as the key: the message names the file and never its text.
        Path notAKey = certs.client().certPem();
        Throwable e = TestSupport.caught(() -> Warren.connect(ConnectionOptions.of("amqps://localhost:" + node.port())
                .withTls(trustingTestCa().withClientCertificate(certs.client().certPem(), notAKey))));
        assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(notAKey.toString());
        TestSecrets.record(e);
        // The real key, given as the certificate.
        Throwable e2 = TestSupport.caught(() -> Warren.connect(ConnectionOptions.of("amqps://localhost:" + node.port())
                .withTls(trustingTestCa().withClientCertificate(certs.client().keyPem(), certs.client().keyPem()))));
        assertThat(e2).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a PEM certificate");
        assertThat(TestSecrets.foundIn(TestSecrets.fullTrace(e2), TestSecrets.all())).isEmpty();
        TestSecrets.record(e2);
        awaitNoAmqpThreads();
    }

    private static javax.net.ssl.TrustManager[] testCaTrustManagers() throws Exception {
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        tmf.init(certs.caTrustStore());
        return tmf.getTrustManagers();
    }

    private static void assertRefused(ConnectionOptions options, Consumer<ConnectFailedException> check) {
        long start = System.nanoTime();
        // Closed at once should it open: a refusal that did not happen must not leak into other tests.
        Throwable e = TestSupport.caught(() -> Warren.connect(options.withConnectTimeout(Duration.ofSeconds(10))).close());
        TestSecrets.record(e);
        assertThat(e).isInstanceOfSatisfying(ConnectFailedException.class, f -> {
            check.accept(f);
            assertThat(f.getMessage()).doesNotContain("SSLHandshakeException").doesNotContain("\n\tat ");
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        awaitNoAmqpThreads();
    }
}
