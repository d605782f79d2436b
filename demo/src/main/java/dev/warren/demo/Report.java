package dev.warren.demo;

import dev.warren.demo.Bench.Side;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The results: one {@link Result} per row, printed as aligned text tables and written as CSV.
 */
final class Report {
    /** The CSV's first line. Columns added later go at the end, so a reader of an older file's columns finds them where they were. */
    static final String HEADER = "scenario,raw_per_s,warren_per_s,warren_over_raw,"
            + "raw_cpu_us_per_op,warren_cpu_us_per_op,raw_p50_us,raw_p99_us,warren_p50_us,warren_p99_us,"
            + "warren_heap_bytes_per_waiter,warren_wake_all_ms,raw_p999_us,warren_p999_us,"
            + "raw_pins,warren_pins,rabbitmq";

    private Report() {
    }

    /** Which table a row belongs to. */
    enum Kind {
        /** Operations per second, CPU per operation, latency. */
        THROUGHPUT,
        /** Heap per parked waiter and time to wake them all. */
        WAITERS
    }

    /**
     * The outcome of one row.
     *
     * @param key the row's key
     * @param kind which table it belongs to
     * @param raw the raw side's medians, or null when the row has no raw side or it failed
     * @param warren Warren's medians, or null when the row has no Warren side or it failed
     * @param failures the sides that failed, with what went wrong
     * @param pins for each side that ran, the virtual-thread pins of {@link PinCounter#THRESHOLD} or
     *             more in this JVM during its runs (warm-ups included), summed over them
     */
    record Result(String key, Kind kind, Sample raw, Sample warren, Map<Side, String> failures,
                  Map<Side, Long> pins) {

        Result {
            failures = Map.copyOf(failures);
            pins = Map.copyOf(pins);
        }

        /** This result with the pins counted for it. */
        Result withPins(Map<Side, Long> counted) {
            return new Result(key, kind, raw, warren, failures, counted);
        }

        /** The medians of {@code side}, or null. */
        Sample get(Side side) {
            return side == Side.RAW ? raw : warren;
        }

        /** Warren's rate over raw's, or NaN unless both were measured. */
        double ratio() {
            return raw == null || warren == null ? Double.NaN : warren.rate() / raw.rate();
        }
    }

    private static final int NOTE_WIDTH = 110;

    /**
     * Prints the heading, a table of the throughput rows, one of the waiters rows, then the
     * notes saying what each scenario measures. "n/a" marks a side that a row does not have,
     * "-" a figure that does not apply.
     */
    static void printTable(PrintStream out, String heading, List<Result> results, List<String> notes) {
        out.println();
        out.println(heading);
        List<Result> throughput = results.stream().filter(r -> r.kind() == Kind.THROUGHPUT).toList();
        if (!throughput.isEmpty()) {
            List<String[]> cells = new ArrayList<>();
            cells.add(new String[] {"scenario", "raw /s", "warren /s", "warren/raw",
                "raw cpu us/op", "warren cpu us/op", "raw p50/p99/p99.9 us", "warren p50/p99/p99.9 us",
                "raw pins", "warren pins"});
            for (Result r : throughput) {
                cells.add(new String[] {r.key(),
                    cell(r, Side.RAW, s -> fixed(s.rate(), "%,.0f")),
                    cell(r, Side.WARREN, s -> fixed(s.rate(), "%,.0f")),
                    Double.isNaN(r.ratio()) ? "n/a" : String.format("%.2f", r.ratio()),
                    cell(r, Side.RAW, s -> fixed(s.cpuMicrosPerOperation(), "%.2f")),
                    cell(r, Side.WARREN, s -> fixed(s.cpuMicrosPerOperation(), "%.2f")),
                    cell(r, Side.RAW, Report::latency),
                    cell(r, Side.WARREN, Report::latency),
                    pins(r, Side.RAW),
                    pins(r, Side.WARREN)});
            }
            out.println();
            printAligned(out, cells);
        }
        List<Result> waiters = results.stream().filter(r -> r.kind() == Kind.WAITERS).toList();
        if (!waiters.isEmpty()) {
            List<String[]> cells = new ArrayList<>();
            cells.add(new String[] {"scenario", "raw", "warren heap bytes/waiter", "warren wake-all ms", "warren pins"});
            for (Result r : waiters) {
                cells.add(new String[] {r.key(), "n/a",
                    cell(r, Side.WARREN, s -> fixed(s.heapBytesPerWaiter(), "%,.0f")),
                    cell(r, Side.WARREN, s -> fixed(s.wakeAllMillis(), "%,.1f")),
                    pins(r, Side.WARREN)});
            }
            out.println();
            printAligned(out, cells);
        }
        out.println();
        out.println("n/a: that side has no contender for the scenario; -: does not apply.");
        for (String note : notes) {
            out.println(wrap("- " + note, "  "));
        }
    }

