package dev.warren.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A virtual thread that held on to its carrier while it waited: a {@code jdk.VirtualThreadPinned}
 * event (it parked where it could not unmount: on Java 21 inside {@code synchronized}, a native
 * frame or a class initializer), or, below Java 24, a {@code jdk.JavaMonitorEnter} event of a
 * virtual thread (it blocked entering a contended monitor, which holds the carrier too).
 *
 * @param start when the wait began (JFR's clock)
 * @param duration how long it waited
 * @param kind {@code "parked"}, {@code "entering a monitor of <class>"} or {@link #CLASS_INIT_WAIT}
 * @param frames the stack, innermost first, as {@code class.method}
 */
record Pin(Instant start, Duration duration, String kind, List<String> frames) {
    /** The kind of a wait for another thread to finish loading or initializing a class. */
    static final String CLASS_INIT_WAIT = "waiting for another thread to load or initialize a class";

    private static final List<String> JDK_PACKAGES = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.");

    /**
     * Where it pinned. For a monitor enter, the frame that entered the monitor (JDK code too: a
     * JDK-internal monitor is not the caller's). For a park, the innermost frame outside the JDK:
     * the event does not say who holds a monitor, the nearest code of the application does.
     */
    String site() {
        if (kind.startsWith("entering a monitor") && !frames.isEmpty()) {
            return frames.getFirst();
        }
        for (String f : frames) {
            if (JDK_PACKAGES.stream().noneMatch(f::startsWith)) {
                return f;
            }
        }
        return frames.isEmpty() ? "(no stack)" : frames.getLast();
    }

    /**
     * One line for a report: how it waited, where (the innermost frame, when it is not the
     * site), its site, and the Warren frames that led there, e.g. {@code [entering a monitor of
     * ...SynchronizedSortedSet] ...SynchronizedCollection.add from Publisher.write < ...}.
     */
    String summary() {
        List<String> warren = frames.stream().filter(f -> f.startsWith("dev.warren.") && !f.contains("$$Lambda"))
                .limit(3).toList();
        String top = top(1).getFirst();
        return "[" + kind + "] " + (top.equals(site()) ? "" : top + " at ") + site()
                + (warren.isEmpty() ? "" : " from " + String.join(" < ", warren));
    }

    /** The first {@code depth} frames below the JDK's own park machinery, for a report. */
    List<String> top(int depth) {
        int from = 0;
        while (from < frames.size() && (frames.get(from).startsWith("java.lang.VirtualThread.")
                || frames.get(from).startsWith("jdk.internal.misc."))) {
            from++;
        }
        if (from == frames.size()) {
            from = 0;
        }
        if (frames.isEmpty()) {
            return List.of("(no stack)");
        }
        return frames.subList(from, Math.min(frames.size(), from + depth));
    }
}
