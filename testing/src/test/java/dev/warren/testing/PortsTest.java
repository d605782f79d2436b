package dev.warren.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A port a node was given can be taken by someone else first: whose listener it is, is told apart. */
class PortsTest {
    @Test
    void aListenerIsTheProcessesThatHoldsItAndNoOneElses() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/tcp")), "no Linux /proc here, where only an open port counts");
        try (ServerSocket mine = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(Ports.listenedBy(mine.getLocalPort(), ProcessHandle.current())).isTrue();
            ProcessHandle other = ProcessHandle.of(1).orElseThrow();
            assertThat(Ports.listenedBy(mine.getLocalPort(), other)).isFalse();
        }
    }
}
