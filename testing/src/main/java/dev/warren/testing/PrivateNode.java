package dev.warren.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away RabbitMQ node of a locally installed {@code rabbitmq-server}, in its own temporary
 * folder, on free AMQP and distribution ports. It is stopped, and its folder removed, when the
 * JVM exits.
 */
final class PrivateNode {
    private static final Duration START_LIMIT = Duration.ofSeconds(90);
    /** The Debian layout; its wrappers in /usr/sbin switch to this user when run as root. */
    private static final Path DEBIAN_SCRIPTS = Path.of("/usr/lib/rabbitmq/bin");

    final String nodeName;
    final int amqpPort;
    private final Path dir;
    private final Process process;

    private PrivateNode(String nodeName, int amqpPort, Path dir, Process process) {
        this.nodeName = nodeName;
        this.amqpPort = amqpPort;
        this.dir = dir;
        this.process = process;
    }

    /** Whether a {@code rabbitmq-server} that this process may run is installed. */
    static boolean installed() {
        return Processes.onPath("rabbitmq-server") || Processes.onPath("/usr/sbin/rabbitmq-server");
    }

    static String serverCommand() {
        return Processes.onPath("rabbitmq-server") ? "rabbitmq-server" : "/usr/sbin/rabbitmq-server";
    }

    static String ctlCommand() {
        return Processes.onPath("rabbitmqctl") ? "rabbitmqctl" : "/usr/sbin/rabbitmqctl";
    }

    /**
     * Starts a node and waits until its AMQP port accepts connections.
     *
     * @throws BrokerUnavailableException when it does not come up; the message holds its log
     */
    static PrivateNode start() {
        return start(NodeConfig.DEFAULT);
    }

    /**
     * Starts a node with more configuration and waits until its AMQP port accepts connections
     * (and every port of {@link NodeConfig#awaitPorts()}).
     *
     * @throws BrokerUnavailableException when it does not come up; the message holds its log
     */
    static PrivateNode start(NodeConfig config) {
        String node = "warren-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8) + "@localhost";
        int amqpPort = Ports.free();
        int distPort = Ports.free();
        Path dir;
        try {
            dir = Files.createTempDirectory("warren-rabbit");
            Files.createDirectories(dir.resolve("mnesia"));
            Files.createDirectories(dir.resolve("log"));
            Files.writeString(dir.resolve("enabled_plugins"), config.enabledPlugins());
            Files.writeString(dir.resolve("rabbitmq.conf"), "loopback_users = none\n" + config.confLines(dir));
            config.writeFiles(dir);
            if (Processes.isRoot() && Files.isDirectory(DEBIAN_SCRIPTS)) {
                // The Debian wrapper runs the node as user rabbitmq, who must own its folders.
                Processes.run(List.of("chown", "-R", "rabbitmq:rabbitmq", dir.toString()), Map.of());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a folder for a private RabbitMQ node", e);
        }
        Path out = dir.resolve("startup.out");
        ProcessBuilder pb = new ProcessBuilder(serverCommand())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        Map<String, String> env = pb.environment();
        env.put("RABBITMQ_NODENAME", node);
        env.put("RABBITMQ_NODE_PORT", Integer.toString(amqpPort));
        env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
        env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
        env.put("RABBITMQ_PID_FILE", dir.resolve("node.pid").toString());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new BrokerUnavailableException("cannot start " + serverCommand() + ": " + e.getMessage());
        }
        PrivateNode started = new PrivateNode(node, amqpPort, dir, process);
        Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "warren-private-node-stop"));
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        while (!Ports.listening("127.0.0.1", amqpPort, 200) || !config.portsListening()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = started.logTail();
                started.stop();
                throw new BrokerUnavailableException("a private RabbitMQ node (" + node + ") did not start"
                        + (process.isAlive() ? " within " + START_LIMIT.toSeconds() + " s" : "")
                        + "; its output ends with:\n" + log);
            }
            try {
                process.waitFor(250, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                started.stop();
                throw new BrokerUnavailableException("interrupted while starting a private RabbitMQ node");
            }
        }
        return started;
    }

    /** Runs {@code rabbitmqctl -n <this node>}. */
    Ctl ctl() {
        return args -> {
            List<String> command = new ArrayList<>(List.of(ctlCommand(), "-n", nodeName));
            command.addAll(args);
            return Processes.run(command, Map.of());
        };
    }

    /** Stops the node (gracefully, then by force) and removes its folder. Idempotent. */
    void stop() {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        deleteQuietly(dir);
    }

    private String logTail() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log") || p.toString().endsWith(".out")).toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                sb.append("== ").append(f.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
            }
        } catch (IOException | UncheckedIOException e) {
            sb.append("(log unreadable: ").append(e.getMessage()).append(')');
        }
        return sb.toString();
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: it lives in the temp folder
        }
    }
}
