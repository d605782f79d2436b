package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The table of unconfirmed messages, without a broker: every message is taken exactly once. */
@Timeout(10)
class ConfirmTableTest {

    private static Confirmation message() {
        return new Confirmation(null, "", "k", null, new byte[0], false, 0, null, null);
    }

    @Test
    void inOrderMultipleConfirmsTakeEachMessageOnce() {
        ConfirmTable t = new ConfirmTable(64);
        List<Confirmation> sent = new ArrayList<>();
        for (long s = 1; s <= 1000; s++) {
            Confirmation c = message();
            t.put(s, c);
            sent.add(c);
            if (s % 10 == 0) {
                List<Confirmation> taken = new ArrayList<>();
                t.removeUpTo(s, taken::add);
                assertThat(taken).containsExactlyElementsOf(sent.subList((int) s - 10, (int) s));
            }
        }
        assertThat(t.get(1000)).isNull();
    }

    @Test
    void messageWhoseSlotIsTakenGoesAsideAndIsStillFound() {
        ConfirmTable t = new ConfirmTable(64); // a ring of 128 slots
        Confirmation old = message();
        t.put(1, old);
        List<Confirmation> later = new ArrayList<>();
        for (long s = 2; s <= 300; s++) {
            Confirmation c = message();
            t.put(s, c);
            later.add(c);
        }
        // 129 and 257 share slot 1 with the unconfirmed message 1: they went to the side map.
        assertThat(t.get(129)).isSameAs(later.get(127));
        assertThat(t.get(257)).isSameAs(later.get(255));
        for (long s = 2; s <= 300; s++) {
            assertThat(t.removeOne(s)).as("seq %d", s).isSameAs(later.get((int) s - 2));
        }
        List<Confirmation> rest = new ArrayList<>();
        t.removeUpTo(300, rest::add);
        assertThat(rest).containsExactly(old);
    }

    /**
     * Far more in flight than the ring holds (a bound of a million): each multiple confirm must
     * cost what it takes out, not a scan of everything beyond the ring. Scanning, this took
     * minutes (300,000 in flight, a confirm per 10); it takes well under a second.
     */
    @Test
    @Timeout(30)
    void multipleConfirmsFarBeyondTheRingCostWhatTheyTakeOut() {
        ConfirmTable t = new ConfirmTable(1_000_000);
        int n = 300_000;
        for (long s = 1; s <= n; s++) {
            t.put(s, message());
        }
        int[] taken = {0};
        for (long tag = 10; tag <= n; tag += 10) {
            t.removeUpTo(tag, c -> taken[0]++);
        }
        assertThat(taken[0]).isEqualTo(n);
    }

    @Test
    void multipleConfirmSweepsTheSideMapToo() {
        ConfirmTable t = new ConfirmTable(64);
        t.put(1, message());
        List<Confirmation> all = new ArrayList<>();
        for (long s = 2; s <= 200; s++) {
            Confirmation c = message();
            t.put(s, c);
            all.add(c);
        }
        List<Confirmation> taken = new ArrayList<>();
        t.removeUpTo(200, taken::add);
        assertThat(taken).hasSize(200).containsAll(all);
        List<Confirmation> none = new ArrayList<>();
        t.drain(none::add);
        assertThat(none).isEmpty();
    }

    @Test
    void removingTheRightMessageOnlyAndDrainingTheRest() {
        ConfirmTable t = new ConfirmTable(64);
        Confirmation a = message();
        Confirmation b = message();
        t.put(5, a);
        assertThat(t.remove(5, b)).isFalse();
        assertThat(t.remove(5, a)).isTrue();
        assertThat(t.remove(5, a)).isFalse();
        t.put(6, b);
        List<Confirmation> drained = new ArrayList<>();
        t.drain(drained::add);
        assertThat(drained).containsExactly(b);
    }
}
