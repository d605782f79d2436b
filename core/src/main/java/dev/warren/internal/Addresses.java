package dev.warren.internal;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import dev.warren.ConnectFailedException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * The addresses one connection attempt tries in turn (cluster nodes, see
 * {@code ConnectionOptions.withAddresses}), and the failure that names each one tried.
 */
public final class Addresses {
    private Addresses() {}

    /** One address, parsed. */
    record Address(String host, int port) {
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** What a connection attempt does with a factory already pointed at one address. */
    @FunctionalInterface
    interface Attempt {
        Connection open(ConnectionFactory f) throws IOException, TimeoutException;
    }

    /** Why an attempt at {@code host} failed, in words. */
    @FunctionalInterface
    interface Reason {
        String of(Exception failure, String host);
    }

    /**
     * Checks each {@code host:port}; returns them as an immutable list.
     *
     * @throws IllegalArgumentException naming the first malformed one
     */
    public static List<String> check(List<String> hostPorts) {
        for (String a : hostPorts) {
            parse(Objects.requireNonNull(a, "address"));
        }
        return List.copyOf(hostPorts);
    }

    static Address parse(String hostPort) {
        String s = hostPort.strip();
        int colon = s.lastIndexOf(':');
        String host = colon > 0 ? s.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (host.isEmpty() || port < 1 || port > 65535 || (host.indexOf(':') >= 0 && !s.startsWith("["))) {
            throw new IllegalArgumentException("not host:port: '" + hostPort + "'");
        }
        return new Address(host, port);
    }

    /**
     * Opens a connection at the first of {@code hostPorts} that accepts (the factory's own host
     * and port when the list is empty).
     *
     * @throws ConnectFailedException naming every address tried and why it failed
     */
    static Connection connect(ConnectionFactory f, List<String> hostPorts, Attempt attempt, Reason reason,
            java.util.function.IntConsumer connectedTo) {
        List<Address> addresses = hostPorts.isEmpty() ? List.of(new Address(f.getHost(), f.getPort()))
                : hostPorts.stream().map(Addresses::parse).toList();
        String vhost = f.getVirtualHost();
        if (addresses.size() == 1) {
            Address a = addresses.get(0);
            try {
                Connection c = open(f, a, attempt);
                connectedTo.accept(0);
                return c;
            } catch (IOException | TimeoutException | ShutdownSignalException e) {
                throw new ConnectFailedException(a.host(), a.port(), vhost, reason.of(e, a.host()), e);
            }
        }
        List<String> tried = new ArrayList<>();
        List<Exception> failures = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            Address a = addresses.get(i);
            try {
                Connection c = open(f, a, attempt);
                connectedTo.accept(i);
                return c;
            } catch (IOException | TimeoutException | ShutdownSignalException e) {
                tried.add(a + ": " + reason.of(e, a.host()));
                failures.add(e);
            }
        }
        Address last = addresses.get(addresses.size() - 1);
        ConnectFailedException e = new ConnectFailedException(last.host(), last.port(), vhost, tried,
                failures.get(failures.size() - 1));
        failures.subList(0, failures.size() - 1).forEach(e::addSuppressed);
        throw e;
    }

    private static Connection open(ConnectionFactory f, Address a, Attempt attempt)
            throws IOException, TimeoutException {
        f.setHost(a.host());
        f.setPort(a.port());
        return attempt.open(f);
    }

    /** {@code host:port}, with an IPv6 host in brackets. */
    public static String format(String host, int port) {
        return new Address(host, port).toString();
    }

    /**
     * The addresses in turn starting after the one at index {@code lost} (the one a connection
     * was lost on), which comes last, so that a recovery tries the other nodes first; the others
     * in random order when {@code shuffle}. As they are when {@code lost} is not an index of them.
     */
    public static List<String> startingAfter(List<String> hostPorts, int lost, boolean shuffle) {
        if (lost < 0 || lost >= hostPorts.size()) {
            return hostPorts;
        }
        List<String> others = new ArrayList<>(hostPorts.subList(lost + 1, hostPorts.size()));
        others.addAll(hostPorts.subList(0, lost));
        if (shuffle) {
            java.util.Collections.shuffle(others);
        }
        others.add(hostPorts.get(lost));
        return others;
    }
}
