package dev.warren.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Which {@code rabbitmq-server} the nodes of warren-testing run, and how: the one place that
 * decides it for {@link RabbitBroker}'s private node, {@link TlsNode} and {@link RabbitCluster}.
 *
 * <ul>
 *   <li>{@link #installed()}: the machine's own {@code rabbitmq-server} (Debian 12: 3.10), run
 *       as it is, with the machine's epmd on its default port 4369.</li>
 *   <li>{@link #rabbitmq4()}: RabbitMQ 4.0 from a Debian 13 root (Debian 13's package, made by
 *       the project's {@code .ci/rabbitmq4-root}), run with {@code chroot} into it. Its nodes,
 *       their folders (under the root's {@code /tmp}) and their {@code rabbitmqctl} all run
 *       inside the root, as its user {@code rabbitmq}, whose Erlang cookie they share; they use
 *       their own epmd port {@value #ROOT_EPMD_PORT}, so they never meet the 3.10 nodes. Needs
 *       root (chroot).</li>
 * </ul>
 *
 * <p>{@link #configured()} is what the kit uses unless told otherwise: the system property
 * {@value #PROPERTY}, else the environment variable {@value #ENVIRONMENT}; {@code 4.0} chooses
 * {@link #rabbitmq4()}, {@code installed} or nothing chooses {@link #installed()}. A user's own
 * tests choose the version the same way ({@code -Dwarren.rabbitmq=4.0}), or per cluster with
 * {@link RabbitCluster#start(int, RabbitServer)}. Immutable and thread-safe.
 */
public final class RabbitServer {
    /** The system property that chooses the server: {@code 4.0} or {@code installed}. */
    public static final String PROPERTY = "warren.rabbitmq";
    /** The environment variable read when the property is not set; same values. */
    public static final String ENVIRONMENT = "WARREN_RABBITMQ";
    /** The environment variable naming the Debian 13 root; else {@code ~/.cache/rabbitmq4-root}. */
    public static final String ROOT_ENVIRONMENT = "WARREN_RABBITMQ4_ROOT";
    /** The epmd port of every node in the root (the machine's nodes use 4369). */
    public static final int ROOT_EPMD_PORT = 4370;
    /**
     * The node that {@code rabbitmqctl} addresses in the root when no node is named (the broker
     * found at {@code AMQP_URI}): the shared 4.0 node that {@code .ci/rabbitmq4-node} starts.
     */
    public static final String ROOT_DEFAULT_NODE = "rabbit@localhost";

    /** The Debian layout; its wrappers in /usr/sbin switch to this user when run as root. */
    private static final Path DEBIAN_SCRIPTS = Path.of("/usr/lib/rabbitmq/bin");

    /** Null for the machine's own server; else the Debian 13 root its nodes run in. */
    private final Path root;

    private RabbitServer(Path root) {
        this.root = root;
    }

    /**
     * The machine's own {@code rabbitmq-server}, on the PATH or in {@code /usr/sbin}.
     *
     * @return the installed server; {@link #available()} says whether there is one
     */
    public static RabbitServer installed() {
        return new RabbitServer(null);
    }

    /**
     * RabbitMQ 4.0 in the Debian 13 root at {@value #ROOT_ENVIRONMENT}, else at
     * {@code ~/.cache/rabbitmq4-root} (where {@code .ci/rabbitmq4-root} makes it).
     *
     * @return the server of that root; {@link #available()} says whether the root is there
     */
    public static RabbitServer rabbitmq4() {
        String configured = System.getenv(ROOT_ENVIRONMENT);
        Path root = configured != null && !configured.isBlank() ? Path.of(configured.strip())
                : Path.of(System.getProperty("user.home"), ".cache", "rabbitmq4-root");
        return rabbitmq4(root);
    }

    /**
     * RabbitMQ from a Debian root at {@code root} (with Debian's {@code rabbitmq-server} package
     * installed), run with {@code chroot}.
     *
     * @param root the root folder
     * @return the server of that root
     * @throws NullPointerException if root is null
     */
    public static RabbitServer rabbitmq4(Path root) {
        return new RabbitServer(Objects.requireNonNull(root, "root").toAbsolutePath());
    }

    /**
     * The server chosen by the system property {@value #PROPERTY}, else by the environment
     * variable {@value #ENVIRONMENT}: {@code 4.0} for {@link #rabbitmq4()}; {@code installed},
     * empty or unset for {@link #installed()}.
     *
     * @return the chosen server
     * @throws IllegalArgumentException when the setting is another value
     */
    public static RabbitServer configured() {
        return configured(System.getenv());
    }

    /** As {@link #configured()}, with the environment given (the property still comes first). */
    static RabbitServer configured(Map<String, String> environment) {
        return configured(System.getProperty(PROPERTY), environment);
    }

    /** The choice of {@code property} (the system property's value, or null), else of the environment. */
    static RabbitServer configured(String property, Map<String, String> environment) {
        String choice = property;
        String from = PROPERTY;
        if (choice == null || choice.isBlank()) {
            choice = environment.get(ENVIRONMENT);
            from = ENVIRONMENT;
        }
        if (choice == null || choice.isBlank()) {
            return installed();
        }
        return switch (choice.strip().toLowerCase(Locale.ROOT)) {
            case "installed" -> installed();
            case "4.0", "4" -> rabbitmq4();
            default -> throw new IllegalArgumentException(from + " must be 4.0 or installed, not '" + choice + "'");
        };
    }

    /**
     * Whether this server can run here: the installed one is on the PATH or in
     * {@code /usr/sbin}; the root holds RabbitMQ and this process runs as root (chroot).
     *
     * @return whether nodes of this server can be started
     */
    public boolean available() {
        if (root == null) {
            return Processes.onPath("rabbitmq-server") || Processes.onPath("/usr/sbin/rabbitmq-server");
        }
        return Processes.isRoot() && Files.isExecutable(root.resolve("usr/sbin/rabbitmq-server"));
    }

    /**
     * Whether this is the RabbitMQ 4.0 of a Debian root rather than the machine's own server.
     *
     * @return true for {@link #rabbitmq4()}
     */
    public boolean isRabbitmq4() {
        return root != null;
    }

    /**
     * What to do to make this server available, for a {@link BrokerUnavailableException}.
     *
     * @return a sentence naming what is missing
     */
    String howToInstall() {
        return root == null
                ? "install rabbitmq-server (Debian/Ubuntu: sudo apt-get install rabbitmq-server)"
                : "run .ci/rabbitmq4-root as root (it makes RabbitMQ 4.0 in " + root + "), and run the tests as root";
    }

    /** Makes a node's folder: in the temp folder, or in the root's /tmp so the node sees it. */
    Path createNodeDirectory(String prefix) throws IOException {
        return root == null ? Files.createTempDirectory(prefix)
                : Files.createTempDirectory(Files.createDirectories(root.resolve("tmp")), prefix);
    }

    /** The path of a file of a node's folder as the node sees it (inside the root, if any). */
    String nodePath(Path file) {
        return root == null ? file.toString() : "/" + root.relativize(file.toAbsolutePath());
    }

    /**
     * Hands a node's folder to the {@code rabbitmq} user that Debian's wrappers run the node as,
     * when this process runs as root: inside the root, its own user (its uid is not the machine's).
     */
    void handToRabbitmqUser(Path dir) {
        if (!Processes.isRoot()) {
            return;
        }
        if (root != null) {
            Processes.run(List.of("chroot", root.toString(), "chown", "-R", "rabbitmq:rabbitmq", nodePath(dir)), Map.of());
        } else if (Files.isDirectory(DEBIAN_SCRIPTS)) {
            Processes.run(List.of("chown", "-R", "rabbitmq:rabbitmq", dir.toString()), Map.of());
        }
    }

    /** The command that starts a node in the foreground. */
    List<String> serverCommand() {
        return root == null ? List.of(Processes.onPath("rabbitmq-server") ? "rabbitmq-server" : "/usr/sbin/rabbitmq-server")
                : inRoot("/usr/sbin/rabbitmq-server");
    }

    /** The environment a node and its CLI need beyond the node's own {@code RABBITMQ_*} settings. */
    Map<String, String> environment() {
        return root == null ? Map.of() : Map.of("ERL_EPMD_PORT", Integer.toString(ROOT_EPMD_PORT));
    }

    /**
     * Runs {@code rabbitmqctl} of this server against {@code node}; with a null node, the
     * installed CLI's default node, or {@value #ROOT_DEFAULT_NODE} in the root.
     */
    Ctl ctl(String node) {
        List<String> base = new ArrayList<>(root == null
                ? List.of(Processes.onPath("rabbitmqctl") ? "rabbitmqctl" : "/usr/sbin/rabbitmqctl")
                : inRoot("/usr/sbin/rabbitmqctl"));
        String target = node != null ? node : root != null ? ROOT_DEFAULT_NODE : null;
        if (target != null) {
            base.addAll(List.of("-n", target));
        }
        List<String> prefix = List.copyOf(base);
        Map<String, String> env = environment();
        return args -> {
            List<String> command = new ArrayList<>(prefix);
            command.addAll(args);
            return Processes.run(command, env);
        };
    }

    /** A command run inside the root; chroot passes the environment on. */
    private List<String> inRoot(String program) {
        return List.of("chroot", root.toString(), program);
    }

    /** {@code the installed rabbitmq-server} or {@code RabbitMQ 4.0 in <root>}. */
    @Override
    public String toString() {
        return root == null ? "the installed rabbitmq-server" : "RabbitMQ 4.0 in " + root;
    }
}
