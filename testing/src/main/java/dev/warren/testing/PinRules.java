package dev.warren.testing;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which pins fail a test: those whose {@linkplain Pin#site() site} is Warren's own code (a
 * monitor it enters, or the nearest frame to a pinned park), and those under an amqp-client
 * method that Warren calls on a hot path (publish, confirm, take, call, settle), whoever's
 * monitor it is. Both lists are prefixes of {@code class.method} and can be replaced through JUnit
 * configuration parameters (or system properties of the same name).
 */
record PinRules(List<String> hotSites, List<String> hotPaths) {
    /** Configuration parameter: prefixes of the pin sites that fail a test. */
    static final String HOT_SITES = "warren.pinning.hot-sites";
    /** Configuration parameter: prefixes of frames anywhere in the stack that fail a test. */
    static final String HOT_PATHS = "warren.pinning.hot-paths";

    static final String DEFAULT_HOT_SITES = "dev.warren.";
    /** basicPublish carries publishes, calls and replies; the other three settle deliveries. */
    static final String DEFAULT_HOT_PATHS = "com.rabbitmq.client.impl.ChannelN.basicPublish,"
            + "com.rabbitmq.client.impl.ChannelN.basicAck,"
            + "com.rabbitmq.client.impl.ChannelN.basicNack,"
            + "com.rabbitmq.client.impl.ChannelN.basicReject";

    /** The rules as configured, given a lookup of configuration parameters. */
    static PinRules from(Function<String, Optional<String>> parameter) {
        return new PinRules(split(parameter.apply(HOT_SITES).orElse(DEFAULT_HOT_SITES)),
                split(parameter.apply(HOT_PATHS).orElse(DEFAULT_HOT_PATHS)));
    }

    /**
     * Whether the pin fails its test. Waiting while another thread loads a class or runs its
     * initializer is counted but never fails: it happens once per class and JVM, on no path of
     * its own. (A park inside an initializer is a pin of the initializer's own, and does fail.)
     */
    boolean hot(Pin pin) {
        if (pin.kind().equals(Pin.CLASS_INIT_WAIT)) {
            return false;
        }
        String site = pin.site();
        return hotSites.stream().anyMatch(site::startsWith)
                || pin.frames().stream().anyMatch(f -> hotPaths.stream().anyMatch(f::startsWith));
    }

    private static List<String> split(String list) {
        return Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
