package dev.warren.testing;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A running RabbitMQ for tests and demos, and the means to inject faults into it.
 *
 * <p>{@link #shared()} finds one once per JVM, trying in this order:
 * <ol>
 *   <li>the environment variable {@code AMQP_URI} (fault injection then runs the local
 *       {@code rabbitmqctl}, or the command in {@code WARREN_RABBITMQCTL}, split on spaces,
 *       for example {@code docker exec my-rabbit rabbitmqctl});</li>
 *   <li>a broker listening on localhost:5672 (guest/guest), administered with the local
 *       {@code rabbitmqctl} (not probed when RabbitMQ 4.0 is chosen: see below);</li>
 *   <li>a private node of the {@link RabbitServer#configured() configured} server, started in a
 *       temporary folder on free ports and stopped when the JVM exits;</li>
 *   <li>a Testcontainers {@code RabbitMQContainer} where Docker is available;</li>
 *   <li>otherwise {@link BrokerUnavailableException}, saying what to install or set.</li>
 * </ol>
 *
 * <p>With {@code -Dwarren.rabbitmq=4.0} (or {@code WARREN_RABBITMQ=4.0}) every node the kit
 * starts is a RabbitMQ 4.0 node of {@link RabbitServer#rabbitmq4()}, the {@code rabbitmqctl} for
 * {@code AMQP_URI} is the root's (addressing {@value RabbitServer#ROOT_DEFAULT_NODE}), and no
 * container is taken in its place: an explicit version is never silently another.
 *
 * <p>A broker found at {@code AMQP_URI} or on localhost may be someone else's: its admin refuses
 * faults that act on the whole broker. Tests that need those ask for {@link #privateNode()}.
 */
public final class RabbitBroker {
    /** The environment variable that names a broker to use. */
    public static final String AMQP_URI = "AMQP_URI";
    /** The environment variable that overrides the {@code rabbitmqctl} command. */
    public static final String RABBITMQCTL = "WARREN_RABBITMQCTL";
    /** The port probed on localhost. */
    public static final int DEFAULT_PORT = 5672;

    /** How a broker was found. */
    public enum Source {
        /** From the {@code AMQP_URI} environment variable. */
        ENVIRONMENT,
        /** Already listening on localhost. */
        LOCALHOST,
        /** A private node started by this JVM. */
        PRIVATE_NODE,
        /** A Testcontainers container started by this JVM. */
        CONTAINER
    }

    private static final ReentrantLock SHARED_LOCK = new ReentrantLock();
    private static RabbitBroker shared;
    private static final ReentrantLock PRIVATE_LOCK = new ReentrantLock();
    private static RabbitBroker privateNode;

    private final String uri;
    private final Source source;
    private final BrokerAdmin admin;
    private final String description;

    private RabbitBroker(String uri, Source source, Ctl ctl, String description) {
        this.uri = uri;
        this.source = source;
        this.admin = new BrokerAdmin(ctl, vhostOf(uri), ownedBy(source) ? null : description);
        this.description = description;
    }

    /** Whether this JVM started the broker, so that faults against the whole broker hurt nobody else. */
    private static boolean ownedBy(Source source) {
        return source == Source.PRIVATE_NODE || source == Source.CONTAINER;
    }

    /**
     * The broker of this JVM, found (or started) on first use and kept until the JVM exits.
     *
     * @return the broker of this JVM, found (or started) on first use and kept until the JVM exits
     * @throws BrokerUnavailableException when none can be found or started
     */
    public static RabbitBroker shared() {
        SHARED_LOCK.lock();
        try {
            if (shared == null) {
                shared = find(System.getenv(), DEFAULT_PORT, true);
            }
            return shared;
        } finally {
            SHARED_LOCK.unlock();
        }
    }

    /**
     * A broker that this JVM started itself, found (or started) on first use and shared by every
     * test of the JVM: the {@link #shared()} broker when that is one this JVM started, else a
     * private node of a locally installed {@code rabbitmq-server}, else a Testcontainers
     * container. Its {@link #admin()} may run the faults that act on the whole broker (memory
     * alarms, closing all connections, stopping the application), which the admin of a broker
     * found at {@code AMQP_URI} or on localhost refuses: someone else may be using that one.
     *
     * @return the broker of this JVM that takes every fault
     * @throws BrokerUnavailableException when neither {@code rabbitmq-server} nor Docker is there
     */
    public static RabbitBroker privateNode() {
        PRIVATE_LOCK.lock();
        try {
            if (privateNode == null) {
                RabbitBroker s = sharedIfFound();
                privateNode = s != null && ownedBy(s.source) ? s : startOwn(RabbitServer.configured(), true,
                        new ArrayList<>(List.of(
                        "tests that inject faults into the whole broker need one of their own")));
            }
            return privateNode;
        } finally {
            PRIVATE_LOCK.unlock();
        }
    }

    static RabbitBroker sharedIfFound() {
        SHARED_LOCK.lock();
        try {
            return shared;
        } finally {
            SHARED_LOCK.unlock();
        }
    }

    /**
     * Starts a private node, else a container; {@code tried} says why it came to that and goes
     * into the exception when neither can start.
     */
    private static RabbitBroker startOwn(RabbitServer server, boolean allowContainer, List<String> tried) {
        if (server.available()) {
            PrivateNode node = PrivateNode.start(server, NodeConfig.DEFAULT);
            return new RabbitBroker("amqp://guest:guest@localhost:" + node.amqpPort, Source.PRIVATE_NODE,
                    node.ctl(), "a private node " + node.nodeName + " of " + server + " on port " + node.amqpPort);
        }
        if (server.isRabbitmq4()) {
            // A container would be some other version: the choice of 4.0 was explicit.
            throw new BrokerUnavailableException("No RabbitMQ 4.0 found: " + String.join("; ", tried)
                    + "; and " + server + " cannot run here: " + server.howToInstall() + ".");
        }
        tried.add("no rabbitmq-server is installed");
        if (allowContainer && ContainerBroker.dockerAvailable()) {
            ContainerBroker c = ContainerBroker.start();
            return new RabbitBroker(c.uri(), Source.CONTAINER, c.ctl(),
                    "a container of " + ContainerBroker.IMAGE + " at " + c.uri());
        }
        tried.add(allowContainer ? "no Docker engine answers" : "containers were not allowed");
        throw new BrokerUnavailableException("No RabbitMQ found: " + String.join("; ", tried) + ".\n"
                + "Do one of these:\n"
                + "  - install RabbitMQ (Debian/Ubuntu: sudo apt-get install rabbitmq-server), and either start it"
                + " (sudo rabbitmq-server -detached) or let the tests start a private node;\n"
                + "  - start Docker, so the tests run " + ContainerBroker.IMAGE + " with Testcontainers;\n"
                + "  - set " + AMQP_URI + "=amqp://user:password@host:5672/vhost to a broker you run"
                + " (fault-injection tests also need " + RABBITMQCTL + ", e.g. 'docker exec rabbit rabbitmqctl').");
    }

    /**
     * Finds a broker as {@link #shared()} does, with the given environment and local port to
     * probe, and starts a new private node or container when it comes to that (the caller
     * owns it until the JVM exits).
     *
     * @param environment where to look for {@code AMQP_URI} and {@code WARREN_RABBITMQCTL}
     * @param localPort the port probed on localhost
     * @param allowContainer whether the Testcontainers path may be taken
     * @return the broker found or started
     * @throws BrokerUnavailableException when none can be found or started
     */
    public static RabbitBroker find(Map<String, String> environment, int localPort, boolean allowContainer) {
        Objects.requireNonNull(environment, "environment");
        RabbitServer server = RabbitServer.configured(environment);
        Ctl localCtl = localCtl(environment, server);
        String fromEnv = environment.get(AMQP_URI);
        if (fromEnv != null && !fromEnv.isBlank()) {
            // The URI is never shown (a message of URI.create's would quote it, password and all):
            // Warren's own redaction is in warren-core, which this module cannot depend on.
            String lower = fromEnv.strip().toLowerCase(java.util.Locale.ROOT);
            if (!lower.startsWith("amqp://") && !lower.startsWith("amqps://")) {
                throw new BrokerUnavailableException(AMQP_URI + " must be an amqp:// or amqps:// URI (not shown:"
                        + " it may hold a password)");
            }
            return new RabbitBroker(fromEnv.strip(), Source.ENVIRONMENT, localCtl,
                    "the broker named by " + AMQP_URI);
        }
        if (!server.isRabbitmq4() && Ports.listening("localhost", localPort, 1000)) {
            String uri = "amqp://guest:guest@localhost:" + localPort;
            return new RabbitBroker(uri, Source.LOCALHOST, localCtl,
                    "the broker listening on localhost:" + localPort);
        }
        return startOwn(server, allowContainer, new ArrayList<>(List.of(AMQP_URI + " is not set",
                server.isRabbitmq4() ? "RabbitMQ 4.0 was chosen (" + RabbitServer.PROPERTY + "), so localhost:"
                        + localPort + " is not probed" : "nothing listens on localhost:" + localPort)));
    }

    /**
     * The AMQP URI to connect to, credentials included.
     *
     * @return the AMQP URI to connect to, credentials included
     */
    public String uri() {
        return uri;
    }

    /**
     * How this broker was found.
     *
     * @return how this broker was found
     */
    public Source source() {
        return source;
    }

    /**
     * Fault injection against this broker.
     *
     * @return fault injection against this broker
     */
    public BrokerAdmin admin() {
        return admin;
    }

    /** A human-readable line saying which broker this is; never contains the password. */
    @Override
    public String toString() {
        return description;
    }

    private static Ctl localCtl(Map<String, String> environment, RabbitServer server) {
        String override = environment.get(RABBITMQCTL);
        if (override == null || override.isBlank()) {
            return server.ctl(null);
        }
        List<String> base = List.of(override.strip().split("\\s+"));
        return args -> {
            List<String> command = new ArrayList<>(base);
            command.addAll(args);
            return Processes.run(command, Map.of());
        };
    }

    private static String vhostOf(String uri) {
        String path = URI.create(uri).getRawPath();
        // As amqp-client reads it: no path is the default vhost "/", a lone "/" is the vhost "".
        if (path == null || path.isEmpty()) {
            return "/";
        }
        return URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8);
    }
}
