package dev.warren.demo;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.function.LongSupplier;

/** Times one trial and charges it the process CPU it used. */
final class Meter {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private Meter() {
    }

    /**
     * Prepares a trial of {@code contender}, measures its {@link Trial#run} over a window of
     * {@code length}, and closes it; preparing and closing are not measured.
     *
     * @param excludedCpuNanos CPU time of helpers in this JVM that are not the contender's
     *                         (read before and after the run; the difference is subtracted)
     */
    static <S> Sample measure(Contender<S> contender, S setup, Duration length, LongSupplier excludedCpuNanos)
            throws Exception {
        try (Trial trial = contender.prepare(setup)) {
            long cpuBefore = OS.getProcessCpuTime() - excludedCpuNanos.getAsLong();
            long start = System.nanoTime();
            Window window = Window.startingNow(length);
            long operations = trial.run(window);
            long elapsed = System.nanoTime() - start;
            long cpu = OS.getProcessCpuTime() - excludedCpuNanos.getAsLong() - cpuBefore;
            LatencyHistogram latencies = window.latencies();
            return new Sample(operations, elapsed, cpu, latencies.quantileNanos(0.50), latencies.quantileNanos(0.99),
                    latencies.quantileNanos(0.999));
        }
    }
}
