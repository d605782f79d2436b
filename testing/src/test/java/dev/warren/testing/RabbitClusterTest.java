package dev.warren.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RabbitClusterTest {
    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void threeNodesJoinAndAKilledNodeComesBackIntoTheCluster() {
        RabbitCluster cluster = RabbitCluster.shared(3);
        assertThat(cluster.addresses()).hasSize(3).doesNotHaveDuplicates();
        String status = cluster.node(0).admin().rabbitmqctl("cluster_status", "--formatter", "json");
        for (RabbitCluster.Node n : cluster.nodes()) {
            assertThat(status).contains(n.name());
        }

        RabbitCluster.Node victim = cluster.node(2);
        long pid = victim.pid().orElseThrow();
        victim.kill();
        assertThat(ProcessHandle.of(pid)).isEmpty();
        assertThat(victim.isRunning()).isFalse();
        assertThat(Ports.listening("127.0.0.1", victim.port(), 200)).isFalse();

        victim.start();
        assertThat(victim.isRunning()).isTrue();
        String running = cluster.node(0).admin().rabbitmqctl("eval", "rabbit_nodes:all_running().");
        assertThat(running).contains(victim.name());
    }
}
