package dev.warren.demo;

import com.rabbitmq.client.impl.ClientVersion;
import dev.warren.demo.Report.Kind;
import dev.warren.demo.Report.Result;
import dev.warren.testing.RabbitBroker;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Warren against the raw RabbitMQ client, scenario by scenario, in one JVM against one broker.
 *
 * <p>For every row the two sides alternate (raw, Warren, raw, Warren, ...) so that a slow
 * stretch of a shared machine hits both; each run follows its own warm-up, and each side is
 * reported as the median of its runs, with the ratio Warren/raw of the medians. A side a row
 * does not have is reported as n/a. Results go to stdout as a table and to a CSV file
 * ({@link Report}), and to a PNG ({@link Chart}); progress goes to stderr. A JFR stream counts
 * the virtual threads pinned during each side's runs ({@link PinCounter}).
 *
 * <p>Each scenario is one file holding its raw and its Warren side: {@link PublishBench},
 * {@link ConsumeBench}, {@link RpcBench}, {@link WaitersBench}; what users would write instead of
 * Warren is in {@link Alternatives}. Run {@code Bench --help} for the options.
 */
public final class Bench {
    /** Attempts at a run that outside disturbances of the broker keep spoiling. */
    private static final int ATTEMPTS = 4;
    /** How long to wait for a resource alarm raised from outside to clear before running anyway. */
    private static final Duration ALARM_PATIENCE = Duration.ofMinutes(2);

    private Bench() {
    }

    /** Which client a measurement is of: the columns of every row. */
    enum Side {
        /** The official amqp-client used directly in its fastest style, or the alternative a row names. */
        RAW("raw"),
        /** Warren's blocking API on virtual threads. */
        WARREN("warren");

        private final String label;

        Side(String label) {
            this.label = label;
        }

        /** The lower-case name used in the output. */
        String label() {
            return label;
        }
    }

    /**
     * One row of the results: a scenario at one setting (e.g. {@code rpc/callers=100}).
     *
     * @param key the row's key, e.g. {@code publish-queue/threads=1000}
     * @param kind which table the row belongs to
     * @param sides for each side the row has, one measured run of it (after its warm-up, if any)
     */
    record Row(String key, Kind kind, Map<Side, Callable<Sample>> sides) {
        Row {
            sides = Map.copyOf(sides);
        }

        /** A throughput row with both sides. */
        static Row throughput(String key, Callable<Sample> raw, Callable<Sample> warren) {
            return new Row(key, Kind.THROUGHPUT, Map.of(Side.RAW, raw, Side.WARREN, warren));
        }
    }

    /**
     * A scenario: its rows, and the broker-side state they share (queues, the RPC server),
     * which {@link #close} removes.
     */
    interface Scenario extends AutoCloseable {
        /** The rows, in the order they run. */
        List<Row> rows();

        /** What the scenario measures and how each side does it, for the notes under the table. */
        String note();
    }

    /**
     * Runs the benchmark.
     *
     * @throws IllegalArgumentException on a bad option
     * @throws IllegalStateException when any run failed (after the results were written)
     */
    public static void main(String[] args) throws Exception {
        BenchOptions options = BenchOptions.parse(args);
        if (options.help()) {
            System.out.print(BenchOptions.USAGE);
            return;
        }
        RabbitBroker broker = RabbitBroker.shared();
        List<Result> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        String rabbitmq;
        try (PinCounter pins = PinCounter.start();
             BrokerWatch watch = BrokerWatch.start(broker.uri());
             BrokerFixture fixture = BrokerFixture.open(broker.uri())) {
            rabbitmq = fixture.brokerVersion();
            for (String name : options.scenarios()) {
                try (Scenario scenario = open(name, fixture, options)) {
                    notes.add(scenario.note());
                    for (Row row : scenario.rows()) {
                        results.add(measure(row, options.reps(), watch, pins));
                    }
                }
            }
            Map<String, Map<Side, Long>> counted = pins.counts();
            results.replaceAll(r -> r.withPins(counted.getOrDefault(r.key(), Map.of())));
        }
        notes.add("pins: jdk.VirtualThreadPinned events of " + PinCounter.THRESHOLD.toMillis() + " ms or more (JFR's"
                + " default threshold), counted by a JFR stream without stack traces, anywhere in this JVM during the"
                + " runs of that side of the row, warm-ups included, summed over its runs.");
        Report.printTable(System.out, heading(options, broker, rabbitmq), results, notes);
        Report.writeCsv(options.csv(), results, rabbitmq);
        System.out.println("CSV: " + options.csv().toAbsolutePath());
        if (options.chart() != null) {
            String notDrawn = Chart.write(options.chart(), chartTitle(options, rabbitmq), results);
            if (notDrawn == null) {
                System.out.println("Chart: " + options.chart().toAbsolutePath());
            } else {
                System.out.println("Chart: not written: " + notDrawn);
                System.err.println("WARNING: no chart: " + notDrawn);
            }
        }
        List<String> failed = results.stream()
                .flatMap(r -> r.failures().entrySet().stream()
                        .map(f -> r.key() + " " + f.getKey().label() + ": " + f.getValue()))
                .toList();
        if (!failed.isEmpty()) {
            throw new IllegalStateException("runs failed:\n  " + String.join("\n  ", failed));
        }
    }

