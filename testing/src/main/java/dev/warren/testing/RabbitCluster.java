package dev.warren.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A real RabbitMQ cluster of private nodes of the locally installed {@code rabbitmq-server} on
 * this machine: each node has its own name ({@code warren-<pid>-<n>@localhost}), AMQP and
 * distribution ports and folders; they are started in parallel and joined with
 * {@code rabbitmqctl join_cluster}. Nodes can be stopped, killed (SIGKILL of the Erlang VM) and
 * started again, for failover tests. {@link #close()} stops every node and removes its folders;
 * so does the end of the JVM.
 *
 * <pre>{@code
 * RabbitCluster cluster = RabbitCluster.shared(3);          // started once per test JVM
 * ConnectionOptions options = ConnectionOptions.of(cluster.uri()).withAddresses(cluster.addresses());
 * cluster.node(0).kill();
 * }</pre>
 *
 * Needs {@code rabbitmq-server} installed and, on Debian as root, the {@code rabbitmq} user its
 * wrappers switch to (whose Erlang cookie the nodes and {@code rabbitmqctl} then share).
 */
public final class RabbitCluster implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(120);
    private static final Path DEBIAN_SCRIPTS = Path.of("/usr/lib/rabbitmq/bin");
    private static final AtomicInteger NODES = new AtomicInteger();
    private static final ReentrantLock SHARED_LOCK = new ReentrantLock();
    private static final Map<Integer, RabbitCluster> SHARED = new HashMap<>();

    private final List<Node> nodes;

    private RabbitCluster(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Starts a cluster of {@code size} nodes (in parallel) and joins them to the first; a size of
     * 1 is a single private node that can be stopped and killed.
     *
     * @param size the number of nodes, at least 1
     * @return the running cluster
     * @throws IllegalArgumentException if size is less than 1
     * @throws BrokerUnavailableException when rabbitmq-server is not installed or a node does
     *         not come up (with the tail of its log)
     */
    public static RabbitCluster start(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, not " + size);
        }
        if (!PrivateNode.installed()) {
            throw new BrokerUnavailableException("RabbitCluster needs rabbitmq-server installed on this machine");
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            nodes.add(new Node(i));
        }
        RabbitCluster cluster = new RabbitCluster(nodes);
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "warren-cluster-stop"));
        try {
            List<CompletableFuture<Void>> starts = nodes.stream()
                    .map(n -> CompletableFuture.runAsync(n::start, r -> Thread.ofVirtual().start(r)))
                    .toList();
            starts.forEach(CompletableFuture::join);
            for (Node n : nodes.subList(1, nodes.size())) {
                n.ctl("stop_app");
                n.ctl("join_cluster", nodes.get(0).name());
                n.ctl("start_app");
                n.awaitListening();
            }
        } catch (RuntimeException e) {
            cluster.close();
            throw e instanceof CompletionException c && c.getCause() instanceof RuntimeException r ? r : e;
        }
        return cluster;
    }

    /**
     * A cluster of {@code size} nodes shared by every caller in this JVM: started on first use,
     * closed when the JVM exits. Tests that share it must leave every node running when they end.
     *
     * @param size the number of nodes, at least 1; each size has its own shared cluster
     * @return the cluster of that size, started by the first call for it and reused afterwards
     * @throws BrokerUnavailableException as {@link #start(int)}
     */
    public static RabbitCluster shared(int size) {
        SHARED_LOCK.lock();
        try {
            return SHARED.computeIfAbsent(size, RabbitCluster::start);
        } finally {
            SHARED_LOCK.unlock();
        }
    }

    /**
     * The nodes, in order; the first is the one the others joined.
     *
     * @return an unmodifiable list of all nodes of this cluster, by index
     */
    public List<Node> nodes() {
        return nodes;
    }

    /**
     * Node {@code i} (from 0).
     *
     * @param i the index of the node in this cluster, from 0 to the cluster size minus 1
     * @return the node at that index
     * @throws IndexOutOfBoundsException if {@code i} is negative or not less than the cluster size
     */
    public Node node(int i) {
        return nodes.get(i);
    }

    /**
     * Every node's AMQP address as {@code host:port}, for {@code ConnectionOptions.withAddresses}.
     *
     * @return the {@code 127.0.0.1:<port>} address of each node, in node order
     */
    public List<String> addresses() {
        return nodes.stream().map(Node::address).toList();
    }

    /**
     * An AMQP URI (user guest) of the first node; with {@code withAddresses} only its credentials count.
     *
     * @return {@code amqp://guest:guest@127.0.0.1:<port>} with the AMQP port of node 0
     */
    public String uri() {
        return nodes.get(0).uri();
    }

    /** Stops every node (by force if it must) and removes their folders. Idempotent. */
    @Override
    public void close() {
        nodes.parallelStream().forEach(Node::remove);
    }

    @Override
    public String toString() {
        return "RabbitCluster" + nodes.stream().map(Node::name).toList();
    }

    /** One node of a {@link RabbitCluster}. Thread-safe. */
    public static final class Node {
        private final int index;
        private final String name;
        private final int amqpPort;
        private final int distPort;
        private final Path dir;
        private final ReentrantLock lock = new ReentrantLock();
        private Process process;
        private boolean removed;

        private Node(int index) {
            this.index = index;
            this.name = "warren-" + ProcessHandle.current().pid() + "-" + NODES.incrementAndGet() + "@localhost";
            this.amqpPort = Ports.free();
            this.distPort = Ports.free();
            try {
                dir = Files.createTempDirectory("warren-cluster");
                Files.createDirectories(dir.resolve("mnesia"));
                Files.createDirectories(dir.resolve("log"));
                Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
                Files.writeString(dir.resolve("rabbitmq.conf"), "loopback_users = none\n");
                if (Processes.isRoot() && Files.isDirectory(DEBIAN_SCRIPTS)) {
                    Processes.run(List.of("chown", "-R", "rabbitmq:rabbitmq", dir.toString()), Map.of());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare a folder for a cluster node", e);
            }
        }

        /**
         * The Erlang node name, e.g. {@code warren-1234-2@localhost}.
         *
         * @return the name {@code warren-<pid>-<n>@localhost}, unique to this node in this JVM
         */
        public String name() {
            return name;
        }

        /**
         * The position of this node in its cluster, from 0.
         *
         * @return the index of this node, as passed to {@link RabbitCluster#node(int)}
         */
        public int index() {
            return index;
        }

        /**
         * Its AMQP port.
         *
         * @return the local TCP port this node's AMQP listener binds on {@code 127.0.0.1}
         */
        public int port() {
            return amqpPort;
        }

        /**
         * {@code 127.0.0.1:<port>}.
         *
         * @return this node's AMQP address as {@code host:port}, with its {@link #port()}
         */
        public String address() {
            return "127.0.0.1:" + amqpPort;
        }

        /**
         * An AMQP URI for this node, user guest, vhost {@code /}.
         *
         * @return {@code amqp://guest:guest@127.0.0.1:<port>} with this node's AMQP port
         */
        public String uri() {
            return "amqp://guest:guest@127.0.0.1:" + amqpPort;
        }

        /**
         * Fault injection and inspection through {@code rabbitmqctl -n <this node>}, vhost {@code /}.
         *
         * @return a new admin that runs {@code rabbitmqctl} against this node, with every fault allowed
         */
        public BrokerAdmin admin() {
            return new BrokerAdmin(args -> {
                List<String> command = new ArrayList<>(List.of(PrivateNode.ctlCommand(), "-n", name));
                command.addAll(args);
                return Processes.run(command, Map.of());
            }, "/", null); // a node this JVM started: every fault is allowed on it
        }

        /**
         * Whether the node's Erlang VM runs.
         *
         * @return true if this node was started and its {@code beam.smp} process is alive
         */
        public boolean isRunning() {
            lock.lock();
            try {
                return process != null && beam().map(ProcessHandle::isAlive).orElse(false);
            } finally {
                lock.unlock();
            }
        }

        /**
         * Starts the node (again: a stopped or killed node comes back with its data and rejoins
         * its cluster) and waits until its AMQP port accepts connections. Does nothing if it runs.
         *
         * @throws BrokerUnavailableException when it does not come up, with the tail of its log
         */
        public void start() {
            lock.lock();
            try {
                if (removed) {
                    throw new IllegalStateException(name + " was removed with its cluster");
                }
                if (process != null && process.isAlive()) {
                    return;
                }
                ProcessBuilder pb = new ProcessBuilder(PrivateNode.serverCommand())
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("startup.out").toFile()));
                Map<String, String> env = pb.environment();
                env.put("RABBITMQ_NODENAME", name);
                env.put("RABBITMQ_NODE_PORT", Integer.toString(amqpPort));
                env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
                env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
                env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
                env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
                env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
                env.put("RABBITMQ_PID_FILE", dir.resolve("node.pid").toString());
                try {
                    process = pb.start();
                } catch (IOException e) {
                    throw new BrokerUnavailableException("cannot start " + PrivateNode.serverCommand() + ": "
                            + e.getMessage());
                }
            } finally {
                lock.unlock();
            }
            awaitListening();
        }

        /** Stops the node gracefully ({@code rabbitmqctl stop}), by force if that fails; waits until it is gone. */
        public void stop() {
            lock.lock();
            try {
                if (process == null || !process.isAlive()) {
                    return;
                }
                try {
                    ctl("stop");
                } catch (AdminException e) {
                    // Not answering: the forced way below.
                }
                awaitExit(Duration.ofSeconds(30));
            } finally {
                lock.unlock();
            }
        }

        /**
         * Kills the node as a crash would: SIGKILL of its Erlang VM ({@code beam.smp}, by its OS
         * pid), with no chance to close connections or tell its peers. Waits until it is gone.
         *
         * @throws IllegalStateException if it does not run
         */
        public void kill() {
            lock.lock();
            try {
                ProcessHandle beam = beam().orElseThrow(() -> new IllegalStateException(name + " does not run"));
                beam.destroyForcibly();
                awaitExit(Duration.ofSeconds(30));
            } finally {
                lock.unlock();
            }
        }

        /**
         * The OS pid of the node's Erlang VM, if it runs.
         *
         * @return the pid of its {@code beam.smp} process, or empty if the node was never started or is down
         */
        public java.util.OptionalLong pid() {
            return beam().map(p -> java.util.OptionalLong.of(p.pid())).orElse(java.util.OptionalLong.empty());
        }

        @Override
        public String toString() {
            return name + " (" + address() + ")";
        }

        private java.util.Optional<ProcessHandle> beam() {
            Process p = process;
            if (p == null) {
                return java.util.Optional.empty();
            }
            return p.descendants()
                    .filter(h -> h.info().command().map(c -> c.endsWith("beam.smp")).orElse(false))
                    .findFirst();
        }

        String ctl(String... args) {
            return admin().rabbitmqctl(args);
        }

        void awaitListening() {
            long deadline = System.nanoTime() + START_LIMIT.toNanos();
            while (!Ports.listening("127.0.0.1", amqpPort, 200)) {
                Process p = process;
                if (p == null || !p.isAlive() || System.nanoTime() > deadline) {
                    throw new BrokerUnavailableException("cluster node " + name + " did not start"
                            + (p != null && p.isAlive() ? " within " + START_LIMIT.toSeconds() + " s" : "")
                            + "; its output ends with:\n" + logTail());
                }
                try {
                    p.waitFor(250, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BrokerUnavailableException("interrupted while starting " + name);
                }
            }
        }

        /** Waits for the VM and the wrapper to end, killing what is left after {@code limit}. */
        private void awaitExit(Duration limit) {
            List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
            tree.add(process.toHandle());
            long deadline = System.nanoTime() + limit.toNanos();
            for (ProcessHandle h : tree) {
                try {
                    h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    h.destroyForcibly();
                }
            }
            // The port is free again only once the VM is gone; a restart must not race it.
            long portDeadline = System.nanoTime() + limit.toNanos();
            while (Ports.listening("127.0.0.1", amqpPort, 100) && System.nanoTime() < portDeadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
            }
        }

        private void remove() {
            lock.lock();
            try {
                if (removed) {
                    return;
                }
                removed = true;
                if (process != null && process.isAlive()) {
                    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
                    tree.add(process.toHandle());
                    tree.forEach(ProcessHandle::destroy);
                    awaitExit(Duration.ofSeconds(10));
                }
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException | UncheckedIOException ignored) {
                    // best effort: it lives in the temp folder
                }
            } finally {
                lock.unlock();
            }
        }

        private String logTail() {
            StringBuilder sb = new StringBuilder();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".log") || p.toString().endsWith(".out"))
                        .toList()) {
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
}
