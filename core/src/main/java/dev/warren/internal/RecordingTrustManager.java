package dev.warren.internal;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's trust manager, watched: when it refuses the broker's certificate it remembers the
 * chain the broker showed and whether the chain itself was trusted (so the failure was the host
 * name), for {@link ConnectFailures} to say exactly what failed. One per connection attempt.
 */
final class RecordingTrustManager extends X509ExtendedTrustManager {
    /** What the broker showed and why it was refused. */
    record Refusal(X509Certificate[] chain, boolean chainTrusted, CertificateException failure) {}

    private final X509ExtendedTrustManager delegate;
    private volatile Refusal refusal;

    RecordingTrustManager(X509ExtendedTrustManager delegate) {
        this.delegate = delegate;
    }

    /** The last refusal, or null if the broker's certificate was never refused. */
    Refusal refusal() {
        return refusal;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        watch(chain, authType, true, () -> delegate.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        watch(chain, authType, true, () -> delegate.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        watch(chain, authType, false, () -> delegate.checkServerTrusted(chain, authType));
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private void watch(X509Certificate[] chain, String authType, boolean checksHost, Check check)
            throws CertificateException {
        try {
            check.run();
        } catch (CertificateException e) {
            refusal = new Refusal(chain.clone(), checksHost && chainTrusted(chain, authType), e);
            throw e;
        }
    }

    /** The chain alone, without the host-name check (only run once a check has failed). */
    private boolean chainTrusted(X509Certificate[] chain, String authType) {
        try {
            delegate.checkServerTrusted(chain, authType);
            return true;
        } catch (CertificateException e) {
            return false;
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
