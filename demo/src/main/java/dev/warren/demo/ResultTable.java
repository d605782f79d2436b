package dev.warren.demo;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The results as aligned text tables: one for throughput rows, one for the waiters rows, then
 * the notes saying what each scenario measures. "n/a" marks a side that has no contender,
 * "-" a figure that does not apply.
 */
final class ResultTable {
    private static final int NOTE_WIDTH = 110;

    private ResultTable() {
    }

    static void print(PrintStream out, String heading, List<RowResult> results, List<String> notes) {
        out.println();
        out.println(heading);
        List<RowResult> throughput = results.stream().filter(r -> r.kind() == Row.Kind.THROUGHPUT).toList();
        if (!throughput.isEmpty()) {
            List<String[]> cells = new ArrayList<>();
            cells.add(new String[] {"scenario", "raw /s", "warren /s", "warren/raw",
                "raw cpu us/op", "warren cpu us/op", "raw p50/p99/p99.9 us", "warren p50/p99/p99.9 us",
                "raw pins", "warren pins"});
            for (RowResult r : throughput) {
                cells.add(new String[] {r.key(),
                    cell(r, Side.RAW, s -> fixed(s.rate(), "%,.0f")),
                    cell(r, Side.WARREN, s -> fixed(s.rate(), "%,.0f")),
                    Double.isNaN(r.ratio()) ? "n/a" : String.format("%.2f", r.ratio()),
                    cell(r, Side.RAW, s -> fixed(s.cpuMicrosPerOperation(), "%.2f")),
                    cell(r, Side.WARREN, s -> fixed(s.cpuMicrosPerOperation(), "%.2f")),
                    cell(r, Side.RAW, ResultTable::latency),
                    cell(r, Side.WARREN, ResultTable::latency),
                    pins(r, Side.RAW),
                    pins(r, Side.WARREN)});
            }
            out.println();
            printAligned(out, cells);
        }
        List<RowResult> waiters = results.stream().filter(r -> r.kind() == Row.Kind.WAITERS).toList();
        if (!waiters.isEmpty()) {
            List<String[]> cells = new ArrayList<>();
            cells.add(new String[] {"scenario", "raw", "warren heap bytes/waiter", "warren wake-all ms", "warren pins"});
            for (RowResult r : waiters) {
                cells.add(new String[] {r.key(), "n/a",
                    cell(r, Side.WARREN, s -> fixed(s.heapBytesPerWaiter(), "%,.0f")),
                    cell(r, Side.WARREN, s -> fixed(s.wakeAllMillis(), "%,.1f")),
                    pins(r, Side.WARREN)});
            }
            out.println();
            printAligned(out, cells);
        }
        out.println();
        out.println("n/a: that side has no contender for the scenario (yet; see Contenders); -: does not apply.");
        for (String note : notes) {
            out.println(wrap("- " + note, "  "));
        }
    }

    private static String cell(RowResult r, Side side, Function<Summary, String> figure) {
        if (r.failures().containsKey(side)) {
            return "FAILED";
        }
        Summary s = r.get(side);
        return s == null ? "n/a" : figure.apply(s);
    }

    /** The pins during a side's runs (a failed side's too: they may be why it failed), or n/a. */
    private static String pins(RowResult r, Side side) {
        Long n = r.pins().get(side);
        return n == null ? "n/a" : String.format("%,d", n);
    }

    private static String latency(Summary s) {
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
}
