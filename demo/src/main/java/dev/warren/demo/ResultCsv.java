package dev.warren.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The results as CSV, one line per row; a figure that does not apply, or a side that was not
 * measured, is an empty field (the table says which: "-" or n/a). Columns added later go at the
 * end, so a reader of an older file's columns finds them where they were.
 */
final class ResultCsv {
    static final String HEADER = "scenario,raw_per_s,warren_per_s,warren_over_raw,"
            + "raw_cpu_us_per_op,warren_cpu_us_per_op,raw_p50_us,raw_p99_us,warren_p50_us,warren_p99_us,"
            + "warren_heap_bytes_per_waiter,warren_wake_all_ms,raw_p999_us,warren_p999_us,"
            + "raw_pins,warren_pins,rabbitmq";

    private ResultCsv() {
    }

    /**
     * Writes the rows; {@code rabbitmq} is the broker's version (its {@code version} server
     * property), the same on every line, so that each file says which broker it measured.
     */
    static void write(Path path, List<RowResult> results, String rabbitmq) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        for (RowResult r : results) {
            Summary raw = r.raw();
            Summary warren = r.warren();
            lines.add(String.join(",",
                    r.key(),
                    number(raw, Summary::rate, "%.1f"),
                    number(warren, Summary::rate, "%.1f"),
                    format(r.ratio(), "%.4f"),
                    number(raw, Summary::cpuMicrosPerOperation, "%.3f"),
                    number(warren, Summary::cpuMicrosPerOperation, "%.3f"),
                    number(raw, Summary::p50Micros, "%.1f"),
                    number(raw, Summary::p99Micros, "%.1f"),
                    number(warren, Summary::p50Micros, "%.1f"),
                    number(warren, Summary::p99Micros, "%.1f"),
                    number(warren, Summary::heapBytesPerWaiter, "%.1f"),
                    number(warren, Summary::wakeAllMillis, "%.3f"),
                    number(raw, Summary::p999Micros, "%.1f"),
                    number(warren, Summary::p999Micros, "%.1f"),
                    pins(r, Side.RAW),
                    pins(r, Side.WARREN),
                    rabbitmq));
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(path, lines);
    }

    /** The pins counted for a side, empty when it did not run. */
    private static String pins(RowResult r, Side side) {
        Long n = r.pins().get(side);
        return n == null ? "" : Long.toString(n);
    }

    private static String number(Summary s, java.util.function.ToDoubleFunction<Summary> figure, String format) {
        return s == null ? "" : format(figure.applyAsDouble(s), format);
    }

    private static String format(double v, String format) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
    }
}
