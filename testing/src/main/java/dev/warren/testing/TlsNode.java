package dev.warren.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A private RabbitMQ node with a TLS listener, one per JVM, started on first use with
 * {@link TestCertificates} made for it: it presents the {@code localhost} server certificate of
 * the test CA, offers only TLS 1.2, asks clients for a certificate of the test CA (without
 * requiring one), and lets SASL EXTERNAL log in as the certificate's common name
 * ({@code rabbitmq_auth_mechanism_ssl}); the user {@link TestCertificates#CLIENT_USER} exists
 * with full permissions on {@code /}. Stopped when the JVM exits. Needs the
 * {@link RabbitServer#configured() configured} server and BouncyCastle.
 */
public final class TlsNode {
    /** The only protocol the node accepts. */
    public static final String PROTOCOL = "TLSv1.2";

    private static final ReentrantLock LOCK = new ReentrantLock();
    private static TlsNode shared;

    private final PrivateNode node;
    private final int tlsPort;
    private final TestCertificates certificates;
    private final BrokerAdmin admin;

    private TlsNode(PrivateNode node, int tlsPort, TestCertificates certificates) {
        this.node = node;
        this.tlsPort = tlsPort;
        this.certificates = certificates;
        // A node this JVM started: every fault is allowed on it.
        this.admin = new BrokerAdmin(node.ctl(), "/", null);
    }

    /**
     * The TLS node of this JVM, started on first use (10 to 20 s).
     *
     * @return the TLS node of this JVM, the same one on every call, kept until the JVM exits
     * @throws BrokerUnavailableException when no {@code rabbitmq-server} is installed or it does
     *         not start
     */
    public static TlsNode shared() {
        LOCK.lock();
        try {
            if (shared == null) {
                shared = start();
            }
            return shared;
        } finally {
            LOCK.unlock();
        }
    }

    private static TlsNode start() {
        RabbitServer server = RabbitServer.configured();
        if (!server.available()) {
            throw new BrokerUnavailableException("TLS tests start a private node of " + server + ": "
                    + server.howToInstall());
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("warren-certs");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a folder for test certificates", e);
        }
        TestCertificates certs = TestCertificates.create(dir);
        for (int attempt = 1; ; attempt++) {
            int tlsPort = Ports.free();
            PrivateNode node = PrivateNode.start(server, config(certs, tlsPort));
            // A free port can be taken by another process while the node boots (10 s or more):
            // only the certificate made for this node proves that the listener is its own.
            if (presentsOwnCertificate(tlsPort, certs)) {
                TlsNode started = new TlsNode(node, tlsPort, certs);
                // Its password is never used: this user logs in with its certificate.
                started.admin.addUser(TestCertificates.CLIENT_USER, UUID.randomUUID().toString(), ".*", ".*", ".*");
                return started;
            }
            node.remove();
            if (attempt == 3) {
                throw new BrokerUnavailableException("a private TLS node did not present its certificate on its"
                        + " TLS port " + tlsPort + " (three attempts)");
            }
        }
    }

    private static NodeConfig config(TestCertificates certs, int tlsPort) {
        return new NodeConfig(List.of(
                "listeners.ssl.default = " + tlsPort,
                "ssl_options.cacertfile = {dir}/ca.pem",
                "ssl_options.certfile = {dir}/server.pem",
                "ssl_options.keyfile = {dir}/server.key",
                "ssl_options.verify = verify_peer",
                "ssl_options.fail_if_no_peer_cert = false",
                "ssl_options.versions.1 = tlsv1.2",
                "auth_mechanisms.1 = PLAIN",
                "auth_mechanisms.2 = AMQPLAIN",
                "auth_mechanisms.3 = EXTERNAL",
                "ssl_cert_login_from = common_name"),
                List.of("rabbitmq_auth_mechanism_ssl"),
                Map.of("ca.pem", read(certs.caPem()),
                        "server.pem", read(certs.server().certPem()),
                        "server.key", read(certs.server().keyPem())),
                List.of(tlsPort));
    }

    /** Whether the TLS listener on the port shows the server certificate made for this node. */
    private static boolean presentsOwnCertificate(int port, TestCertificates certs) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(certs.caTrustStore());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
                s.setSoTimeout(5_000);
                s.startHandshake();
                return certs.server().certificate().equals(s.getSession().getPeerCertificates()[0]);
            }
        } catch (IOException | GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * The certificates the node and the tests use.
     *
     * @return the test CA and certificates made for this node; it presents {@link TestCertificates#server()}
     */
    public TestCertificates certificates() {
        return certificates;
    }

    /**
     * The TLS listener's port.
     *
     * @return the port the node accepts AMQP over TLS 1.2 on
     */
    public int port() {
        return tlsPort;
    }

    /**
     * An {@code amqps://} URI of the node for the given host name, as user guest.
     *
     * @param host {@code localhost} (which the certificate names) or e.g. {@code 127.0.0.1}
     * @return {@code amqps://guest:guest@host:port}, with this node's TLS port
     */
    public String uri(String host) {
        return "amqps://guest:guest@" + host + ":" + tlsPort;
    }

    /**
     * Fault injection and user management on this node.
     *
     * @return the admin of this node, acting on the vhost {@code /}
     */
    public BrokerAdmin admin() {
        return admin;
    }

    /**
     * The node's name, e.g. for {@code rabbitmqctl -n}.
     *
     * @return the Erlang node name of this private node
     */
    public String nodeName() {
        return node.nodeName;
    }

    @Override
    public String toString() {
        return "a private TLS node " + node.nodeName + " on port " + tlsPort;
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
