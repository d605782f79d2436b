package dev.warren;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Keeps a copy of everything the test JVM writes to {@code System.out} and {@code System.err}
 * from the start of the test session (slf4j-simple, and so amqp-client and Warren, log to
 * {@code System.err}), for {@link SecretScanTest}. Registered with the JUnit launcher in
 * {@code META-INF/services}, so it is in place before the first test class loads.
 */
public final class LogCapture implements LauncherSessionListener {
    /** Past this much the copy stops growing and says it was cut (the scan then fails). */
    private static final int LIMIT = 64 << 20;
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final ByteArrayOutputStream COPY = new ByteArrayOutputStream();
    private static volatile boolean installed;
    private static volatile boolean truncated;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        install();
    }

    static void install() {
        LOCK.lock();
        try {
            if (!installed) {
                System.setOut(tee(System.out));
                System.setErr(tee(System.err));
                installed = true;
            }
        } finally {
            LOCK.unlock();
        }
    }

    /** Whether the copy is being taken (false when a test runs outside the JUnit launcher). */
    static boolean installed() {
        return installed;
    }

    /** Whether the copy had to be cut short. */
    static boolean truncated() {
        return truncated;
    }

    /** Everything written so far. */
    static String text() {
        System.out.flush();
        System.err.flush();
        LOCK.lock();
        try {
            return COPY.toString(StandardCharsets.UTF_8);
        } finally {
            LOCK.unlock();
        }
    }

    private static PrintStream tee(PrintStream original) {
        OutputStream both = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                LOCK.lock();
                try {
                    if (COPY.size() + len <= LIMIT) {
                        COPY.write(b, off, len);
                    } else {
                        truncated = true;
                    }
                } finally {
                    LOCK.unlock();
                }
            }

            @Override
            public void flush() {
                original.flush();
            }
        };
        return new PrintStream(both, true, StandardCharsets.UTF_8);
    }
}
