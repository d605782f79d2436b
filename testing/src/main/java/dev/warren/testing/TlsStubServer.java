package dev.warren.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A TLS server that presents a certificate, runs the handshake and hangs up: for tests of what
 * a client decides about a server's certificate (an expired one, say) without starting a
 * RabbitMQ node for each certificate. It never speaks AMQP.
 */
public final class TlsStubServer implements AutoCloseable {
    private final ServerSocket server;
    private final Thread acceptor;

    private TlsStubServer(ServerSocket server) {
        this.server = server;
        this.acceptor = Thread.ofVirtual().name("warren-tls-stub").start(this::serve);
    }

    /**
     * Listens on a free port of 127.0.0.1, presenting {@code identity}.
     *
     * @param identity the certificate the server presents and its private key, e.g.
     *        {@link TestCertificates#expiredServer()}
     * @return a started server, accepting connections until {@link #close()}
     * @throws IllegalStateException if the TLS server cannot be set up
     */
    public static TlsStubServer presenting(TestCertificates.Issued identity) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] password = "stub".toCharArray();
            ks.setKeyEntry("server", identity.key(), password, new Certificate[] {identity.certificate()});
            // SunX509 picks the only key there is, expired or not.
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
            kmf.init(ks, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return new TlsStubServer(context.getServerSocketFactory()
                    .createServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot start a TLS stub server", e);
        }
    }

    /**
     * The port it listens on.
     *
     * @return the port on 127.0.0.1 where it accepts TLS connections
     */
    public int port() {
        return server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                ((SSLSocket) s).startHandshake();
            } catch (IOException e) {
                // the client refused the certificate, or the server was closed: next one
            }
        }
    }

    /** Stops listening. */
    @Override
    public void close() {
        try {
            server.close();
            acceptor.join();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
