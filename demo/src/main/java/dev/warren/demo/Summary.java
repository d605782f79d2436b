package dev.warren.demo;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One side of one row, summarised over its repetitions by the median of each figure (a run
 * disturbed by a neighbour's build moves a median less than a mean). Figures that do not
 * apply are NaN.
 *
 * @param rate operations per second
 * @param cpuMicrosPerOperation client CPU microseconds per operation
 * @param p50Micros median latency in microseconds (publish: of a confirmed publish; rpc: of a call)
 * @param p99Micros 99th percentile latency in microseconds
 * @param p999Micros 99.9th percentile latency in microseconds
 * @param heapBytesPerWaiter heap bytes per parked waiter (waiters)
 * @param wakeAllMillis milliseconds from provoking the close until every waiter woke (waiters)
 */
record Summary(double rate, double cpuMicrosPerOperation, double p50Micros, double p99Micros, double p999Micros,
               double heapBytesPerWaiter, double wakeAllMillis) {

    static Summary ofSamples(List<Sample> samples) {
        return new Summary(
                median(samples, Sample::rate),
                median(samples, Sample::cpuMicrosPerOperation),
                median(samples, s -> s.p50Nanos() / 1e3),
                median(samples, s -> s.p99Nanos() / 1e3),
                median(samples, s -> s.p999Nanos() / 1e3),
                Double.NaN, Double.NaN);
    }

    static Summary ofWaiters(List<WaiterSample> samples) {
        return new Summary(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                median(samples, WaiterSample::heapBytesPerWaiter),
                median(samples, s -> s.wakeAllNanos() / 1e6));
    }

    /** The median, or NaN when any value is NaN (the figure does not apply). */
    static <T> double median(List<T> items, ToDoubleFunction<T> figure) {
        double[] v = items.stream().mapToDouble(figure).sorted().toArray();
        if (v.length == 0 || Arrays.stream(v).anyMatch(Double::isNaN)) {
            return Double.NaN;
        }
        int mid = v.length / 2;
        return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
    }
}
