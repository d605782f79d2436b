package dev.warren.demo;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Name;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pin counter's recording must not turn on Warren's own events, or Bench would measure them. */
@Timeout(30)
class PinCounterTest {

    /** Stands in for Warren's publish event: same name, so the same settings apply. */
    @Name("dev.warren.Publish")
    static final class PublishLike extends Event {
    }

    @Test
    void countingPinsLeavesWarrensEventsOff() {
        try (PinCounter counter = PinCounter.start()) {
            assertThat(EventType.getEventType(PublishLike.class).isEnabled()).isFalse();
            assertThat(PinCounter.WARREN_EVENTS).contains("dev.warren.Publish", "dev.warren.Call", "dev.warren.Take");
        }
    }
}
