package dev.warren.demo;

/**
 * One measured throughput run.
 *
 * @param operations operations completed (confirmed publishes, acked deliveries, answered calls)
 * @param elapsedNanos wall time of {@link Trial#run}
 * @param cpuNanos process CPU time used meanwhile, less that of in-process helpers (the RPC server)
 * @param p50Nanos median latency, NaN when the run recorded none
 * @param p99Nanos 99th percentile latency, NaN when the run recorded none
 * @param p999Nanos 99.9th percentile latency, NaN when the run recorded none
 */
record Sample(long operations, long elapsedNanos, long cpuNanos, double p50Nanos, double p99Nanos, double p999Nanos)
        implements Measurement {

    /** Operations per second. */
    double rate() {
        return operations * 1e9 / elapsedNanos;
    }

    /** CPU microseconds per operation. */
    double cpuMicrosPerOperation() {
        return operations == 0 ? Double.NaN : cpuNanos / 1e3 / operations;
    }

    @Override
    public String brief() {
        String line = String.format("%,12.0f /s  %7.2f us cpu/op  (%,d in %.2f s)",
                rate(), cpuMicrosPerOperation(), operations, elapsedNanos / 1e9);
        return Double.isNaN(p50Nanos) ? line
                : line + String.format("  p50 %,.0f us  p99 %,.0f us  p99.9 %,.0f us",
                        p50Nanos / 1e3, p99Nanos / 1e3, p999Nanos / 1e3);
    }
}
