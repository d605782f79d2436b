package dev.warren.internal;

import dev.warren.ConnectionOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * A connection opened with {@code TlsOptions.trustingAnyCertificateInsecurely()}: warned about
 * on every connection (a once-per-JVM warning scrolls away, and the second service in the same
 * JVM never says it), and through {@link System.Logger} when no SLF4J provider is bound (then
 * SLF4J drops everything, and the warning would be lost exactly where nobody set up logging).
 */
public final class InsecureTls {
    private static final Logger LOG = LoggerFactory.getLogger(InsecureTls.class);
    /** Marks the connection in JFR events' connection field. */
    static final String JFR_MARK = " [TLS UNVERIFIED]";

    private InsecureTls() {}

    /** Whether a connection with these options skips verifying the broker. */
    public static boolean of(ConnectionOptions options) {
        return options.tls() != null && !options.tls().verifiesBroker()
                && options.uri().regionMatches(true, 0, "amqps:", 0, 6);
    }

    /** Warns that the connection about to open does not verify the broker. */
    static void warn(ConnectionOptions options) {
        String name = options.connectionName();
        warn("TLS without verification (TlsOptions.trustingAnyCertificateInsecurely) for connection "
                + (name == null ? "(unnamed)" : "'" + name + "'") + " to " + options.redactedUri()
                + ": the broker's certificate and host name are NOT checked; anyone on the network path can read"
                + " and change this traffic, credentials included. Never use this in production.",
                !(LoggerFactory.getILoggerFactory() instanceof NOPLoggerFactory),
                System.getLogger(InsecureTls.class.getName()));
    }

    /** Logs {@code message} through SLF4J when it has a provider, else through {@code fallback}. */
    static void warn(String message, boolean slf4jBound, System.Logger fallback) {
        if (slf4jBound) {
            LOG.warn(message);
        } else {
            fallback.log(System.Logger.Level.WARNING, message);
        }
    }
}
