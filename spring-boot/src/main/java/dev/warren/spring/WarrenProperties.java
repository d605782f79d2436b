package dev.warren.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What is Warren's own in the configuration, under {@code warren.*}; where the broker is and who
 * connects come from the standard {@code spring.rabbitmq.*} keys ({@link RabbitConnectionProperties}).
 *
 * <pre>
 * warren.connection-name=orders-service
 * warren.publish-timeout=30s
 * warren.recovery.initial-backoff=100ms
 * warren.recovery.max-backoff=5s
 * warren.recovery.max-attempts=0
 * </pre>
 *
 * @param connectionName the connection's name, shown in the management UI and in Warren's logs
 *        and exceptions (null: Warren's default)
 * @param publishTimeout how long a robust publish may take at most, reconnects included (null:
 *        {@link dev.warren.RobustConnection#DEFAULT_PUBLISH_TIMEOUT})
 * @param recovery how the robust connection reconnects
 */
@ConfigurationProperties("warren")
public record WarrenProperties(String connectionName, Duration publishTimeout, @DefaultValue Recovery recovery) {

    /**
     * The reconnect backoff ({@link dev.warren.RecoveryPolicy#backoff}): exponential with jitter
     * from {@code initialBackoff} up to {@code maxBackoff}.
     *
     * @param initialBackoff the first delay (default 100 ms)
     * @param maxBackoff the longest delay (default 5 s)
     * @param maxAttempts consecutive failed attempts after which it gives up; 0 (the default) never gives up
     */
    public record Recovery(@DefaultValue("100ms") Duration initialBackoff, @DefaultValue("5s") Duration maxBackoff,
            @DefaultValue("0") int maxAttempts) {
    }
}
