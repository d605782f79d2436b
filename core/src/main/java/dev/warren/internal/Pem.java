package dev.warren.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificates and PKCS#8 private keys. Error messages name the file and what was
 * wrong with it, never any of its contents: a key file's text is a secret.
 */
final class Pem {
    private static final Pattern KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS");

    private Pem() {}

    /** The certificates of a PEM file, in order. */
    static List<X509Certificate> certificates(Path file, String what) {
        byte[] bytes = read(file, what);
        try {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes)).stream()
                    .map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(what + " " + file + " holds no PEM certificate");
            }
            return certs;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(what + " " + file + " is not a PEM certificate file");
        }
    }

    /** The private key of an unencrypted PKCS#8 PEM file. */
    static PrivateKey privateKey(Path file) {
        String text = new String(read(file, "the private key file"), StandardCharsets.US_ASCII);
        Matcher m = KEY.matcher(text);
        if (!m.find()) {
            String hint = text.contains("ENCRYPTED PRIVATE KEY") ? "it is encrypted: use a key store"
                    : text.contains("RSA PRIVATE KEY") || text.contains("EC PRIVATE KEY")
                            ? "it is not PKCS#8: convert it with openssl pkcs8 -topk8 -nocrypt"
                            : "no BEGIN PRIVATE KEY block";
            throw new IllegalArgumentException("cannot read the private key file " + file + ": " + hint);
        }
        PKCS8EncodedKeySpec spec;
        try {
            spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(m.group(1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read the private key file " + file + ": bad base64");
        }
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm; PKCS#8 names it, but KeyFactory wants to be told
            }
        }
        throw new IllegalArgumentException("cannot read the private key file " + file
                + ": not an RSA, EC or EdDSA PKCS#8 key");
    }

    /** The key and its certificate chain as a one-entry in-memory key store's content. */
    static Certificate[] chain(List<X509Certificate> certs) {
        return certs.toArray(new Certificate[0]);
    }

    private static byte[] read(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e);
        }
    }
}
