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
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A restartable RabbitMQ node of a {@link RabbitServer}, in its own temporary folder (data, logs,
 * config, plugins), on free AMQP and distribution ports: prepared once, then launched, stopped or
 * killed and launched again with its data, and removed with its folder at the end (or when the
 * JVM exits). {@link RabbitBroker}'s private node, {@link TlsNode} and each
 * {@link RabbitCluster.Node} are one of these. Thread-safe.
 */
final class PrivateNode {
    private static final Duration START_LIMIT = Duration.ofSeconds(120);

    final String nodeName;
    final int amqpPort;
    private final int distPort;
    private final RabbitServer server;
    private final NodeConfig config;
    private final Path dir;
    private final ReentrantLock lock = new ReentrantLock();
    private Process process;
    private boolean removed;

    private PrivateNode(RabbitServer server, String nodeName, NodeConfig config, Path dir) {
        this.server = server;
        this.nodeName = nodeName;
        this.config = config;
        this.dir = dir;
        this.amqpPort = Ports.free();
        this.distPort = Ports.free();
    }

    /**
     * Prepares a node of {@code server} named {@code nodeName}: makes its folder, writes its
     * config and files and hands the folder to the {@code rabbitmq} user. Nothing runs yet.
     *
     * @throws BrokerUnavailableException when the server is not available here
     */
    static PrivateNode prepare(RabbitServer server, String nodeName, NodeConfig config) {
        if (!server.available()) {
            throw new BrokerUnavailableException("a private node needs " + server + ": " + server.howToInstall());
        }
        Path dir;
        try {
            dir = server.createNodeDirectory("warren-rabbit");
            Files.createDirectories(dir.resolve("mnesia"));
            Files.createDirectories(dir.resolve("log"));
            Files.writeString(dir.resolve("enabled_plugins"), config.enabledPlugins());
            Files.writeString(dir.resolve("rabbitmq.conf"),
                    "loopback_users = none\n" + config.confLines(server.nodePath(dir)));
            config.writeFiles(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a folder for a private RabbitMQ node", e);
        }
        server.handToRabbitmqUser(dir);
        PrivateNode node = new PrivateNode(server, nodeName, config, dir);
        Runtime.getRuntime().addShutdownHook(new Thread(node::remove, "warren-private-node-stop"));
        return node;
    }

    /** Starts a node of the {@link RabbitServer#configured() configured} server with the defaults. */
    static PrivateNode start() {
        return start(RabbitServer.configured(), NodeConfig.DEFAULT);
    }

    /**
     * Prepares and launches a node with a random name and waits until its AMQP port accepts
     * connections (and every port of {@link NodeConfig#awaitPorts()}).
     *
     * @throws BrokerUnavailableException when it does not come up; the message holds its log
     */
    static PrivateNode start(RabbitServer server, NodeConfig config) {
        String name = "warren-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8) + "@localhost";
        PrivateNode node = prepare(server, name, config);
        try {
            node.launch();
        } catch (RuntimeException e) {
            node.remove();
            throw e;
        }
        return node;
    }

    /**
     * Starts the node (again: a stopped or killed node comes back with its data) and waits until
     * its ports accept connections. Does nothing if it runs.
     *
     * @throws BrokerUnavailableException when it does not come up, with the tail of its log
     * @throws IllegalStateException when it was removed
     */
    void launch() {
        Process started;
        lock.lock();
        try {
            if (removed) {
                throw new IllegalStateException(nodeName + " was removed");
            }
            if (process != null && process.isAlive()) {
                return;
            }
            ProcessBuilder pb = new ProcessBuilder(server.serverCommand())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("startup.out").toFile()));
            Map<String, String> env = pb.environment();
            env.putAll(server.environment());
            env.put("RABBITMQ_NODENAME", nodeName);
            env.put("RABBITMQ_NODE_PORT", Integer.toString(amqpPort));
            env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
            env.put("RABBITMQ_MNESIA_BASE", server.nodePath(dir.resolve("mnesia")));
            env.put("RABBITMQ_LOG_BASE", server.nodePath(dir.resolve("log")));
            env.put("RABBITMQ_ENABLED_PLUGINS_FILE", server.nodePath(dir.resolve("enabled_plugins")));
            env.put("RABBITMQ_CONFIG_FILE", server.nodePath(dir.resolve("rabbitmq.conf")));
            env.put("RABBITMQ_PID_FILE", server.nodePath(dir.resolve("node.pid")));
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new BrokerUnavailableException("cannot start " + server + ": " + e.getMessage());
            }
            started = process;
        } finally {
            lock.unlock();
        }
        awaitListening(started);
    }

    /** Waits until the running node listens again (after {@code start_app}). */
    void awaitListening() {
        Process p;
        lock.lock();
        try {
            p = process;
        } finally {
            lock.unlock();
        }
        if (p == null) {
            throw new IllegalStateException(nodeName + " was never launched");
        }
        awaitListening(p);
    }

    /** Waits until the AMQP port (and the config's other ports) listen; the process must stay alive. */
    private void awaitListening(Process p) {
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        while (!Ports.listening("127.0.0.1", amqpPort, 200) || !config.portsListening() || !listensItself()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                boolean taken = Ports.listening("127.0.0.1", amqpPort, 200);
                throw new BrokerUnavailableException("a private RabbitMQ node (" + nodeName + ", " + server
                        + ") did not start" + (p.isAlive() ? " within " + START_LIMIT.toSeconds() + " s" : "")
                        + (taken ? "; its AMQP port " + amqpPort + " is held by another process" : "")
                        + "; its output ends with:\n" + logTail());
            }
            try {
                p.waitFor(250, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BrokerUnavailableException("interrupted while starting " + nodeName);
            }
        }
    }

    /** Whether the AMQP listener is this node's own, not another process's on a port it took meanwhile. */
    private boolean listensItself() {
        return beam().map(b -> Ports.listenedBy(amqpPort, b)).orElse(false);
    }

    /** Runs this server's {@code rabbitmqctl -n <this node>}. */
    Ctl ctl() {
        return server.ctl(nodeName);
    }

    /** Stops the node gracefully ({@code rabbitmqctl stop}), by force if that fails; keeps its data. */
    void stop() {
        lock.lock();
        try {
            if (process == null || !process.isAlive()) {
                return;
            }
            try {
                ctl().run(List.of("stop"));
            } catch (AdminException e) {
                // Not answering: the forced way below.
            }
            awaitExit(Duration.ofSeconds(30));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Kills the node as a crash would: SIGKILL of its Erlang VM, with no chance to close
     * connections or tell its peers. Waits until it is gone.
     *
     * @throws IllegalStateException if it does not run
     */
    void kill() {
        lock.lock();
        try {
            beam().orElseThrow(() -> new IllegalStateException(nodeName + " does not run")).destroyForcibly();
            awaitExit(Duration.ofSeconds(30));
        } finally {
            lock.unlock();
        }
    }

    /** Ends the node (by force if it must) and removes its folder. Idempotent. */
    void remove() {
        lock.lock();
        try {
            if (removed) {
                return;
            }
            removed = true;
            if (process != null && process.isAlive()) {
                tree().forEach(ProcessHandle::destroy);
                awaitExit(Duration.ofSeconds(10));
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException | UncheckedIOException ignored) {
                // best effort: it lives in a temp folder
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the node's Erlang VM runs. */
    boolean isRunning() {
        return beam().map(ProcessHandle::isAlive).orElse(false);
    }

    /** The node's Erlang VM ({@code beam.smp}), if it runs: chroot shares the PID namespace. */
    Optional<ProcessHandle> beam() {
        lock.lock();
        try {
            if (process == null) {
                return Optional.empty();
            }
            return process.descendants()
                    .filter(h -> h.info().command().map(c -> c.endsWith("beam.smp")).orElse(false))
                    .findFirst();
        } finally {
            lock.unlock();
        }
    }

    private List<ProcessHandle> tree() {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        return tree;
    }

    /** Waits for the VM and the wrapper to end, killing what is left after {@code limit}. */
    private void awaitExit(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        for (ProcessHandle h : tree()) {
            try {
                h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
        // The port is free again only once the VM is gone; a restart must not race it.
        long portDeadline = System.nanoTime() + limit.toNanos();
        while (Ports.listening("127.0.0.1", amqpPort, 100) && System.nanoTime() < portDeadline) {
            LockSupport.parkNanos(50_000_000);
        }
    }

    /** The last lines of the node's logs and of its startup output. */
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
}