    private static String cell(Result r, Side side, Function<Sample, String> figure) {
        if (r.failures().containsKey(side)) {
            return "FAILED";
        }
        Sample s = r.get(side);
        return s == null ? "n/a" : figure.apply(s);
    }

    /** The pins during a side's runs (a failed side's too: they may be why it failed), or n/a. */
    private static String pins(Result r, Side side) {
        Long n = r.pins().get(side);
        return n == null ? "n/a" : String.format("%,d", n);
    }

    private static String latency(Sample s) {
        return Double.isNaN(s.p50Micros()) ? "-" : fixed(s.p50Micros(), "%,.0f") + " / " + fixed(s.p99Micros(), "%,.0f")
                + " / " + fixed(s.p999Micros(), "%,.0f");
    }

    private static String fixed(double v, String format) {
        return Double.isNaN(v) ? "-" : String.format(format, v);
    }

    // First column left-aligned, numbers right-aligned, two spaces between columns.
    private static void printAligned(PrintStream out, List<String[]> rows) {
        int[] width = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                String pad = " ".repeat(width[i] - row[i].length());
                line.append(i == 0 ? row[i] + pad : "  " + pad + row[i]);
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String wrap(String text, String indent) {
        StringBuilder out = new StringBuilder();
        int lineLength = 0;
        for (String word : text.split(" ")) {
            if (lineLength > 0 && lineLength + 1 + word.length() > NOTE_WIDTH) {
                out.append('\n').append(indent);
                lineLength = indent.length();
            } else if (lineLength > 0) {
                out.append(' ');
                lineLength++;
            }
            out.append(word);
            lineLength += word.length();
        }
        return out.toString();
    }

    /**
     * Writes the rows as CSV, one line per row; a figure that does not apply, or a side that was
     * not measured, is an empty field (the table says which: "-" or n/a). {@code rabbitmq} is the broker's version (its {@code version} server
     * property), the same on every line, so that each file says which broker it measured.
     */
    static void writeCsv(Path path, List<Result> results, String rabbitmq) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        for (Result r : results) {
            Sample raw = r.raw();
            Sample warren = r.warren();
            lines.add(String.join(",",
                    r.key(),
                    number(raw, Sample::rate, "%.1f"),
                    number(warren, Sample::rate, "%.1f"),
                    format(r.ratio(), "%.4f"),
                    number(raw, Sample::cpuMicrosPerOperation, "%.3f"),
                    number(warren, Sample::cpuMicrosPerOperation, "%.3f"),
                    number(raw, Sample::p50Micros, "%.1f"),
                    number(raw, Sample::p99Micros, "%.1f"),
                    number(warren, Sample::p50Micros, "%.1f"),
                    number(warren, Sample::p99Micros, "%.1f"),
                    number(warren, Sample::heapBytesPerWaiter, "%.1f"),
                    number(warren, Sample::wakeAllMillis, "%.3f"),
                    number(raw, Sample::p999Micros, "%.1f"),
                    number(warren, Sample::p999Micros, "%.1f"),
                    csvPins(r, Side.RAW),
                    csvPins(r, Side.WARREN),
                    rabbitmq));
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(path, lines);
    }

    /** The pins counted for a side, empty when it did not run. */
    private static String csvPins(Result r, Side side) {
        Long n = r.pins().get(side);
        return n == null ? "" : Long.toString(n);
    }

    private static String number(Sample s, ToDoubleFunction<Sample> figure, String format) {
        return s == null ? "" : format(figure.applyAsDouble(s), format);
    }

    private static String format(double v, String format) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
    }
}
