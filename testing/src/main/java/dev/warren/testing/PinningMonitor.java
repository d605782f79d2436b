package dev.warren.testing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit Jupiter extension that fails tests whose virtual threads pin their carrier on a hot
 * path. It watches JFR's {@code jdk.VirtualThreadPinned} events and, below Java 24, the
 * {@code jdk.JavaMonitorEnter} events of virtual threads (blocked on a contended monitor, a
 * virtual thread keeps its carrier there too), threshold 0, with stack traces, and attributes
 * each pin, by its start time, to the test that ran then.
 *
 * <p>A pin fails its test when its site (for a park, the innermost frame outside the JDK, the
 * code nearest to the monitor held, the native frame or the class initializer; for a monitor
 * enter, the frame that entered it) is Warren's ({@code dev.warren.}, test code included), or when
 * an amqp-client method that Warren calls on a hot path is on its stack ({@code ChannelN.basicPublish}, {@code basicAck}, {@code basicNack},
 * {@code basicReject}). Both lists are prefixes of {@code class.method}, replaced with the JUnit
 * configuration parameters (or system properties) {@code warren.pinning.hot-sites} and
 * {@code warren.pinning.hot-paths}, comma-separated. Other pins are counted, not failed;
 * {@link PinningReport} prints them all when the run ends.
 *
 * <p>JFR delivers events about once a second, so a pin that has already arrived fails its test
 * in {@code afterEach}; the rest fail the test class in {@code afterAll}, which waits until
 * every pin up to then has arrived (about a second per class), naming the test.
 *
 * <p>On by default on Java 21 to 23, where a monitor pins (JEP 491 lifted that in 24), and
 * switched with the parameter {@code warren.pinning.check=true|false}. Register it with
 * {@code @ExtendWith(PinningMonitor.class)}, or for every class through JUnit's automatic
 * extension registration ({@code junit.jupiter.extensions.autodetection.enabled=true}): this
 * library lists it for the {@link java.util.ServiceLoader}.
 */
public final class PinningMonitor implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback,
        AfterAllCallback {
    /** Configuration parameter that turns the check on or off. */
    public static final String CHECK = "warren.pinning.check";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PinningMonitor.class);
    private static final int SHOWN_FRAMES = 24;

    /** Creates the extension; JUnit does this. */
    public PinningMonitor() {}

    /** A test's time between two marks. */
    private record Span(String test, long startMark, long endMark) {}

    /** What one test class keeps: its first mark, its tests, and the pins already reported. */
    private static final class ClassState {
        final long startMark;
        final List<Span> spans = new CopyOnWriteArrayList<>();
        final Set<Pin> reported = ConcurrentHashMap.newKeySet();

        ClassState(long startMark) {
            this.startMark = startMark;
        }
    }

    /** Whether the check runs for this context. */
    static boolean enabled(ExtensionContext context) {
        return context.getConfigurationParameter(CHECK).map(Boolean::parseBoolean)
                .orElse(Runtime.version().feature() < 24);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (enabled(context)) {
            classStore(context).put(ClassState.class, new ClassState(Pins.get().mark()));
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (classState(context) != null) {
            context.getStore(NAMESPACE).put(Span.class, Pins.get().mark());
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        ClassState state = classState(context);
        Long start = context.getStore(NAMESPACE).remove(Span.class, Long.class);
        if (state == null || start == null) {
            return;
        }
        Pins pins = Pins.get();
        Span span = new Span(context.getDisplayName(), start, pins.mark());
        state.spans.add(span);
        // Only what has arrived already; afterAll waits for the rest.
        Instant from = pins.timeOf(span.startMark());
        Instant to = pins.timeOf(span.endMark());
        if (from == null) {
            return;
        }
        PinRules rules = PinRules.from(context::getConfigurationParameter);
        List<Pin> hot = pins.pins().stream()
                .filter(p -> Pins.within(p.start(), from, to) && rules.hot(p) && state.reported.add(p))
                .toList();
        if (!hot.isEmpty()) {
            throw new AssertionError(describe(Map.of(span.test(), hot)));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        ClassState state = classState(context);
        if (state == null) {
            return;
        }
        Pins pins = Pins.get();
        Instant end = pins.await(pins.mark());
        Instant start = pins.timeOf(state.startMark);
        PinRules rules = PinRules.from(context::getConfigurationParameter);
        Map<String, List<Pin>> byTest = new LinkedHashMap<>();
        for (Pin p : pins.pins()) {
            if (Pins.within(p.start(), start, end) && rules.hot(p) && state.reported.add(p)) {
                byTest.computeIfAbsent(testAt(pins, state, p.start(), context), k -> new CopyOnWriteArrayList<>()).add(p);
            }
        }
        if (!byTest.isEmpty()) {
            throw new AssertionError(describe(byTest));
        }
    }

    /** The innermost test of the class that ran at {@code t}. */
    private static String testAt(Pins pins, ClassState state, Instant t, ExtensionContext context) {
        return state.spans.stream()
                .filter(s -> Pins.within(t, pins.timeOf(s.startMark()), pins.timeOf(s.endMark())))
                .max(Comparator.comparing(s -> pins.timeOf(s.startMark())))
                .map(Span::test)
                .orElse("(outside any test of " + context.getDisplayName() + ")");
    }

    private static String describe(Map<String, List<Pin>> byTest) {
        StringBuilder sb = new StringBuilder("virtual threads pinned their carrier on a hot path (")
                .append(PinRules.HOT_SITES).append(", ").append(PinRules.HOT_PATHS).append("):");
        byTest.forEach((test, list) -> {
            sb.append("\n  in ").append(test).append(": ").append(list.size()).append(" pin(s)");
            Map<List<String>, List<Pin>> stacks = new LinkedHashMap<>();
            list.forEach(p -> stacks.computeIfAbsent(p.top(SHOWN_FRAMES), k -> new ArrayList<>()).add(p));
            stacks.forEach((frames, pins) -> {
                Pin first = pins.getFirst();
                sb.append("\n    ").append(pins.size()).append(" x pinned (").append(first.kind()).append(") at ")
                        .append(first.site());
                frames.forEach(f -> sb.append("\n        at ").append(f));
            });
        });
        return sb.toString();
    }

    /** A class context's store; a test's store also sees what its class put (stores nest). */
    private static ExtensionContext.Store classStore(ExtensionContext context) {
        return context.getStore(NAMESPACE);
    }

    private static ClassState classState(ExtensionContext context) {
        return classStore(context).get(ClassState.class, ClassState.class);
    }
}
