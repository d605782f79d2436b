package dev.warren.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fault injection for tests: each method runs {@code rabbitmqctl} against the broker that
 * {@link RabbitBroker} found (inside the container when it is one) and returns when the broker
 * has done it. Each call costs one to three seconds, so tests use them sparingly.
 *
 * <p>Every method throws {@link AdminException} when the command fails, for example because
 * {@code rabbitmqctl} is not installed or may not reach the node (it must run as root or as
 * the {@code rabbitmq} user on Debian). Not thread-safe against itself for the memory alarm
 * (raise and clear are meant to bracket one test).
 *
 * <p>Faults that act on the whole broker (memory alarms, closing all connections,
 * {@code stop_app}) run only against a broker this JVM started ({@link RabbitBroker#privateNode()});
 * elsewhere they throw {@link AdminException} before anything is sent.
 */
public final class BrokerAdmin {
    private static final Pattern CONNECTION_NAME =
            Pattern.compile("\\{\"connection_name\",\"((?:[^\"\\\\]|\\\\.)*)\"}");
    private static final String DEFAULT_WATERMARK = "0.4";

    /** rabbitmqctl commands that act on the whole broker, and so on everyone who uses it. */
    private static final List<String> BROKER_WIDE = List.of("set_vm_memory_high_watermark",
            "set_disk_free_limit", "close_all_connections", "stop_app", "start_app", "stop", "shutdown",
            "reset", "force_reset", "forget_cluster_node", "join_cluster", "update_cluster_nodes");

    private final Ctl ctl;
    private final String vhost;
    /** Null when this JVM started the broker; else the broker's description, for the refusal. */
    private final String foundBroker;
    private volatile String savedWatermark;

    BrokerAdmin(Ctl ctl, String vhost, String foundBroker) {
        this.ctl = ctl;
        this.vhost = vhost;
        this.foundBroker = foundBroker;
    }

    /**
     * Whether this admin may run faults that act on the whole broker (memory alarms, closing all
     * connections, stopping the application): only for a broker this JVM started
     * ({@link RabbitBroker#privateNode()}).
     *
     * @return true for a broker this JVM started, false for one it found
     */
    public boolean mayActOnTheWholeBroker() {
        return foundBroker == null;
    }

    /**
     * The virtual host that the vhost-scoped operations act on.
     *
     * @return the virtual host that the vhost-scoped operations act on
     */
    public String vhost() {
        return vhost;
    }

    /**
     * Creates a user with a password and sets its permissions on this vhost. The patterns are
     * regular expressions over resource names; an empty string allows nothing, {@code ".*"}
     * everything.
     *
     * @param user the user name
     * @param password the password
     * @param configure the configure permission regex
     * @param write the write permission regex
     * @param read the read permission regex
     */
    public void addUser(String user, String password, String configure, String write, String read) {
        runWithSecret(List.of("add_user", requireName(user, "user"), Objects.requireNonNull(password, "password")),
                password);
        ctl.run(List.of("set_permissions", "-p", vhost, user,
                Objects.requireNonNull(configure, "configure"),
                Objects.requireNonNull(write, "write"),
                Objects.requireNonNull(read, "read")));
    }

    /**
     * Gives a user a new password (open connections stay open).
     *
     * @param user the name of an existing user
     * @param password the new password; a failure's message shows *** in its place
     */
    public void changePassword(String user, String password) {
        runWithSecret(List.of("change_password", requireName(user, "user"), Objects.requireNonNull(password,
                "password")), password);
    }

    /** Runs a command that holds a secret; a failure's message shows *** in its place. */
    private void runWithSecret(List<String> args, String secret) {
        try {
            ctl.run(args);
        } catch (AdminException e) {
            throw new AdminException(String.valueOf(e.getMessage()).replace(secret, "***"));
        }
    }

    /**
     * Deletes a user; its open connections are closed by the broker.
     *
     * @param user the user name
     */
    public void deleteUser(String user) {
        ctl.run(List.of("delete_user", requireName(user, "user")));
    }

    /**
     * The client-provided names of all open connections (those that gave one).
     *
     * @return the client-provided names of all open connections (those that gave one)
     */
    public List<String> connectionNames() {
        return connections().stream().map(ConnectionRef::name).toList();
    }

    /**
     * Closes every connection whose client-provided name is {@code name}, with the given reason
     * (the client sees 320 CONNECTION_FORCED and this text).
     *
     * @return how many were closed
     * @param name the client-provided connection name
     * @param reason the reason the broker gives
     */
    public int closeConnection(String name, String reason) {
        requireName(name, "name");
        int closed = 0;
        for (ConnectionRef c : connections()) {
            if (c.name().equals(name)) {
                ctl.run(List.of("close_connection", c.pid(), reason));
                closed++;
            }
        }
        return closed;
    }

    /**
     * Closes every connection to this vhost (320 CONNECTION_FORCED, with the reason).
     *
     * @param reason the reason the broker gives
     * @throws AdminException on a broker this JVM did not start (see {@link #mayActOnTheWholeBroker()})
     */
    public void closeAllConnections(String reason) {
        wholeBroker(List.of("close_all_connections", "-p", vhost, reason));
    }

    /**
     * Raises a memory alarm ({@code set_vm_memory_high_watermark 0}): the broker blocks every
     * connection that publishes. Remember to {@link #clearMemoryAlarm()}.
     *
     * @throws AdminException on a broker this JVM did not start (see {@link #mayActOnTheWholeBroker()})
     */
    public void raiseMemoryAlarm() {
        refuseUnlessOwned("set_vm_memory_high_watermark");
        if (savedWatermark == null) {
            savedWatermark = currentWatermark();
        }
        wholeBroker(List.of("set_vm_memory_high_watermark", "0"));
    }

    /**
     * Restores the watermark that was in force before {@link #raiseMemoryAlarm()}.
     *
     * @throws AdminException on a broker this JVM did not start (see {@link #mayActOnTheWholeBroker()})
     */
    public void clearMemoryAlarm() {
        String w = savedWatermark != null ? savedWatermark : DEFAULT_WATERMARK;
        wholeBroker(List.of("set_vm_memory_high_watermark", w));
        savedWatermark = null;
    }

    /**
     * Stops the RabbitMQ application on the node ({@code stop_app}): every connection is closed
     * and nothing listens until {@link #startApp()}.
     *
     * @throws AdminException on a broker this JVM did not start (see {@link #mayActOnTheWholeBroker()})
     */
    public void stopApp() {
        wholeBroker(List.of("stop_app"));
    }

    /**
     * Starts the RabbitMQ application again after {@link #stopApp()} ({@code start_app}).
     *
     * @throws AdminException on a broker this JVM did not start (see {@link #mayActOnTheWholeBroker()})
     */
    public void startApp() {
        wholeBroker(List.of("start_app"));
    }

    /**
     * Deletes a queue of this vhost (its consumers get a basic.cancel).
     *
     * @param queue the queue's name
     */
    public void deleteQueue(String queue) {
        ctl.run(List.of("delete_queue", "-p", vhost, requireName(queue, "queue")));
    }

    /**
     * Runs any other {@code rabbitmqctl} command and returns its output.
     *
     * @param args its arguments, e.g. {@code list_queues}
     * @return what it printed
     * @throws AdminException when the command fails, or when it acts on the whole broker (such as
     *     {@code stop_app} or {@code set_vm_memory_high_watermark}) and this JVM did not start it
     */
    public String rabbitmqctl(String... args) {
        List<String> command = List.of(args);
        return !command.isEmpty() && BROKER_WIDE.contains(command.getFirst()) ? wholeBroker(command) : ctl.run(command);
    }

    private String wholeBroker(List<String> command) {
        refuseUnlessOwned(command.getFirst());
        return ctl.run(command);
    }

    private void refuseUnlessOwned(String command) {
        if (foundBroker != null) {
            throw new AdminException("refusing " + command + " on " + foundBroker + ": this JVM did not start that"
                    + " broker, and others may be using it; run faults that act on the whole broker against"
                    + " RabbitBroker.privateNode()");
        }
    }

    private String currentWatermark() {
        try {
            String out = ctl.run(List.of("eval", "vm_memory_monitor:get_vm_memory_high_watermark()."))
                    .strip();
            // 0 is an alarm raised by someone else sharing the broker: not a watermark to go back to.
            return Double.parseDouble(out) > 0 ? out : DEFAULT_WATERMARK;
        } catch (RuntimeException e) {
            // Relative watermarks are what a default node has; an absolute one reads as a tuple.
            return DEFAULT_WATERMARK;
        }
    }

    private record ConnectionRef(String pid, String name) {}

    private List<ConnectionRef> connections() {
        String out = ctl.run(List.of("list_connections", "-q", "--no-table-headers", "-p", vhost,
                "pid", "client_properties"));
        List<ConnectionRef> refs = new ArrayList<>();
        for (String line : out.split("\n")) {
            int tab = line.indexOf('\t');
            if (tab < 0) {
                continue;
            }
            Matcher m = CONNECTION_NAME.matcher(line);
            if (m.find()) {
                String name = m.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
                refs.add(new ConnectionRef(line.substring(0, tab).strip(), name));
            }
        }
        return refs;
    }

    private static String requireName(String s, String what) {
        Objects.requireNonNull(s, what);
        if (s.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        return s;
    }
}
