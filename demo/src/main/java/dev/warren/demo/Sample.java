package dev.warren.demo;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The figures of one measured run of one side of a row, or the medians of a side's runs (a run
 * disturbed by a neighbour's build moves a median less than a mean). Figures that do not apply
 * are NaN: a throughput run has no heap per waiter, a waiters run no rate.
 *
 * @param rate operations per second (confirmed publishes, acked deliveries, answered calls)
 * @param cpuMicrosPerOperation client CPU microseconds per operation: the process's CPU during
 *                              the run less that of in-process helpers (the RPC server)
 * @param p50Micros median latency in microseconds (publish: of a confirmed publish; rpc: of a call)
 * @param p99Micros 99th percentile latency in microseconds
 * @param p999Micros 99.9th percentile latency in microseconds
 * @param heapBytesPerWaiter settled heap growth while the waiters were parked, over their number
 * @param wakeAllMillis milliseconds from provoking the close until every waiter woke
 * @param detail what the progress log adds about one run (counts, time); empty for medians
 */
record Sample(double rate, double cpuMicrosPerOperation, double p50Micros, double p99Micros, double p999Micros,
              double heapBytesPerWaiter, double wakeAllMillis, String detail) {

    /** A throughput run: {@code operations} in {@code elapsedNanos}, using {@code cpuNanos}, with their latencies. */
    static Sample throughput(long operations, long elapsedNanos, long cpuNanos, LatencyHistogram latencies) {
        return new Sample(operations * 1e9 / elapsedNanos,
                operations == 0 ? Double.NaN : cpuNanos / 1e3 / operations,
                latencies.quantileNanos(0.50) / 1e3, latencies.quantileNanos(0.99) / 1e3,
                latencies.quantileNanos(0.999) / 1e3, Double.NaN, Double.NaN,
                String.format("(%,d in %.2f s)", operations, elapsedNanos / 1e9));
    }

    /** A waiters run: {@code waiters} parked, all woken in {@code wakeAllNanos}, {@code wokenByClose} by ClosedException. */
    static Sample waiters(int waiters, double heapBytesPerWaiter, long wakeAllNanos, long wokenByClose) {
        return new Sample(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, heapBytesPerWaiter,
                wakeAllNanos / 1e6, String.format("all %,d woke in %,.1f ms  (%,d by ClosedException)", waiters,
                        wakeAllNanos / 1e6, wokenByClose));
    }

    /** The median of each figure over {@code runs}. */
    static Sample median(List<Sample> runs) {
        return new Sample(median(runs, Sample::rate), median(runs, Sample::cpuMicrosPerOperation),
                median(runs, Sample::p50Micros), median(runs, Sample::p99Micros), median(runs, Sample::p999Micros),
                median(runs, Sample::heapBytesPerWaiter), median(runs, Sample::wakeAllMillis), "");
    }

    /** The median, or NaN when any value is NaN (the figure does not apply). */
    private static double median(List<Sample> runs, ToDoubleFunction<Sample> figure) {
        double[] v = runs.stream().mapToDouble(figure).sorted().toArray();
        if (v.length == 0 || Arrays.stream(v).anyMatch(Double::isNaN)) {
            return Double.NaN;
        }
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }

    /** A short line for the progress log. */
    String brief() {
        if (!Double.isNaN(heapBytesPerWaiter)) {
            return String.format("%,.0f heap bytes/waiter  ", heapBytesPerWaiter) + detail;
        }
        String line = String.format("%,12.0f /s  %7.2f us cpu/op  ", rate, cpuMicrosPerOperation) + detail;
        return Double.isNaN(p50Micros) ? line
                : line + String.format("  p50 %,.0f us  p99 %,.0f us  p99.9 %,.0f us", p50Micros, p99Micros, p999Micros);
    }
}
