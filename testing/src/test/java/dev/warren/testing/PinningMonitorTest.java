package dev.warren.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The pinning check can fail: deliberate pins in a fixture class, run here through the JUnit
 * Platform with the check switched on, fail it and name the test and the frame that pinned.
 */
@Timeout(60)
class PinningMonitorTest {
    /** How long each deliberate pin parks. */
    static final Duration PIN = Duration.ofMillis(20);
    private static final String FIXTURE = "warren.pinning.fixture";

    /** What a fixture run failed with, and how many pins came through during it. */
    private record Outcome(List<Throwable> failures, long pins) {}

    @Test
    void aSynchronizedSleepInAVirtualThreadFailsItsTest() throws Exception {
        assumeTrue(Runtime.version().feature() < 24, "from Java 24 a monitor no longer pins (JEP 491)");
        List<Throwable> failures = run("synchronizedSleep", Map.of()).failures();
        assertThat(failures).singleElement().satisfies(e -> assertThat(e).isInstanceOf(AssertionError.class)
                .hasMessageContaining("pinned their carrier")
                .hasMessageContaining("synchronizedSleep()")
                .hasMessageContaining("pinned (parked) at " + PinningMonitorTest.class.getName() + ".park")
                .hasMessageContaining("at " + DeliberatePin.class.getName() + ".lambda$synchronizedSleep"));
    }

    @Test
    void aVirtualThreadBlockedEnteringAMonitorFailsItsTest() throws Exception {
        assumeTrue(Runtime.version().feature() < 24, "from Java 24 a virtual thread blocked on a monitor unmounts");
        List<Throwable> failures = run("blockedOnAMonitor", Map.of()).failures();
        assertThat(failures).singleElement().satisfies(e -> assertThat(e).isInstanceOf(AssertionError.class)
                .hasMessageContaining("blockedOnAMonitor()")
                .hasMessageContaining("pinned (entering a monitor of java.lang.Object) at "
                        + DeliberatePin.class.getName() + ".lambda$blockedOnAMonitor"));
    }

    @Test
    void aClassInitializerThatSleepsInAVirtualThreadFailsItsTest() throws Exception {
        // A class initializer pins on every Java version, so this runs on 25 as well.
        List<Throwable> failures = run("slowClassInitializer", Map.of()).failures();
        assertThat(failures).singleElement().satisfies(e -> assertThat(e).isInstanceOf(AssertionError.class)
                .hasMessageContaining("slowClassInitializer()")
                .hasMessageContaining("at " + SlowInit.class.getName() + ".<clinit>"));
    }

    @Test
    void aPinOutsideTheConfiguredHotFramesIsCountedButPasses() throws Exception {
        Outcome outcome = run("anotherSlowClassInitializer",
                Map.of(PinRules.HOT_SITES, "com.example.", PinRules.HOT_PATHS, "com.example.Nothing.never"));
        assertThat(outcome.failures()).isEmpty();
        assertThat(outcome.pins()).isEqualTo(1);
    }

    @Test
    void waitingForAnotherThreadsClassInitializerIsCountedButNeverHot() {
        // Seen when 100 virtual threads first use a class at once: HotSpot's init lock (an int[]).
        List<String> frames = List.of("dev.warren.internal.SubscriptionImpl.iterator", "java.lang.VirtualThread.run");
        PinRules rules = PinRules.from(name -> java.util.Optional.empty());
        Instant now = Instant.now();
        assertThat(rules.hot(new Pin(now, Duration.ZERO, Pin.CLASS_INIT_WAIT, frames))).isFalse();
        assertThat(rules.hot(new Pin(now, Duration.ZERO, "entering a monitor of java.lang.Object", frames))).isTrue();
        assertThat(rules.hot(new Pin(now, Duration.ZERO, "parked", frames))).isTrue();
    }

    /** Runs one fixture method with the check on; returns what failed (tests or the class). */
    private static Outcome run(String method, Map<String, String> parameters) {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        long pins;
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(DeliberatePin.class, method))
                .configurationParameter(PinningMonitor.CHECK, "true")
                .configurationParameter(FIXTURE, "true")
                .configurationParameters(parameters)
                .build();
        try {
            LauncherFactory.create(LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build())
                    .execute(request, new TestExecutionListener() {
                        @Override
                        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                            result.getThrowable().ifPresent(failures::add);
                        }
                    });
        } finally {
            // Made on purpose: they are not pins of this run.
            pins = Pins.get().forget(p -> p.frames().stream().anyMatch(f -> f.startsWith(PinningMonitorTest.class.getName())));
        }
        return new Outcome(failures, pins);
    }

    /** Run by {@link #run} only: skipped when Surefire or an IDE picks it up. */
    @ExtendWith({PinningMonitor.class, OnlyFromRun.class})
    static class DeliberatePin {
        @Test
        void synchronizedSleep() throws Exception {
            Object monitor = new Object();
            Thread.ofVirtual().start(() -> {
                synchronized (monitor) {
                    park();
                }
            }).join();
        }

        @Test
        void blockedOnAMonitor() throws Exception {
            Object monitor = new Object();
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            // Held by a platform thread, which JFR's pins leave out; the virtual thread blocks on it.
            Thread holder = Thread.ofPlatform().start(() -> {
                synchronized (monitor) {
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            held.await();
            Thread blocked = Thread.ofVirtual().start(() -> {
                synchronized (monitor) {
                    monitor.hashCode();
                }
            });
            while (blocked.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait();
            }
            release.countDown();
            holder.join();
            blocked.join();
        }

        @Test
        void slowClassInitializer() throws Exception {
            Thread.ofVirtual().start(SlowInit::touch).join();
        }

        @Test
        void anotherSlowClassInitializer() throws Exception {
            Thread.ofVirtual().start(OtherSlowInit::touch).join();
        }
    }

    /** Lets the fixture run only when {@link #run} asks for it. */
    static final class OnlyFromRun implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getConfigurationParameter(FIXTURE).isPresent()
                    ? ConditionEvaluationResult.enabled("run by PinningMonitorTest")
                    : ConditionEvaluationResult.disabled("a fixture of PinningMonitorTest, which runs it");
        }
    }

    /** The pin itself: a park (a short sleep) where the virtual thread cannot unmount. */
    static void park() {
        try {
            Thread.sleep(PIN);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Parks (sleeps) in its class initializer, which pins a virtual thread. */
    static final class SlowInit {
        static {
            park();
        }

        static void touch() {}
    }

    static final class OtherSlowInit {
        static {
            park();
        }

        static void touch() {}
    }

}
