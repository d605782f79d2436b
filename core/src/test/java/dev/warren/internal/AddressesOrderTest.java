package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The order a recovery tries the addresses in: after the lost one, by its index, never resolving names. */
class AddressesOrderTest {
    private static final List<String> NODES = List.of("rabbit-1:5672", "rabbit-2:5672", "rabbit-3:5672");

    @Test
    void aRecoveryStartsAfterTheAddressAtTheLostIndexAndTriesItLast() {
        assertThat(Addresses.startingAfter(NODES, 0, false)).containsExactly("rabbit-2:5672", "rabbit-3:5672",
                "rabbit-1:5672");
        assertThat(Addresses.startingAfter(NODES, 2, false)).containsExactly("rabbit-1:5672", "rabbit-2:5672",
                "rabbit-3:5672");
    }

    @Test
    void shuffledTheOthersComeInAnyOrderAndTheLostOneLast() {
        for (int i = 0; i < 20; i++) {
            List<String> order = Addresses.startingAfter(NODES, 1, true);
            assertThat(order).hasSize(3).containsExactlyInAnyOrderElementsOf(NODES).last().isEqualTo("rabbit-2:5672");
        }
    }

    @Test
    void anUnknownIndexLeavesTheOrderAsConfigured() {
        assertThat(Addresses.startingAfter(NODES, -1, false)).isEqualTo(NODES);
    }
}
