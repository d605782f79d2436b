package dev.warren.internal;

import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultSaslConfig;
import com.rabbitmq.client.SocketConfigurator;
import com.rabbitmq.client.SocketConfigurators;
import dev.warren.ConnectionOptions;
import dev.warren.TlsOptions;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Sets up TLS, SASL EXTERNAL and credentials on an amqp-client {@link ConnectionFactory}: TLS from
 * {@link TlsOptions}, for every
 * {@code amqps://} connection (also without options: then the JVM's trust store). Host-name
 * verification is switched on here, explicitly, rather than left to whichever amqp-client
 * method happened to be called.
 */
public final class TlsSetup {

    private TlsSetup() {}

    /** How one connection's TLS was set up, for describing its failure. */
    public record Prepared(TlsOptions options, RecordingTrustManager trust) {
        /** What the broker showed and why it was refused, or null (not refused, or not seen). */
        RecordingTrustManager.Refusal refusal() {
            return trust != null ? trust.refusal() : null;
        }
    }

    /**
     * Sets up TLS (for {@code amqps://}), SASL EXTERNAL and a credentials provider on {@code f},
     * after its URI was set.
     *
     * @param scheme the URI's scheme
     * @return how TLS was set up, or null for a plain connection
     * @throws IllegalArgumentException when the options do not fit the URI, or a PEM file or key
     *         cannot be read (the message names the file, never its contents)
     */
    public static Prepared applyTo(ConnectionFactory f, ConnectionOptions options, String scheme) {
        boolean amqps = "amqps".equalsIgnoreCase(scheme);
        if (!amqps && options.tls() != null) {
            throw new IllegalArgumentException("TLS options were given for " + options.redactedUri()
                    + ": use an amqps:// URI (port 5671 by default)");
        }
        if (options.saslExternal()) {
            if (!amqps) {
                throw new IllegalArgumentException("SASL EXTERNAL logs in with the client certificate of a TLS"
                        + " connection: use an amqps:// URI, not " + options.redactedUri());
            }
            if (options.credentials() != null) {
                throw new IllegalArgumentException("SASL EXTERNAL takes the user from the client certificate:"
                        + " it cannot be combined with withCredentials");
            }
            f.setSaslConfig(DefaultSaslConfig.EXTERNAL);
        }
        if (options.credentials() != null) {
            if (options.credentialsRefreshService() == null && options.credentials().getTimeBeforeExpiration() != null) {
                throw new IllegalArgumentException("the credentials of " + options.credentials().getClass().getSimpleName()
                        + " expire: give a ConnectionOptions.withCredentialsRefreshService to refresh them");
            }
            f.setCredentialsProvider(options.credentials());
        }
        if (options.credentialsRefreshService() != null) {
            f.setCredentialsRefreshService(options.credentialsRefreshService());
        }
        if (InsecureTls.of(options)) {
            InsecureTls.warn(options);
        }
        return amqps ? configure(f, options.tls()) : null;
    }

    /**
     * Configures TLS on {@code f}, after its URI was set.
     *
     * @param tls the options, or null for the JVM's trust store
     * @return what was set up
     * @throws IllegalArgumentException when a PEM file or key cannot be read (the message names
     *         the file, never its contents)
     */
    static Prepared configure(ConnectionFactory f, TlsOptions tls) {
        TlsOptions options = tls != null ? tls : TlsOptions.trustingJvmDefaults();
        SSLContext context;
        RecordingTrustManager trust = null;
        try {
            if (options.sslContext() != null) {
                context = options.sslContext();
            } else {
                TrustManager tm;
                if (!options.verifiesBroker()) {
                    tm = new AcceptingAnything();
                } else {
                    trust = new RecordingTrustManager(jdkTrustManager(options.caBundle()));
                    tm = trust;
                }
                context = SSLContext.getInstance("TLS");
                context.init(keyManagers(options), new TrustManager[] {tm}, new SecureRandom());
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS: " + e.getMessage());
        }
        f.useSslProtocol(context);
        // Replaces what useSslProtocol and setUri configured, so that verification is on because
        // Warren says so, on every path.
        f.setSocketConfigurator(socketConfigurator(options.verifiesBroker(), options.protocols()));
        return new Prepared(options, trust);
    }

    private static SocketConfigurator socketConfigurator(boolean verifyHost, List<String> protocols) {
        SocketConfigurator tcp = SocketConfigurators.defaultConfigurator();
        String[] enabled = protocols.toArray(new String[0]);
        return socket -> {
            tcp.configure(socket);
            if (socket instanceof SSLSocket ssl) {
                SSLParameters p = ssl.getSSLParameters();
                if (verifyHost) {
                    // "HTTPS" is the JDK's name for RFC 2818 host-name checks; they fit any TCP service.
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                }
                if (enabled.length > 0) {
                    p.setProtocols(enabled);
                }
                ssl.setSSLParameters(p);
            }
        };
    }

    private static X509ExtendedTrustManager jdkTrustManager(Path caBundle) throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caBundle == null) {
            tmf.init((KeyStore) null);
        } else {
            KeyStore ks = emptyKeyStore();
            List<X509Certificate> cas = Pem.certificates(caBundle, "the CA bundle");
            for (int i = 0; i < cas.size(); i++) {
                ks.setCertificateEntry("ca-" + i, cas.get(i));
            }
            tmf.init(ks);
        }
        return Arrays.stream(tmf.getTrustManagers())
                .filter(X509ExtendedTrustManager.class::isInstance).map(X509ExtendedTrustManager.class::cast)
                .findFirst().orElseThrow(() -> new GeneralSecurityException("the JDK has no X.509 trust manager"));
    }

    private static KeyManager[] keyManagers(TlsOptions options) throws GeneralSecurityException {
        if (!options.clientKeyManagers().isEmpty()) {
            return options.clientKeyManagers().toArray(new KeyManager[0]);
        }
        if (options.clientCertificate() == null) {
            return null;
        }
        List<X509Certificate> chain = Pem.certificates(options.clientCertificate(), "the client certificate");
        // A store that lives only here: its password protects nothing, so it is made up.
        char[] password = Long.toHexString(new SecureRandom().nextLong()).toCharArray();
        KeyStore ks = emptyKeyStore();
        ks.setKeyEntry("client", Pem.privateKey(options.clientKey()), password, Pem.chain(chain));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        return kmf.getKeyManagers();
    }

    private static KeyStore emptyKeyStore() throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException("cannot create an in-memory key store", e);
        }
        return ks;
    }

    /** The trust manager of {@link TlsOptions#trustingAnyCertificateInsecurely()}. */
    private static final class AcceptingAnything extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
