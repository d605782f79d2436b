package dev.warren.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made at run time for TLS tests, written as PEM files into a folder: a test CA;
 * a server certificate for {@code localhost} (and nothing else, so {@code 127.0.0.1} does not
 * match it); an expired one for {@code localhost}; a client certificate whose common name is
 * {@link #CLIENT_USER}; and a client certificate from another CA, which a broker must refuse.
 * Private keys are unencrypted PKCS#8 PEM. Needs BouncyCastle ({@code bcpkix-jdk18on}) on the
 * class path.
 */
public final class TestCertificates {
    /** The common name of {@link #client()}: the user SASL EXTERNAL logs in as. */
    public static final String CLIENT_USER = "warren-tls-client";

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /**
     * A certificate and its private key, as objects and as PEM files.
     *
     * @param certificate the X.509 certificate, signed by its issuing CA
     * @param key the certificate's RSA private key
     * @param certPem the file holding {@code certificate} in PEM form
     * @param keyPem the file holding {@code key} as unencrypted PKCS#8 PEM
     */
    public record Issued(X509Certificate certificate, PrivateKey key, Path certPem, Path keyPem) {
        @Override
        public String toString() {
            return "Issued[" + certificate.getSubjectX500Principal().getName() + ", " + certPem + "]";
        }
    }

    private final Path dir;
    private final Issued ca;
    private final Issued server;
    private final Issued expiredServer;
    private final Issued client;
    private final Issued foreignClient;

    private TestCertificates(Path dir, Issued ca, Issued server, Issued expiredServer, Issued client,
            Issued foreignClient) {
        this.dir = dir;
        this.ca = ca;
        this.server = server;
        this.expiredServer = expiredServer;
        this.client = client;
        this.foreignClient = foreignClient;
    }

    /**
     * Makes every certificate and writes them into {@code dir} (created if needed).
     *
     * @param dir the folder to write the PEM files into; files of the same names are overwritten
     * @return the new test CA and the certificates it issued, with the foreign client certificate
     * @throws UncheckedIOException if the folder cannot be written
     * @throws IllegalStateException if the JDK or BouncyCastle cannot make them
     */
    public static TestCertificates create(Path dir) {
        try {
            Files.createDirectories(dir);
            Instant now = Instant.now();
            Instant from = now.minus(Duration.ofHours(1));
            Instant until = now.plus(Duration.ofDays(2));
            KeyPair caKeys = rsa();
            X509Certificate caCert = caCertificate("CN=Warren Test CA", caKeys, from, until);
            Issued ca = write(dir, "ca", caCert, caKeys.getPrivate());
            Issued server = issue(dir, "server", ca, "CN=localhost", from, until, true);
            Issued expired = issue(dir, "expired-server", ca, "CN=localhost", now.minus(Duration.ofDays(3)),
                    now.minus(Duration.ofDays(1)), true);
            Issued client = issue(dir, "client", ca, "CN=" + CLIENT_USER, from, until, false);
            KeyPair otherKeys = rsa();
            Issued otherCa = new Issued(caCertificate("CN=Some Other CA", otherKeys, from, until),
                    otherKeys.getPrivate(), null, null);
            Issued foreign = issue(dir, "foreign-client", otherCa, "CN=" + CLIENT_USER, from, until, false);
            return new TestCertificates(dir, ca, server, expired, client, foreign);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write test certificates to " + dir, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make test certificates", e);
        }
    }

    /**
     * The folder the PEM files are in.
     *
     * @return the folder given to {@link #create(Path)}, holding every {@code .pem} and {@code .key} file
     */
    public Path dir() {
        return dir;
    }

    /**
     * The test CA (its {@link Issued#certPem()} is the CA bundle to trust).
     *
     * @return the self-signed test CA certificate and the private key that signs the other certificates
     */
    public Issued ca() {
        return ca;
    }

    /**
     * The CA bundle to trust: the test CA's certificate in PEM.
     *
     * @return the file holding the CA certificate in PEM form, for a client's or a broker's trust
     */
    public Path caPem() {
        return ca.certPem();
    }

    /**
     * A new in-memory trust store (PKCS#12, no password) holding the test CA.
     *
     * @return a fresh PKCS#12 key store whose only entry is the test CA certificate, e.g. for a
     *         {@code TrustManagerFactory}
     * @throws IllegalStateException if the JDK cannot make one
     */
    public KeyStore caTrustStore() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setCertificateEntry("test-ca", ca.certificate());
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a trust store", e);
        }
    }

    /**
     * The server certificate for {@code localhost} only (DNS name, no IP address).
     *
     * @return the valid server certificate and key, issued by the test CA, that a TLS broker presents
     */
    public Issued server() {
        return server;
    }

    /**
     * A server certificate for {@code localhost} that expired a day ago.
     *
     * @return the expired server certificate and key, issued by the test CA, that a client must refuse
     */
    public Issued expiredServer() {
        return expiredServer;
    }

    /**
     * A client certificate for {@link #CLIENT_USER}, issued by the test CA.
     *
     * @return the client certificate and key that a broker trusting the test CA accepts for SASL EXTERNAL
     */
    public Issued client() {
        return client;
    }

    /**
     * A client certificate for {@link #CLIENT_USER} issued by another CA, unknown to the broker.
     *
     * @return the client certificate and key from the other CA, which a broker trusting only the
     *         test CA must refuse
     */
    public Issued foreignClient() {
        return foreignClient;
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static X509Certificate caCertificate(String subject, KeyPair keys, Instant from, Instant until)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        X500Name name = new X500Name(subject);
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(from),
                Date.from(until), name, keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        return certificate(b, keys.getPrivate());
    }

    /** A new key pair and a certificate for it signed by {@code ca}, written as PEM files. */
    private static Issued issue(Path dir, String name, Issued ca, String subject, Instant from, Instant until,
            boolean server) throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPair keys = rsa();
        return write(dir, name, sign(ca, subject, keys, from, until, server), keys.getPrivate());
    }

    private static X509Certificate sign(Issued ca, String subject, KeyPair keys, Instant from, Instant until,
            boolean server) throws GeneralSecurityException, OperatorCreationException, IOException {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(), Date.from(from),
                Date.from(until), new X500Name(subject), keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth));
        b.addExtension(Extension.authorityKeyIdentifier, false,
                ext.createAuthorityKeyIdentifier(ca.certificate()));
        if (server) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")));
        }
        return certificate(b, ca.key());
    }

    private static X509Certificate certificate(X509v3CertificateBuilder b, PrivateKey signer)
            throws GeneralSecurityException, OperatorCreationException {
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer)));
    }

    private static Issued write(Path dir, String name, X509Certificate cert, PrivateKey key) throws IOException {
        Path certPem = dir.resolve(name + ".pem");
        Path keyPem = dir.resolve(name + ".key");
        Files.writeString(certPem, pem(cert));
        Files.writeString(keyPem, pem(new JcaPKCS8Generator(key, null).generate()));
        return new Issued(cert, key, certPem, keyPem);
    }

    private static String pem(Object o) throws IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        }
        return sw.toString();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }
}
