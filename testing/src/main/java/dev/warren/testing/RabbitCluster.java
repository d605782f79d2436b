package dev.warren.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A real RabbitMQ cluster of private nodes (each a {@code PrivateNode} of a
 * {@link RabbitServer}) on this machine: each node has its own name
 * ({@code warren-<pid>-<n>@localhost}), AMQP and distribution ports and folders; they are
 * started in parallel and joined with
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
 * The nodes run the {@link RabbitServer#configured() configured} server, or the one given to
 * {@link #start(int, RabbitServer)}: the installed {@code rabbitmq-server} needs, on Debian as
 * root, the {@code rabbitmq} user its wrappers switch to (whose Erlang cookie the nodes and
 * {@code rabbitmqctl} then share); RabbitMQ 4.0 runs in its Debian 13 root the same way.
 */
public final class RabbitCluster implements AutoCloseable {
    private static final AtomicInteger NODES = new AtomicInteger();
    private static final ReentrantLock SHARED_LOCK = new ReentrantLock();
    private static final Map<Integer, RabbitCluster> SHARED = new HashMap<>();

    private final List<Node> nodes;

    private RabbitCluster(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Starts a cluster of {@code size} nodes of the {@link RabbitServer#configured() configured}
     * server (in parallel) and joins them to the first; a size of 1 is a single private node that
     * can be stopped and killed.
     *
     * @param size the number of nodes, at least 1
     * @return the running cluster
     * @throws IllegalArgumentException if size is less than 1
     * @throws BrokerUnavailableException when the server is not available or a node does not
     *         come up (with the tail of its log)
     */
    public static RabbitCluster start(int size) {
        return start(size, RabbitServer.configured());
    }

    /**
     * Starts a cluster of {@code size} nodes of {@code server} (in parallel) and joins them to
     * the first.
     *
     * @param size the number of nodes, at least 1
     * @param server which RabbitMQ the nodes run, e.g. {@link RabbitServer#rabbitmq4()}
     * @return the running cluster
     * @throws IllegalArgumentException if size is less than 1
     * @throws BrokerUnavailableException when the server is not available or a node does not
     *         come up (with the tail of its log)
     */
    public static RabbitCluster start(int size, RabbitServer server) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, not " + size);
        }
        if (!server.available()) {
            throw new BrokerUnavailableException("RabbitCluster needs " + server + ": " + server.howToInstall());
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            nodes.add(new Node(server, i));
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

    /** One node of a {@link RabbitCluster}: a {@code PrivateNode} with a public face. Thread-safe. */
    public static final class Node {
        private final int index;
        private final PrivateNode node;

        private Node(RabbitServer server, int index) {
            this.index = index;
            this.node = PrivateNode.prepare(server,
                    "warren-" + ProcessHandle.current().pid() + "-" + NODES.incrementAndGet() + "@localhost",
                    NodeConfig.DEFAULT);
        }

        /**
         * The Erlang node name, e.g. {@code warren-1234-2@localhost}.
         *
         * @return the name {@code warren-<pid>-<n>@localhost}, unique to this node in this JVM
         */
        public String name() {
            return node.nodeName;
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
            return node.amqpPort;
        }

        /**
         * {@code 127.0.0.1:<port>}.
         *
         * @return this node's AMQP address as {@code host:port}, with its {@link #port()}
         */
        public String address() {
            return "127.0.0.1:" + node.amqpPort;
        }

        /**
         * An AMQP URI for this node, user guest, vhost {@code /}.
         *
         * @return {@code amqp://guest:guest@127.0.0.1:<port>} with this node's AMQP port
         */
        public String uri() {
            return "amqp://guest:guest@127.0.0.1:" + node.amqpPort;
        }

        /**
         * Fault injection and inspection through {@code rabbitmqctl -n <this node>} (the CLI of
         * the cluster's {@link RabbitServer}), vhost {@code /}.
         *
         * @return a new admin that runs {@code rabbitmqctl} against this node, with every fault allowed
         */
        public BrokerAdmin admin() {
            return new BrokerAdmin(node.ctl(), "/", null); // a node this JVM started: every fault is allowed on it
        }

        /**
         * Whether the node's Erlang VM runs.
         *
         * @return true if this node was started and its {@code beam.smp} process is alive
         */
        public boolean isRunning() {
            return node.isRunning();
        }

        /**
         * Starts the node (again: a stopped or killed node comes back with its data and rejoins
         * its cluster) and waits until its AMQP port accepts connections. Does nothing if it runs.
         *
         * @throws BrokerUnavailableException when it does not come up, with the tail of its log
         * @throws IllegalStateException when its cluster was closed
         */
        public void start() {
            node.launch();
        }

        /** Stops the node gracefully ({@code rabbitmqctl stop}), by force if that fails; waits until it is gone. */
        public void stop() {
            node.stop();
        }

        /**
         * Kills the node as a crash would: SIGKILL of its Erlang VM ({@code beam.smp}, by its OS
         * pid), with no chance to close connections or tell its peers. Waits until it is gone.
         *
         * @throws IllegalStateException if it does not run
         */
        public void kill() {
            node.kill();
        }

        /**
         * The OS pid of the node's Erlang VM, if it runs.
         *
         * @return the pid of its {@code beam.smp} process, or empty if the node was never started or is down
         */
        public OptionalLong pid() {
            return node.beam().map(p -> OptionalLong.of(p.pid())).orElse(OptionalLong.empty());
        }

        @Override
        public String toString() {
            return name() + " (" + address() + ")";
        }

        String ctl(String... args) {
            return admin().rabbitmqctl(args);
        }

        /** Waits until it listens again after {@code start_app}. */
        void awaitListening() {
            node.awaitListening();
        }

        private void remove() {
            node.remove();
        }
    }
}
