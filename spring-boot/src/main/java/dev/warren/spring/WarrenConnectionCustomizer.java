package dev.warren.spring;

import dev.warren.ConnectionOptions;

/**
 * Changes the {@link ConnectionOptions} made from the properties before the auto-configured
 * robust connection opens, for what the properties do not cover (credentials providers, client
 * properties, a TLS context of the application's own). Beans of this type are applied in their
 * {@link org.springframework.core.annotation.Order order}.
 */
@FunctionalInterface
public interface WarrenConnectionCustomizer {

    /**
     * Returns the options to use, typically {@code options.withX(...)}.
     *
     * @param options the options so far
     * @return the options to use (not null)
     */
    ConnectionOptions customize(ConnectionOptions options);
}
