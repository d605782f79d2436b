package dev.warren;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The secrets the tests use, and the exceptions they saw, for {@link SecretScanTest} to look
 * for in everything the suite logged: a test that handles a secret registers it, and records the
 * exceptions its secret could have leaked into.
 */
final class TestSecrets {
    /** A password with the characters that broke redaction: '/', '@' and '%'. */
    static final String PASSWORD_WITH_SPECIALS = "Wr3n/p@ss%w0rd";
    /** A wrong password used by other tests. */
    static final String OTHER_PASSWORD = "s3cretPw";

    private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();
    private static final ConcurrentLinkedQueue<Throwable> SEEN = new ConcurrentLinkedQueue<>();

    static {
        SECRETS.add(PASSWORD_WITH_SPECIALS);
        SECRETS.add(OTHER_PASSWORD);
    }

    private TestSecrets() {}

    /** Adds a secret to look for (a generated password, a private key's base64 text). */
    static void secret(String s) {
        SECRETS.add(s);
    }

    /** Every secret registered so far. */
    static Set<String> all() {
        return Set.copyOf(SECRETS);
    }

    /** Keeps an exception a test saw, to scan its messages, causes and stack. */
    static void record(Throwable e) {
        if (e != null) {
            SEEN.add(e);
        }
    }

    /** Every exception recorded so far. */
    static List<Throwable> seen() {
        return new ArrayList<>(SEEN);
    }

    /** The stack trace as printed, causes and suppressed included. */
    static String fullTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /**
     * The secrets that occur in {@code text} (whole, or a line of a PEM key's body: one line is
     * enough to leak a key).
     */
    static List<String> foundIn(String text, Set<String> secrets) {
        List<String> found = new ArrayList<>();
        for (String s : secrets) {
            for (String piece : s.split("\n")) {
                String p = piece.strip();
                if (p.length() >= 8 && text.contains(p)) {
                    found.add(p.length() > 12 ? p.substring(0, 6) + "..." : "(a " + p.length() + "-char secret)");
                    break;
                }
            }
        }
        return found;
    }
}
