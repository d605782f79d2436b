package dev.warren.testing;

import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.rabbitmq.RabbitMQContainer;

/**
 * A RabbitMQ in a Testcontainers container. Kept in its own class so that Testcontainers is
 * loaded only when this path is taken.
 */
final class ContainerBroker {
    static final String IMAGE = "rabbitmq:3.13-alpine";

    final RabbitMQContainer container;

    private ContainerBroker(RabbitMQContainer container) {
        this.container = container;
    }

    /** Whether a Docker engine answers; never throws. */
    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    /** Starts a container; Testcontainers' Ryuk removes it when the JVM exits. */
    static ContainerBroker start() {
        RabbitMQContainer c = new RabbitMQContainer(IMAGE);
        c.start();
        return new ContainerBroker(c);
    }

    String uri() {
        return container.getAmqpUrl();
    }

    /** Runs {@code rabbitmqctl} inside the container. */
    Ctl ctl() {
        return args -> {
            List<String> command = new ArrayList<>();
            command.add("rabbitmqctl");
            command.addAll(args);
            try {
                ExecResult r = container.execInContainer(command.toArray(String[]::new));
                if (r.getExitCode() != 0) {
                    throw new AdminException(String.join(" ", command) + " exited with " + r.getExitCode()
                            + ": " + (r.getStdout() + r.getStderr()).strip());
                }
                return r.getStdout();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdminException("interrupted while running " + command, e);
            } catch (java.io.IOException e) {
                throw new AdminException("cannot run " + command + " in the container: " + e.getMessage(), e);
            }
        };
    }
}
