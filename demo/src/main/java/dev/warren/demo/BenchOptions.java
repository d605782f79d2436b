package dev.warren.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of {@link Bench}, parsed from {@code --key=value} arguments.
 *
 * @param scenarios which scenarios to run, in the order given
 * @param measured the length of each measured run
 * @param warmup the length of the warm-up before each measured run (zero for none)
 * @param size the message body size in bytes
 * @param reps how many measured runs each side gets per row
 * @param csv where the results are written as CSV
 * @param chart where the chart is written as PNG, or null for none
 * @param waiters how many virtual threads the waiters scenario parks
 * @param help whether only the usage was asked for
 */
public record BenchOptions(List<String> scenarios, Duration measured, Duration warmup, int size, int reps,
                           Path csv, Path chart, int waiters, boolean help) {

    /** Every scenario, in the order they run by default. */
    public static final List<String> ALL_SCENARIOS =
            List.of("publish-queue", "publish-client-bound", "consume", "rpc", "waiters", "publish-alternatives",
                    "rpc-alternatives");

    /** The scenarios that measure Warren against what users would write instead of it; --alternatives=no skips them. */
    public static final List<String> ALTERNATIVES = List.of("publish-alternatives", "rpc-alternatives");

    /** Scenarios run only when named: publish-client-bound with JFR or metrics on against both off, and robust against plain publishing. */
    public static final List<String> EXTRA_SCENARIOS = List.of("publish-overhead", "publish-robust");

    /** What {@code --help} prints. */
    public static final String USAGE = """
            Usage: Bench [--scenarios=a,b,...] [--seconds=N] [--warmup=N] [--size=BYTES] [--reps=N] [--csv=PATH]
                         [--chart=PATH|none] [--waiters=N] [--alternatives=yes|no]
              --scenarios  any of %s (default: all but %s)
              --seconds    length of each measured run in seconds, decimals allowed (default 5)
              --warmup     warm-up seconds before each measured run, 0 for none (default 2)
              --size       message body bytes (default 1024)
              --reps       measured runs per side and row; raw and Warren alternate (default 3)
              --csv        where to write the results as CSV (default bench-results.csv)
              --chart      where to write the chart as PNG: throughput and p99 latency against threads or
                           callers for publish-queue, publish-client-bound and rpc; none for no chart
                           (default: the CSV's path with .png)
              --waiters    virtual threads the waiters scenario parks in take() and in call() (default 100000;
                           1000000 needs about 3 GB of heap; exec:java runs in Maven's JVM, whose default
                           is a quarter of RAM: else MAVEN_OPTS=-Xmx4g, or BENCH_JAVA_OPTS=-Xmx4g for demo/bench)
              --alternatives  no: leave out %s, Warren against amqp-client's blocking
                           styles, its RpcClient and Spring AMQP's RabbitTemplate (default yes)
              --help       print this and exit
            """.formatted(String.join(",", ALL_SCENARIOS) + "," + String.join(",", EXTRA_SCENARIOS),
            String.join(",", EXTRA_SCENARIOS), String.join(",", ALTERNATIVES));

    /** Checks the values, so a typo fails before a broker is even looked for. */
    public BenchOptions {
        scenarios = List.copyOf(scenarios);
        for (String s : scenarios) {
            if (!ALL_SCENARIOS.contains(s) && !EXTRA_SCENARIOS.contains(s)) {
                throw new IllegalArgumentException("unknown scenario '" + s + "'; known: " + ALL_SCENARIOS + " and "
                        + EXTRA_SCENARIOS);
            }
        }
        if (measured.isNegative() || measured.isZero()) {
            throw new IllegalArgumentException("--seconds must be positive");
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("--warmup must not be negative");
        }
        if (size < 0) {
            throw new IllegalArgumentException("--size must not be negative");
        }
        if (reps < 1) {
            throw new IllegalArgumentException("--reps must be at least 1");
        }
        if (waiters < 1) {
            throw new IllegalArgumentException("--waiters must be at least 1");
        }
    }

    /**
     * Parses {@code --key=value} arguments; a bare {@code --help} (or {@code -h}) asks for the usage.
     *
     * @throws IllegalArgumentException on an unknown key or a malformed value
     */
    public static BenchOptions parse(String... args) {
        Map<String, String> given = new LinkedHashMap<>();
        boolean help = false;
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --key=value, got '" + arg + "'");
            }
            given.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        List<String> scenarios = new ArrayList<>(ALL_SCENARIOS);
        Duration measured = Duration.ofSeconds(5);
        Duration warmup = Duration.ofSeconds(2);
        int size = 1024;
        int reps = 3;
        Path csv = Path.of("bench-results.csv");
        String chart = null;
        int waiters = 100_000;
        boolean alternatives = true;
        for (Map.Entry<String, String> e : given.entrySet()) {
            String value = e.getValue().strip();
            switch (e.getKey()) {
                case "scenarios" -> scenarios = List.of(value.split("\\s*,\\s*"));
                case "seconds" -> measured = seconds("--seconds", value);
                case "warmup" -> warmup = seconds("--warmup", value);
                case "size" -> size = integer("--size", value);
                case "reps" -> reps = integer("--reps", value);
                case "csv" -> csv = Path.of(value);
                case "chart" -> chart = value;
                case "waiters" -> waiters = integer("--waiters", value);
                case "alternatives" -> alternatives = switch (value) {
                    case "yes" -> true;
                    case "no" -> false;
                    default -> throw new IllegalArgumentException("--alternatives takes yes or no, not '" + value + "'");
                };
                default -> throw new IllegalArgumentException("unknown option --" + e.getKey());
            }
        }
        if (!alternatives) {
            scenarios = scenarios.stream().filter(s -> !ALTERNATIVES.contains(s)).toList();
        }
        Path chartPath = chart == null ? withExtension(csv, ".png") : chart.equals("none") ? null : Path.of(chart);
        return new BenchOptions(scenarios, measured, warmup, size, reps, csv, chartPath, waiters, help);
    }

    /** {@code path} with its extension (if any) replaced by {@code extension}, e.g. a.csv to a.png. */
    static Path withExtension(Path path, String extension) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return path.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + extension);
    }

    private static Duration seconds(String option, String value) {
        try {
            return Duration.ofNanos(Math.round(Double.parseDouble(value) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes seconds, not '" + value + "'", e);
        }
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number, not '" + value + "'", e);
        }
    }
}
