package dev.warren.spring;

import dev.warren.DrainReport;
import dev.warren.RobustConnection;
import dev.warren.Supervised;
import dev.warren.Work;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the application's {@link Work} beans as supervised works of the robust connection once
 * every singleton of the context has been made (at the end of its refresh), and drains the
 * connection on shutdown with {@link RobustConnection#close(Duration)}, within the context's
 * {@code spring.lifecycle.timeout-per-shutdown-phase} (90 % of it, so that the close is done
 * before the lifecycle processor stops waiting).
 *
 * <p>Its phase is below the web server's graceful shutdown, so on shutdown the web server stops
 * taking requests (and finishes those that may publish) before the connection drains.
 */
public final class WarrenLifecycle implements SmartLifecycle {
    /** Below the web server's graceful shutdown (DEFAULT_PHASE - 1024) and its start/stop (- 2048). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;
    private static final Logger LOG = LoggerFactory.getLogger(WarrenLifecycle.class);

    private final RobustConnection connection;
    private final List<Work> works;
    private final Duration grace;
    private final List<Supervised> started = new ArrayList<>();
    private volatile boolean running;
    private volatile DrainReport lastDrain;

    /**
     * A lifecycle for {@code connection}.
     *
     * @param connection the robust connection to supervise the works on and to drain
     * @param works the works to start, in order
     * @param timeoutPerShutdownPhase the context's {@code spring.lifecycle.timeout-per-shutdown-phase}
     */
    public WarrenLifecycle(RobustConnection connection, List<Work> works, Duration timeoutPerShutdownPhase) {
        this.connection = connection;
        this.works = List.copyOf(works);
        this.grace = timeoutPerShutdownPhase.minus(timeoutPerShutdownPhase.dividedBy(10));
    }

    /** Supervises every work bean on the robust connection. */
    @Override
    public void start() {
        for (Work w : works) {
            started.add(connection.supervise(w));
        }
        running = true;
        if (!works.isEmpty()) {
            LOG.info("warren: {} supervised work(s) started on '{}'", works.size(), connection.name());
        }
    }

    /** Drains the robust connection ({@link RobustConnection#close(Duration)}) within the grace, then closes it. */
    @Override
    public void stop() {
        running = false;
        lastDrain = connection.close(grace);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * The grace given to {@link RobustConnection#close(Duration)} on shutdown.
     *
     * @return the grace of the drain on shutdown
     */
    public Duration grace() {
        return grace;
    }

    /**
     * The works started, in order.
     *
     * @return the supervised works this lifecycle started
     */
    public List<Supervised> supervised() {
        return List.copyOf(started);
    }

    /**
     * What the shutdown's drain did, once it ran.
     *
     * @return the report of the drain on shutdown, or null before it
     */
    public DrainReport lastDrain() {
        return lastDrain;
    }
}
