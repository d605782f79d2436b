package dev.warren.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.RabbitCluster;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The short soak CI runs: a 3-node cluster of private nodes, the node the connection is on killed and restarted. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SoakTest {
    @Test
    void noConfirmedMessageGoesMissingWhenTheNodeOfTheConnectionIsKilledAndRestarted() throws Exception {
        RabbitCluster cluster = RabbitCluster.shared(3);
        Soak.Report r = Soak.run(cluster, new Soak.Plan(10, 1, null, false, 300), System.out);
        System.out.println("PRINT " + r);
        assertThat(r.publisherFailures()).isEmpty();
        assertThat(r.missing()).as("confirmed but never consumed").isZero();
        assertThat(r.overdue()).as("publishes past their deadline").isZero();
        assertThat(r.recoveries()).as("the kill was a loss").isPositive();
        assertThat(r.consumerAlive()).isTrue();
        assertThat(r.confirmed()).isGreaterThanOrEqualTo(900);
    }
}