    /** Opens the scenario named {@code name} (one of {@link BenchOptions#ALL_SCENARIOS} or the extras). */
    private static Scenario open(String name, BrokerFixture fixture, BenchOptions options) throws Exception {
        return switch (name) {
            case "publish-queue", "publish-client-bound", "publish-overhead", "publish-robust", "publish-alternatives" ->
                    PublishBench.open(name, fixture, options);
            case "consume" -> new ConsumeBench(fixture, options);
            case "rpc", "rpc-alternatives" -> RpcBench.open(name, fixture, options);
            case "waiters" -> new WaitersBench(fixture, options);
            default -> throw new IllegalArgumentException("unknown scenario " + name);
        };
    }

    /**
     * Runs one row: {@code reps} rounds, each a run of every side the row has. A side that fails
     * is dropped from the rest of the row and reported, so one broken side does not cost the
     * other rows.
     */
    static Result measure(Row row, int reps, BrokerWatch watch, PinCounter pins) {
        Map<Side, List<Sample>> runs = new EnumMap<>(Side.class);
        Map<Side, String> failures = new EnumMap<>(Side.class);
        for (Side side : Side.values()) {
            if (row.sides().containsKey(side)) {
                runs.put(side, new ArrayList<>());
            } else {
                System.err.printf("  %-30s %-6s n/a%n", row.key(), side.label());
            }
        }
        for (int rep = 1; rep <= reps; rep++) {
            for (Side side : Side.values()) {
                if (!runs.containsKey(side) || failures.containsKey(side)) {
                    continue;
                }
                try {
                    Sample s = pins.during(row.key(), side, () -> runOnce(row, side, watch));
                    runs.get(side).add(s);
                    System.err.printf("  %-30s %-6s %d/%d %s%n", row.key(), side.label(), rep, reps, s.brief());
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    failures.put(side, e.toString());
                    System.err.printf("  %-30s %-6s %d/%d FAILED%n", row.key(), side.label(), rep, reps);
                    e.printStackTrace();
                }
            }
        }
        Map<Side, Sample> medians = new EnumMap<>(Side.class);
        runs.forEach((side, samples) -> {
            if (!failures.containsKey(side)) {
                medians.put(side, Sample.median(samples));
            }
        });
        return new Result(row.key(), row.kind(), medians.get(Side.RAW), medians.get(Side.WARREN), failures, Map.of());
    }

    /**
     * One run of {@code side}, run again if something outside the bench disturbed the broker
     * meanwhile (a resource alarm, connections closed by force): on a shared broker that is
     * another suite's fault injection, and the run measured it rather than the client.
     */
    private static Sample runOnce(Row row, Side side, BrokerWatch watch) throws Exception {
        for (int attempt = 1; ; attempt++) {
            watch.awaitUnblocked(ALARM_PATIENCE);
            long before = watch.disturbances();
            Sample s;
            try {
                s = row.sides().get(side).call();
            } catch (Exception e) {
                boolean disturbed = forcedClose(e) || watch.disturbedSince(before, Duration.ofSeconds(1));
                if (attempt == ATTEMPTS || !disturbed) {
                    throw e;
                }
                System.err.printf("  %-30s %-6s failed while the broker was disturbed from outside (%s); again%n",
                        row.key(), side.label(), e);
                continue;
            }
            if (attempt == ATTEMPTS || !watch.disturbedSince(before, Duration.ZERO)) {
                return s;
            }
            System.err.printf("  %-30s %-6s the broker was disturbed from outside during the run (%s); again%n",
                    row.key(), side.label(), s.brief().strip());
        }
    }

    // The watch can miss a close aimed at one connection; the broker's reply text cannot.
    private static boolean forcedClose(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("CONNECTION_FORCED")) {
                return true;
            }
        }
        return false;
    }

    private static String heading(BenchOptions o, RabbitBroker broker, String rabbitmq) {
        return String.format("Warren vs raw amqp-client %s: median of %d runs per side, each %s s after %s s of warm-up,"
                        + " %d-byte bodies%nbroker: RabbitMQ %s, %s; Java %s; %d CPUs",
                ClientVersion.VERSION, o.reps(), seconds(o.measured()), seconds(o.warmup()), o.size(),
                rabbitmq, broker, Runtime.version(), Runtime.getRuntime().availableProcessors());
    }

    /** The chart's heading: the versions and the run's settings. */
    private static String chartTitle(BenchOptions o, String rabbitmq) {
        return String.format("Warren vs raw amqp-client %s, RabbitMQ %s, Java %s, %d CPUs: median of %d runs of %s s,"
                        + " %d-byte bodies",
                ClientVersion.VERSION, rabbitmq, Runtime.version(), Runtime.getRuntime().availableProcessors(), o.reps(),
                seconds(o.measured()), o.size());
    }

    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
    }
}
