package dev.warren.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints, when a test run ends in which {@link PinningMonitor} checked, one line with the number
 * of virtual-thread pins ({@code virtual-thread pins: 0 (on a hot path: 0)}), then each distinct
 * way it pinned with its count ({@link Pin#summary()}, marked {@code hot} when it fails a test). With the configuration parameter (or system property)
 * {@code warren.pinning.report} set to a file name, it writes the same lines there. Registered
 * with the JUnit Platform through the {@link java.util.ServiceLoader}; silent where nothing was
 * checked.
 */
public final class PinningReport implements TestExecutionListener {
    /** Configuration parameter: a file to write the report to. */
    public static final String REPORT_FILE = "warren.pinning.report";

    /** Creates the listener; the JUnit Platform does this. */
    public PinningReport() {}

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        Pins pins = Pins.ifStarted();
        if (pins == null) {
            return;
        }
        try {
            pins.await(pins.mark());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        List<String> lines = lines(pins, PinRules.from(testPlan.getConfigurationParameters()::get));
        lines.forEach(System.out::println);
        testPlan.getConfigurationParameters().get(REPORT_FILE).ifPresent(file -> {
            try {
                Path p = Path.of(file);
                if (p.getParent() != null) {
                    Files.createDirectories(p.getParent());
                }
                Files.write(p, lines, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the pinning report to " + file, e);
            }
        });
    }

    static List<String> lines(Pins pins, PinRules rules) {
        List<Pin> all = pins.pins();
        long hot = all.stream().filter(rules::hot).count();
        List<String> lines = new ArrayList<>();
        lines.add("virtual-thread pins: " + pins.count() + " (on a hot path: " + hot + ")");
        Map<String, Long> ways = new LinkedHashMap<>();
        all.forEach(p -> ways.merge((rules.hot(p) ? "hot " : "    ") + p.summary(), 1L, Long::sum));
        ways.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .forEach(e -> lines.add("  " + e.getValue() + " x " + e.getKey()));
        return lines;
    }
}
