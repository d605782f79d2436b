package dev.warren.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Deletes, when a JVM's test run ends, the {@link Declared} queues and exchanges that no
 * {@link RabbitExtension} class deleted already (those of classes that found the broker another
 * way). Registered through {@code META-INF/services}, so any test run with warren-testing on its
 * class path cleans up after itself.
 */
public final class DeclaredCleanup implements LauncherSessionListener {
    /** Creates the listener; the JUnit Platform does this. */
    public DeclaredCleanup() {
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        Declared.deleteAll();
    }
}
