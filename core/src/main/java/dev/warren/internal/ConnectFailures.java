package dev.warren.internal;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import dev.warren.ConnectionOptions;
import java.io.EOFException;
import java.net.SocketException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Says in words why a TLS connection attempt failed: the broker's certificate untrusted,
 * expired or for another host, no common protocol, the client certificate refused. Only names
 * and dates of certificates go into the words, never key material.
 */
final class ConnectFailures {
    /** TLS alerts a server sends when it does not accept the client's certificate. */
    private static final Set<String> CLIENT_CERTIFICATE_ALERTS = Set.of("bad_certificate", "unknown_ca",
            "certificate_required", "certificate_unknown", "unsupported_certificate", "certificate_revoked",
            "certificate_expired", "access_denied", "decrypt_error");

    private ConnectFailures() {}

    /**
     * Why a connect failed in its TLS part or its SASL EXTERNAL login, or null when the failure
     * was about neither.
     *
     * @param e what amqp-client threw
     * @param options the connection's options
     * @param tls how TLS was set up, or null for a plain connection
     * @param host the host connected to, as the certificate must name it
     */
    static String reason(Throwable e, ConnectionOptions options, TlsSetup.Prepared tls, String host) {
        if (options.saslExternal() && (has(e, AuthenticationFailureException.class)
                || has(e, PossibleAuthenticationFailureException.class))) {
            return tls.options().hasClientCertificate()
                    ? "403 ACCESS_REFUSED: the broker refused the SASL EXTERNAL login with this client certificate"
                            + " (the JDK sends it only if a CA the broker names issued it; the broker needs a user"
                            + " of the certificate's name)"
                    : "403 ACCESS_REFUSED: the broker refused the SASL EXTERNAL login: no client certificate was"
                            + " given (see TlsOptions.withClientCertificate)";
        }
        return tls != null ? tlsReason(e, tls, host) : null;
    }

    private static String tlsReason(Throwable e, TlsSetup.Prepared tls, String host) {
        RecordingTrustManager.Refusal refusal = tls.refusal();
        if (refusal != null && has(e, SSLHandshakeException.class)) {
            return brokerCertificateRefused(refusal, host);
        }
        SSLException ssl = find(e, SSLException.class);
        if (ssl == null) {
            return has(e, EOFException.class) || has(e, SocketException.class)
                    ? "the broker closed the connection during the TLS handshake: it refused this client's"
                            + " certificate, or wants one and none was given"
                            + (tls.options().hasClientCertificate() ? "" : " (see TlsOptions.withClientCertificate)")
                    : null;
        }
        String text = messages(e).toLowerCase(Locale.ROOT);
        if (has(e, CertificateExpiredException.class)) {
            return "the broker's certificate has expired (" + firstLine(ssl) + ")";
        }
        if (text.contains("no subject alternative") || text.contains("no name matching")) {
            return "host name mismatch: the broker's certificate does not name '" + host + "' (" + firstLine(ssl) + ")";
        }
        if (text.contains("pkix path") || text.contains("unable to find valid certification path")) {
            return "the broker's certificate is not trusted: no trusted CA issued it (" + firstLine(ssl) + ")";
        }
        if (text.contains("protocol_version") || text.contains("no appropriate protocol")
                || text.contains("protocol is disabled")) {
            return "TLS protocol mismatch: this client offered "
                    + (tls.options().protocols().isEmpty() ? "the JDK's default protocols" : tls.options().protocols())
                    + " and the broker accepts none of them (" + firstLine(ssl) + ")";
        }
        for (String alert : CLIENT_CERTIFICATE_ALERTS) {
            if (text.contains("received fatal alert: " + alert)) {
                boolean noneGiven = tls.options().sslContext() == null && !tls.options().hasClientCertificate();
                return !noneGiven && !alert.equals("certificate_required")
                        ? "the broker refused this client's certificate (TLS alert " + alert + ")"
                        : "the broker requires a client certificate and none was sent (TLS alert " + alert
                                + "; see TlsOptions.withClientCertificate)";
            }
        }
        if (text.contains("unsupported or unrecognized ssl message") || text.contains("plaintext connection")) {
            return "the broker did not answer in TLS: is this an amqp:// port rather than an amqps:// one?";
        }
        return "the TLS handshake failed: " + firstLine(ssl);
    }

    private static String brokerCertificateRefused(RecordingTrustManager.Refusal r, String host) {
        X509Certificate leaf = r.chain()[0];
        String subject = leaf.getSubjectX500Principal().getName();
        if (r.chainTrusted()) {
            return "host name mismatch: connected to '" + host + "', but the broker's certificate (" + subject
                    + ") names only " + names(leaf);
        }
        Instant now = Instant.now();
        for (X509Certificate c : r.chain()) {
            if (c.getNotAfter().toInstant().isBefore(now) || has(r.failure(), CertificateExpiredException.class)
                    && c == leaf) {
                return "the broker's certificate has expired: " + c.getSubjectX500Principal().getName()
                        + " was valid until " + c.getNotAfter().toInstant();
            }
            if (c.getNotBefore().toInstant().isAfter(now) || has(r.failure(), CertificateNotYetValidException.class)
                    && c == leaf) {
                return "the broker's certificate is not valid yet: " + c.getSubjectX500Principal().getName()
                        + " is valid from " + c.getNotBefore().toInstant();
            }
        }
        X509Certificate top = r.chain()[r.chain().length - 1];
        return "the broker's certificate is not trusted: " + subject + ", issued by "
                + top.getIssuerX500Principal().getName()
                + ", which is not a trusted CA (trust it with TlsOptions.trusting(caPem))";
    }

    /** The DNS names and IP addresses a certificate is for (its subject alternative names). */
    private static List<String> names(X509Certificate c) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if (type == 2) {
                        names.add("DNS:" + san.get(1));
                    } else if (type == 7) {
                        names.add("IP:" + san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            names.add("(unreadable subject alternative names)");
        }
        return names;
    }

    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = e; c != null && sb.length() < 10_000; c = c.getCause() == c ? null : c.getCause()) {
            sb.append(c.getMessage()).append('\n');
        }
        return sb.toString();
    }

    private static boolean has(Throwable e, Class<? extends Throwable> type) {
        return find(e, type) != null;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
