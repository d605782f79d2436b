package dev.warren.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Port probing and allocation on the loopback interface. */
final class Ports {
    private Ports() {}

    static boolean listening(String host, int port, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether {@code process} itself holds the listening TCP socket on {@code port}, as Linux's
     * /proc tells (a free port picked for a node can be taken by another process before the node
     * binds it); true where /proc cannot tell, so that only the port's being open counts there.
     */
    static boolean listenedBy(int port, ProcessHandle process) {
        Path net = Path.of("/proc/net/tcp");
        Path fds = Path.of("/proc", Long.toString(process.pid()), "fd");
        if (!Files.isReadable(net) || !Files.isDirectory(fds)) {
            return true;
        }
        try {
            Set<String> listening = new HashSet<>();
            String hexPort = String.format(Locale.ROOT, ":%04X", port);
            for (Path table : List.of(net, Path.of("/proc/net/tcp6"))) {
                if (!Files.isReadable(table)) {
                    continue;
                }
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.strip().split("\\s+");
                    // local_address is f[1], the state f[3] (0A: LISTEN), the socket's inode f[9].
                    if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                        listening.add("socket:[" + f[9] + "]");
                    }
                }
            }
            try (Stream<Path> open = Files.list(fds)) {
                return open.anyMatch(fd -> {
                    try {
                        return listening.contains(Files.readSymbolicLink(fd).toString());
                    } catch (IOException e) {
                        return false;
                    }
                });
            }
        } catch (IOException | UncheckedIOException e) {
            return true;
        }
    }

    static int free() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on this machine", e);
        }
    }
}
