package dev.warren.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the benchmark for one second per row: it checks the output, never the numbers' size. */
class BenchTest {

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void writesTheCsvWithARawRateForEveryRow(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("results.csv");

        Bench.main(new String[] {"--seconds=1", "--warmup=0", "--reps=1",
            "--scenarios=publish-client-bound", "--csv=" + csv});

        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.getFirst()).isEqualTo("scenario,raw_per_s,warren_per_s,warren_over_raw,"
                + "raw_cpu_us_per_op,warren_cpu_us_per_op,raw_p50_us,raw_p99_us,warren_p50_us,warren_p99_us,"
                + "warren_heap_bytes_per_waiter,warren_wake_all_ms,raw_p999_us,warren_p999_us,raw_pins,warren_pins,"
                + "rabbitmq");
        assertThat(lines.subList(1, lines.size()))
                .extracting(line -> line.split(",", -1)[0])
                .containsExactly("publish-client-bound/threads=1", "publish-client-bound/threads=100",
                        "publish-client-bound/threads=1000", "publish-client-bound/threads=10000",
                        "publish-client-bound/deferred/threads=1");
        List<String> header = List.of(lines.getFirst().split(","));
        assertThat(lines.subList(1, lines.size())).allSatisfy(line -> {
            String[] f = line.split(",", -1);
            assertThat(Double.parseDouble(f[header.indexOf("raw_per_s")])).isPositive();
            // Both sides of a publish row time every message, so every percentile is there, in order.
            for (String side : List.of("raw", "warren")) {
                double p50 = Double.parseDouble(f[header.indexOf(side + "_p50_us")]);
                double p99 = Double.parseDouble(f[header.indexOf(side + "_p99_us")]);
                double p999 = Double.parseDouble(f[header.indexOf(side + "_p999_us")]);
                assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
                assertThat(p99).isLessThanOrEqualTo(p999);
                assertThat(Long.parseLong(f[header.indexOf(side + "_pins")])).isNotNegative();
            }
            // Which broker it measured: its version, e.g. 3.10.8 or 4.0.5.
            assertThat(f[header.indexOf("rabbitmq")]).matches("\\d+\\.\\d+\\.\\d+.*");
        });
        // The chart goes beside the CSV unless told otherwise; without fonts Bench warns instead.
        assertPngOrNoFonts(dir.resolve("results.png"));
    }

    private static void assertPngOrNoFonts(Path png) throws Exception {
        if (Chart.textProblem() == null) {
            assertThat(Files.readAllBytes(png)).startsWith(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        } else {
            assertThat(png).doesNotExist();
        }
    }

    @Test
    void theChartDefaultsToTheCsvPathWithPngAndTheWaitersTo100000() {
        BenchOptions defaults = BenchOptions.parse("--csv=out/results.csv");
        assertThat(defaults.chart()).isEqualTo(Path.of("out/results.png"));
        assertThat(defaults.waiters()).isEqualTo(100_000);

        BenchOptions given = BenchOptions.parse("--chart=none", "--waiters=1000000");
        assertThat(given.chart()).isNull();
        assertThat(given.waiters()).isEqualTo(1_000_000);
        assertThat(BenchOptions.parse("--chart=c.png").chart()).isEqualTo(Path.of("c.png"));
        assertThat(BenchOptions.USAGE).contains("--chart", "--waiters");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void overheadScenarioRunsWarrenWithJfrAndWithMetricsAgainstBothOff(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("overhead.csv");

        Bench.main(new String[] {"--seconds=0.5", "--warmup=0", "--reps=1", "--scenarios=publish-overhead",
            "--csv=" + csv});

        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.subList(1, lines.size()))
                .extracting(line -> line.split(",", -1)[0])
                .containsExactly("publish-overhead/jfr/threads=100", "publish-overhead/jfr/threads=1000",
                        "publish-overhead/metrics/threads=100", "publish-overhead/metrics/threads=1000");
        assertThat(lines.subList(1, lines.size())).allSatisfy(line -> {
            String[] f = line.split(",", -1);
            assertThat(Double.parseDouble(f[1])).isPositive();
            assertThat(Double.parseDouble(f[2])).isPositive();
        });
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void robustScenarioRunsARobustConnectionAgainstAPlainChannel(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("robust.csv");

        Bench.main(new String[] {"--seconds=0.5", "--warmup=0", "--reps=1", "--scenarios=publish-robust",
            "--chart=none", "--csv=" + csv});

        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.subList(1, lines.size())).extracting(line -> line.split(",", -1)[0])
                .containsExactly("publish-robust/threads=200", "publish-robust/threads=1000");
        assertThat(lines.subList(1, lines.size())).allSatisfy(line -> {
            String[] f = line.split(",", -1);
            assertThat(Double.parseDouble(f[1])).isPositive();
            assertThat(Double.parseDouble(f[2])).isPositive();
        });
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void publishAlternativesRunEveryContenderAgainstWarrenAtEveryThreadCount(@TempDir Path dir) throws Exception {
        List<String[]> rows = alternatives(dir, "publish-alternatives");
        assertPngOrNoFonts(dir.resolve("publish-alternatives.png"));

        assertThat(rows).extracting(f -> f[0]).containsExactly(
                "publish-alternatives/vs-amqp-blocking/threads=1", "publish-alternatives/vs-amqp-blocking/threads=100",
                "publish-alternatives/vs-amqp-blocking/threads=1000", "publish-alternatives/vs-amqp-blocking/threads=10000",
                "publish-alternatives/vs-amqp-pool/threads=1", "publish-alternatives/vs-amqp-pool/threads=100",
                "publish-alternatives/vs-amqp-pool/threads=1000", "publish-alternatives/vs-amqp-pool/threads=10000",
                "publish-alternatives/vs-spring/threads=1", "publish-alternatives/vs-spring/threads=100",
                "publish-alternatives/vs-spring/threads=1000", "publish-alternatives/vs-spring/threads=10000");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void rpcAlternativesRunRpcClientAndSpringAgainstWarrenAtEveryCallerCount(@TempDir Path dir) throws Exception {
        List<String[]> rows = alternatives(dir, "rpc-alternatives");
        assertPngOrNoFonts(dir.resolve("rpc-alternatives.png"));

        assertThat(rows).extracting(f -> f[0]).containsExactly(
                "rpc-alternatives/vs-amqp-rpcclient/callers=1", "rpc-alternatives/vs-amqp-rpcclient/callers=100",
                "rpc-alternatives/vs-amqp-rpcclient/callers=1000", "rpc-alternatives/vs-spring/callers=1",
                "rpc-alternatives/vs-spring/callers=100", "rpc-alternatives/vs-spring/callers=1000");
    }

    @Test
    void alternativesRunByDefaultAndCanBeLeftOut() {
        assertThat(BenchOptions.parse().scenarios()).containsAll(BenchOptions.ALTERNATIVES);
        assertThat(BenchOptions.parse("--alternatives=no").scenarios())
                .doesNotContainAnyElementsOf(BenchOptions.ALTERNATIVES)
                .contains("publish-queue", "rpc");
        assertThatThrownBy(() -> BenchOptions.parse("--alternatives=maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("yes or no");
    }

    /** Runs {@code scenario} briefly; every row's CSV fields, each with both columns measured (Bench throws if one failed). */
    private static List<String[]> alternatives(Path dir, String scenario) throws Exception {
        Path csv = dir.resolve(scenario + ".csv");
        Bench.main(new String[] {"--seconds=0.5", "--warmup=0", "--reps=1", "--scenarios=" + scenario,
            "--csv=" + csv});
        List<String> lines = Files.readAllLines(csv);
        List<String> header = List.of(lines.getFirst().split(","));
        List<String[]> rows = lines.subList(1, lines.size()).stream().map(line -> line.split(",", -1)).toList();
        assertThat(rows).allSatisfy(f -> {
            assertThat(Double.parseDouble(f[header.indexOf("raw_per_s")])).isPositive();
            assertThat(Double.parseDouble(f[header.indexOf("warren_per_s")])).isPositive();
            assertThat(Double.parseDouble(f[header.indexOf("raw_p50_us")])).isPositive();
            assertThat(Double.parseDouble(f[header.indexOf("raw_cpu_us_per_op")])).isPositive();
        });
        return rows;
    }
}
