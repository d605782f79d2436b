package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Helpers shared by the core tests. */
final class TestSupport {
    /** The prefix of the platform threads amqp-client starts for Warren's connections. */
    static final String AMQP_THREAD_PREFIX = "warren-amqp-";

    private TestSupport() {}

    /** A name no other test (or engineer sharing the broker) uses. */
    static String unique(String what) {
        return dev.warren.testing.Declared.name("warren.test." + what);
    }

    /** The URI with other credentials; its path and query stay as written (still encoded). */
    static String withCredentials(String uri, String user, String password) {
        URI u = URI.create(uri);
        return rebuilt(u, user + ":" + password, u.getRawPath(), u.getRawQuery());
    }

    /** The URI with another virtual host (encoded, so "/" is written %2F); no query. */
    static String withVhost(String uri, String vhost) {
        URI u = URI.create(uri);
        return rebuilt(u, u.getUserInfo(), "/" + URLEncoder.encode(vhost, StandardCharsets.UTF_8).replace("+", "%20"),
                null);
    }

    /**
     * The URI's scheme, host and port with the given user info (quoted by URI) and an already
     * encoded path and query: URI's own constructors would decode "/%2F" to "//" or quote '%'.
     */
    private static String rebuilt(URI u, String userInfo, String rawPath, String rawQuery) {
        try {
            String authority = new URI(u.getScheme(), userInfo, u.getHost(), u.getPort(), null, null, null).toString();
            return authority + (rawPath == null ? "" : rawPath) + (rawQuery == null ? "" : "?" + rawQuery);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Live platform threads started by amqp-client for Warren. */
    static List<Thread> amqpThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(AMQP_THREAD_PREFIX))
                .toList();
    }

    /** Waits (polling, up to a deadline) until no amqp-client thread of Warren is alive. */
    static void awaitNoAmqpThreads() {
        awaitTrue(() -> amqpThreads().isEmpty(), Duration.ofSeconds(10));
        assertThat(amqpThreads()).as("amqp-client threads still alive").isEmpty();
    }

    /** Polls a condition until it holds or the deadline passes; returns whether it held. */
    static boolean awaitTrue(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(1_000_000);
        }
        return true;
    }

    /**
     * Waits until {@code t} is parked inside a method named {@code method} (e.g. a caller queued
     * for the channel's FIFO slot is parked in {@code acquireSlot}).
     */
    static void awaitParkedIn(Thread t, String method) {
        boolean parked = awaitTrue(() -> (t.getState() == Thread.State.WAITING
                || t.getState() == Thread.State.TIMED_WAITING)
                && Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getMethodName().equals(method)), Duration.ofSeconds(10));
        assertThat(parked).as("%s parked in %s; stack: %s", t, method, Arrays.toString(t.getStackTrace())).isTrue();
    }

    /** Something a test runs to see what it throws. */
    interface Action {
        void run() throws Exception;
    }

    /** What {@code a} threw, or null if it returned. */
    static Throwable caught(Action a) {
        try {
            a.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** Forks a subtask that counts {@code asleep} down, then sleeps a day unless it is cancelled. */
    static Subtask<?> sleeper(BlockingChannel ch, CountDownLatch asleep) {
        return ch.fork(() -> {
            asleep.countDown();
            Thread.sleep(Duration.ofDays(1));
            return null;
        });
    }

    /**
     * Holds the channel's FIFO slot from a thread outside its scope until {@code release} is
     * counted down or the channel closes, and returns once the slot is held. Outside the scope
     * so that cancelling the scope does not end the hold.
     */
    static Thread holdSlot(BlockingChannel ch, CountDownLatch release) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            try {
                ch.context().holdingSlot(() -> {
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return null;
                });
            } catch (InterruptedException | RuntimeException e) {
                // The channel closed while it held the slot.
            }
        });
        held.await();
        return holder;
    }
}
