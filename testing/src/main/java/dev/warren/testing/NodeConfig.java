package dev.warren.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a {@link PrivateNode} is started with beyond the defaults: more {@code rabbitmq.conf}
 * lines (where {@code {dir}} stands for the node's folder), plugins to enable, files to put into
 * its folder before it is handed to the {@code rabbitmq} user (certificates and keys), and more
 * ports that must listen before the node counts as started (e.g. a TLS listener).
 *
 * @param confLines extra lines of rabbitmq.conf
 * @param plugins plugin names to enable
 * @param files file name in the node's folder to content
 * @param awaitPorts more ports on 127.0.0.1 to wait for
 */
record NodeConfig(List<String> confLines, List<String> plugins, Map<String, byte[]> files, List<Integer> awaitPorts) {
    static final NodeConfig DEFAULT = new NodeConfig(List.of(), List.of(), Map.of(), List.of());

    NodeConfig {
        confLines = List.copyOf(confLines);
        plugins = List.copyOf(plugins);
        files = Map.copyOf(files);
        awaitPorts = List.copyOf(awaitPorts);
    }

    /** The extra lines, with {@code {dir}} replaced by the node's folder as the node sees it. */
    String confLines(String dir) {
        return confLines.stream().map(l -> l.replace("{dir}", dir) + "\n").collect(Collectors.joining());
    }

    String enabledPlugins() {
        return "[" + String.join(",", plugins) + "].\n";
    }

    void writeFiles(Path dir) throws IOException {
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
        }
    }

    boolean portsListening() {
        return awaitPorts.stream().allMatch(p -> Ports.listening("127.0.0.1", p, 200));
    }
}
