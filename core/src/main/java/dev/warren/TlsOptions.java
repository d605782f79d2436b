package dev.warren;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * How an {@code amqps://} connection does TLS: whom it trusts, which client certificate it
 * shows, which protocol versions it offers. Immutable; the {@code with...} methods return copies.
 * Give it with {@link ConnectionOptions#withTls(TlsOptions)}.
 *
 * <pre>{@code
 * TlsOptions tls = TlsOptions.trusting(Path.of("ca.pem"))                       // the broker's CA
 *         .withClientCertificate(Path.of("client.pem"), Path.of("client.key")); // for mutual TLS
 * Warren.connect(ConnectionOptions.of("amqps://rabbit.example.com:5671").withTls(tls).withSaslExternal());
 * }</pre>
 *
 * <p>Whatever the options, Warren verifies the broker's certificate chain and that the
 * certificate names the host of the URI, unless {@link #trustingAnyCertificateInsecurely()} says
 * otherwise. PEM files are read anew for every connection, so a renewed certificate on disk is
 * used by the next connection. {@link #toString()} names files, never their contents or a
 * password.
 */
public final class TlsOptions {
    private final Path caBundle;
    private final SSLContext context;
    private final boolean insecure;
    private final Path clientCertificate;
    private final Path clientKey;
    private final List<KeyManager> keyManagers;
    private final String keyStoreName;
    private final List<String> protocols;

    private TlsOptions(Path caBundle, SSLContext context, boolean insecure, Path clientCertificate, Path clientKey,
            List<KeyManager> keyManagers, String keyStoreName, List<String> protocols) {
        this.caBundle = caBundle;
        this.context = context;
        this.insecure = insecure;
        this.clientCertificate = clientCertificate;
        this.clientKey = clientKey;
        this.keyManagers = keyManagers;
        this.keyStoreName = keyStoreName;
        this.protocols = protocols;
    }

    /**
     * Trusts the JVM's default trust store (what {@code amqps://} without options does: the
     * {@code javax.net.ssl.trustStore} property, else the JDK's {@code cacerts}), so that a client
     * certificate or protocols can be added. The {@code javax.net.ssl.keyStore} properties are
     * not read; for a client certificate from them use {@code of(SSLContext.getDefault())}.
     *
     * @return options that trust the JVM's default CAs
     */
    public static TlsOptions trustingJvmDefaults() {
        return new TlsOptions(null, null, false, null, null, List.of(), null, List.of());
    }

    /**
     * Trusts the CA certificates in a PEM file (one or more {@code BEGIN CERTIFICATE} blocks),
     * and only those. The file is read when a connection opens; a missing or unreadable file
     * then fails the connect with {@link IllegalArgumentException}.
     *
     * @param caPem the PEM bundle of CA certificates
     * @return options that trust those CAs
     * @throws NullPointerException if {@code caPem} is null
     */
    public static TlsOptions trusting(Path caPem) {
        Objects.requireNonNull(caPem, "caPem");
        return new TlsOptions(caPem, null, false, null, null, List.of(), null, List.of());
    }

    /**
     * Uses an initialised {@link SSLContext} as it is: its trust and key managers decide. Warren
     * still turns on host-name verification. Client certificates cannot be added to it (put them
     * in the context); protocols can.
     *
     * @param context an initialised context
     * @return options that use it
     * @throws NullPointerException if {@code context} is null
     */
    public static TlsOptions of(SSLContext context) {
        Objects.requireNonNull(context, "context");
        return new TlsOptions(null, context, false, null, null, List.of(), null, List.of());
    }

    /**
     * Turns off every check of the broker's identity: any certificate, from anyone, for any host,
     * expired or not, is accepted. Anyone on the network path can then read and change the
     * traffic, credentials included. For a throw-away test setup only: every connection that
     * uses it logs a warning with its name (through {@link System.Logger} when no SLF4J provider
     * is bound), its JFR events name it with {@code [TLS UNVERIFIED]}, and its
     * {@link ConnectionStats#tlsUnverified()} is true for the observer.
     *
     * @return options that encrypt without authenticating the broker
     */
    public static TlsOptions trustingAnyCertificateInsecurely() {
        return new TlsOptions(null, null, true, null, null, List.of(), null, List.of());
    }

    /**
     * Shows this client certificate to the broker (mutual TLS, e.g. for
     * {@link ConnectionOptions#withSaslExternal()}). Both files are read when a connection opens.
     *
     * @param certPem the client certificate, optionally followed by its intermediate CAs, in PEM
     * @param keyPem its private key, unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}; convert
     *        others with {@code openssl pkcs8 -topk8 -nocrypt})
     * @return a copy with the client certificate
     * @throws NullPointerException if either is null
     * @throws IllegalStateException if these options use a given {@link SSLContext}
     */
    public TlsOptions withClientCertificate(Path certPem, Path keyPem) {
        Objects.requireNonNull(certPem, "certPem");
        Objects.requireNonNull(keyPem, "keyPem");
        requireOwnContext();
        return new TlsOptions(caBundle, context, insecure, certPem, keyPem, List.of(), null, protocols);
    }

    /**
     * Shows the client certificate of a key store (PKCS#12 or JKS). The store is read now and the
     * password is not kept.
     *
     * @param keyStore the key store file
     * @param password the store's (and its key's) password; this method does not clear it
     * @return a copy with the client certificate
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if the store cannot be read or opened with that password
     * @throws IllegalStateException if these options use a given {@link SSLContext}
     */
    public TlsOptions withClientKeyStore(Path keyStore, char[] password) {
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(password, "password");
        requireOwnContext();
        try {
            KeyStore ks = KeyStore.getInstance(keyStore.toFile(), password);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            return new TlsOptions(caBundle, context, insecure, null, null, List.of(kmf.getKeyManagers()),
                    keyStore.toString(), protocols);
        } catch (IOException | GeneralSecurityException e) {
            // The message of a wrong password is "keystore password was incorrect": no secret in it.
            throw new IllegalArgumentException("cannot open the key store " + keyStore + ": " + e.getMessage());
        }
    }

    /**
     * Offers only these TLS protocol versions (e.g. {@code "TLSv1.3"}); by default the JDK's.
     *
     * @param protocols one or more protocol names as the JDK spells them
     * @return a copy with those protocols
     * @throws NullPointerException if any is null
     * @throws IllegalArgumentException if none is given or one is blank
     */
    public TlsOptions withProtocols(String... protocols) {
        List<String> list = List.of(protocols);
        if (list.isEmpty() || list.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("protocols must be one or more names, not " + Arrays.toString(protocols));
        }
        return new TlsOptions(caBundle, context, insecure, clientCertificate, clientKey, keyManagers, keyStoreName,
                list);
    }

    /**
     * The PEM bundle of trusted CAs, or null for the JVM's trust store (or a given context).
     *
     * @return the file given to {@link #trusting(Path)}, or null
     */
    public Path caBundle() {
        return caBundle;
    }

    /**
     * The given {@link SSLContext}, or null when Warren builds one from these options.
     *
     * @return the context given to {@link #of(SSLContext)}, or null
     */
    public SSLContext sslContext() {
        return context;
    }

    /**
     * Whether the broker's certificate and host name are verified (false only when insecure).
     *
     * @return false for {@link #trustingAnyCertificateInsecurely()}, true otherwise
     */
    public boolean verifiesBroker() {
        return !insecure;
    }

    /**
     * The client certificate PEM file, or null.
     *
     * @return the certificate file given to {@link #withClientCertificate(Path, Path)}, or null
     */
    public Path clientCertificate() {
        return clientCertificate;
    }

    /**
     * The client private key PEM file, or null.
     *
     * @return the key file given to {@link #withClientCertificate(Path, Path)}, or null
     */
    public Path clientKey() {
        return clientKey;
    }

    /**
     * The key managers of a client key store given with {@link #withClientKeyStore}, or empty.
     *
     * @return the key managers built from that store, or an empty list when none was given
     */
    public List<KeyManager> clientKeyManagers() {
        return keyManagers;
    }

    /**
     * Whether a client certificate is shown (as a PEM pair or a key store).
     *
     * @return true if {@link #withClientCertificate(Path, Path)} or {@link #withClientKeyStore} was used
     */
    public boolean hasClientCertificate() {
        return clientCertificate != null || !keyManagers.isEmpty();
    }

    /**
     * The protocols offered, or empty for the JDK's defaults.
     *
     * @return the protocol names given to {@link #withProtocols(String...)}, or an empty list
     */
    public List<String> protocols() {
        return protocols;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TlsOptions[");
        sb.append(insecure ? "INSECURE: no verification" : context != null ? "given SSLContext"
                : caBundle != null ? "trusting " + caBundle : "trusting the JVM's CAs");
        if (clientCertificate != null) {
            sb.append(", client certificate ").append(clientCertificate);
        }
        if (keyStoreName != null) {
            sb.append(", client key store ").append(keyStoreName);
        }
        if (!protocols.isEmpty()) {
            sb.append(", protocols ").append(protocols);
        }
        return sb.append(']').toString();
    }

    private void requireOwnContext() {
        if (context != null) {
            throw new IllegalStateException("a given SSLContext carries its own key material: put the client"
                    + " certificate into it");
        }
    }
}
