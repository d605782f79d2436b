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

    /** A multiple confirm for Long.MAX_VALUE: the loop up to the tag overflowed and never ended. */
    @Test
    @Timeout(value = 5, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void multipleConfirmWithAHugeTagEndsAndTakesOnlyWhatIsThere() {
        ConfirmTable t = new ConfirmTable(64);
        for (long s = 1; s <= 10; s++) {
            t.put(s, message());
        }
        List<Confirmation> taken = new ArrayList<>();
        t.removeUpTo(Long.MAX_VALUE, taken::add);
        assertThat(taken).hasSize(10);
        assertThat(t.lowest()).isEqualTo(11);
    }

    /** A tag beyond the last one put must not push the table past the messages put later. */
    @Test
    void confirmBeyondTheLastMessagePutDoesNotStrandLaterOnes() {
        ConfirmTable t = new ConfirmTable(64);
        t.put(1, message());
        t.removeUpTo(100, c -> { });
        Confirmation two = message();
        Confirmation three = message();
        t.put(2, two);
        t.put(3, three);
        List<Confirmation> taken = new ArrayList<>();
        t.removeUpTo(3, taken::add);
        assertThat(taken).containsExactly(two, three);
        assertThat(t.removeOne(4)).isNull();
        assertThat(t.lowest()).isEqualTo(4);
    }

    /** A span wider than the ring: each slot is looked at once, every message up to the tag taken. */
    @Test
    void multipleConfirmWiderThanTheRingTakesEachMessageOnce() {
        ConfirmTable t = new ConfirmTable(64); // 128 slots
        for (long s = 1; s <= 1000; s++) {
            t.put(s, message());
        }
        List<Confirmation> taken = new ArrayList<>();
        t.removeUpTo(700, taken::add);
        assertThat(taken).hasSize(700).doesNotHaveDuplicates().allMatch(c -> c.seq <= 700);
        List<Confirmation> rest = new ArrayList<>();
        t.drain(rest::add);
        assertThat(rest).hasSize(300).allMatch(c -> c.seq > 700);
    }

    /** Out-of-order single confirms: once the oldest is confirmed, lowest moves past all settled ones. */
    @Test
    void outOfOrderSingleConfirmsDoNotLeaveLowestBehind() {
        ConfirmTable t = new ConfirmTable(2000);
        for (long s = 1; s <= 1000; s++) {
            t.put(s, message());
        }
        for (long s = 1000; s >= 2; s--) {
            t.removeOne(s);
        }
        assertThat(t.lowest()).isEqualTo(1);
        t.removeOne(1);
        assertThat(t.lowest()).isEqualTo(1001);
    }
}
