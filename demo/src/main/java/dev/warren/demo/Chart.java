package dev.warren.demo;

import dev.warren.demo.Bench.Side;
import dev.warren.demo.Report.Kind;
import dev.warren.demo.Report.Result;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The results as a PNG: for publish-client-bound, publish-queue, rpc and the two alternatives
 * scenarios (those that ran), one row of two panels, throughput and p99 latency against the
 * number of threads or callers (log scales), with a line for raw and one for Warren; on the
 * alternatives' panels a line for each alternative and one for Warren (at each count the median
 * of Warren's medians over the alternatives' rows, since Warren ran beside each of them).
 *
 * <p>Drawn with JFreeChart into a headless image. Text needs fonts: on a machine without any
 * (no fontconfig, no fonts package) Java2D fails, and {@link #write} reports why instead of
 * failing the run; {@link #textProblem()} tells beforehand.
 */
final class Chart {
    /** The scenarios drawn, top to bottom, with what their x axis counts. */
    private static final List<String[]> DRAWN = List.of(
            new String[] {"publish-client-bound", "publishing threads (raw: always 1)"},
            new String[] {"publish-queue", "publishing threads (raw: always 1)"},
            new String[] {"rpc", "callers in flight"},
            new String[] {"publish-alternatives", "publishing threads"},
            new String[] {"rpc-alternatives", "callers in flight"});
    private static final int PANEL_WIDTH = 640;
    private static final int PANEL_HEIGHT = 380;
    private static final int TITLE_HEIGHT = 40;
    private static final Color RAW = new Color(0x1f, 0x77, 0xb4);
    private static final Color WARREN = new Color(0xd6, 0x27, 0x28);
    /** The alternatives' lines, in the order their groups ran. */
    private static final Color[] OTHERS = {RAW, new Color(0x2c, 0xa0, 0x2c), new Color(0x94, 0x67, 0xbd),
        new Color(0xff, 0x7f, 0x0e)};

    private Chart() {
    }

    /**
     * Writes the chart of {@code results} to {@code path} as PNG.
     *
     * @param title the line above the panels (the run's settings)
     * @return null when written, else why not: nothing to draw, or no way to draw text here
     */
    static String write(Path path, String title, List<Result> results) throws IOException {
        List<String[]> drawn = DRAWN.stream().filter(d -> !rowsOf(d[0], results).isEmpty()).toList();
        if (drawn.isEmpty()) {
            return "nothing to draw: none of " + DRAWN.stream().map(d -> d[0]).toList() + " ran";
        }
        String problem = textProblem();
        if (problem != null) {
            return problem;
        }
        BufferedImage image = new BufferedImage(2 * PANEL_WIDTH, TITLE_HEIGHT + drawn.size() * PANEL_HEIGHT,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            g.drawString(title, 12, 26);
            for (int i = 0; i < drawn.size(); i++) {
                String scenario = drawn.get(i)[0];
                String xLabel = drawn.get(i)[1];
                List<Result> rows = rowsOf(scenario, results);
                int y = TITLE_HEIGHT + i * PANEL_HEIGHT;
                panel(scenario + ": throughput", xLabel, "per second", lines(rows, Sample::rate), false)
                        .draw(g, new Rectangle2D.Double(0, y, PANEL_WIDTH, PANEL_HEIGHT));
                panel(scenario + ": p99 latency", xLabel, "ms (log)", lines(rows, s -> s.p99Micros() / 1e3), true)
                        .draw(g, new Rectangle2D.Double(PANEL_WIDTH, y, PANEL_WIDTH, PANEL_HEIGHT));
            }
        } finally {
            g.dispose();
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", path.toFile())) {
            return "no PNG writer in this JVM";
        }
        return null;
    }

    /**
     * Why text cannot be drawn in this JVM (no fonts, no fontconfig), or null when it can.
     * Sets {@code java.awt.headless} first, unless something set it already.
     */
    static String textProblem() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        try {
            BufferedImage probe = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = probe.createGraphics();
            try {
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
                g.drawString("0", 0, 8);
                return null;
            } finally {
                g.dispose();
            }
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // Temurin without fontconfig or any font: an Error or a NullPointerException from the font manager.
            return "Java2D cannot draw text here (" + e + "); on Debian: apt-get install fontconfig fonts-dejavu-core";
        }
    }

    /**
     * The throughput rows of {@code scenario}: keys {@code scenario/<name>=<count>}, and for the
     * alternatives {@code scenario/vs-<alternative>/<name>=<count>}.
     */
    private static List<Result> rowsOf(String scenario, List<Result> results) {
        return results.stream()
                .filter(r -> r.kind() == Kind.THROUGHPUT
                        && r.key().matches(scenario + "/(vs-[a-z-]+/)?[a-z]+=\\d+"))
                .toList();
    }

    /**
     * The lines of one panel: raw and Warren; for rows of alternatives (keys with a
     * {@code vs-} group), each alternative's raw side under its name, then Warren's.
     */
    private static List<XYSeries> lines(List<Result> rows, ToDoubleFunction<Sample> figure) {
        Map<String, List<Result>> groups = new LinkedHashMap<>();
        for (Result r : rows) {
            String[] parts = r.key().split("/");
            groups.computeIfAbsent(parts.length == 3 ? parts[1] : "", g -> new ArrayList<>()).add(r);
        }
        List<XYSeries> lines = new ArrayList<>();
        if (groups.keySet().equals(Set.of(""))) {
            lines.add(series(Side.RAW.label(), points(rows, Side.RAW, figure)));
            lines.add(series(Side.WARREN.label(), points(rows, Side.WARREN, figure)));
            return lines;
        }
        groups.forEach((group, groupRows) -> lines.add(series(group.substring("vs-".length()),
                points(groupRows, Side.RAW, figure))));
        Map<Double, List<Double>> warren = new TreeMap<>();
        points(rows, Side.WARREN, figure).forEach(p -> warren.computeIfAbsent(p[0], x -> new ArrayList<>()).add(p[1]));
        List<double[]> medians = new ArrayList<>();
        warren.forEach((x, ys) -> medians.add(new double[] {x, ys.stream().sorted().toList().get(ys.size() / 2)}));
        lines.add(series(Side.WARREN.label(), medians));
        return lines;
    }

    /** One panel of {@code lines} against the count in the row keys, log x; Warren's line is the last one. */
    private static JFreeChart panel(String title, String xLabel, String yLabel, List<XYSeries> lines, boolean logY) {
        XYSeriesCollection data = new XYSeriesCollection();
        lines.forEach(data::addSeries);
        LogAxis x = decades(xLabel);
        x.setSmallestValue(0.5);
        ValueAxis y;
        if (logY) {
            LogAxis log = decades(yLabel);
            log.setSmallestValue(1e-3);
            y = log;
        } else {
            NumberAxis linear = new NumberAxis(yLabel);
            linear.setAutoRangeIncludesZero(true);
            y = linear;
        }
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < lines.size(); i++) {
            renderer.setSeriesPaint(i, i == lines.size() - 1 ? WARREN : OTHERS[i % OTHERS.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 14), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** A base-10 log axis with a labelled tick per decade, written plainly (100, not 10^2). */
    private static LogAxis decades(String label) {
        LogAxis axis = new LogAxis(label);
        axis.setBase(10);
        axis.setStandardTickUnits(NumberAxis.createIntegerTickUnits(Locale.ROOT));
        axis.setNumberFormatOverride(new DecimalFormat("#,##0.###", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        axis.setMinorTickCount(9);
        axis.setMinorTickMarksVisible(true);
        return axis;
    }

    private static XYSeries series(String label, List<double[]> points) {
        XYSeries series = new XYSeries(label);
        points.forEach(p -> series.add(p[0], p[1]));
        return series;
    }

    /** One side's points: x the count after '=' in the key, y the figure; missing or NaN points are left out. */
    private static List<double[]> points(List<Result> rows, Side side, ToDoubleFunction<Sample> figure) {
        List<double[]> points = new ArrayList<>();
        for (Result r : rows) {
            Sample s = r.get(side);
            if (s == null) {
                continue;
            }
            double v = figure.applyAsDouble(s);
            if (!Double.isNaN(v) && v > 0) {
                points.add(new double[] {Double.parseDouble(r.key().substring(r.key().lastIndexOf('=') + 1)), v});
            }
        }
        return points;
    }
}
