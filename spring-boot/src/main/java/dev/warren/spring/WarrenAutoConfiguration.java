package dev.warren.spring;

import dev.warren.ConnectionOptions;
import dev.warren.RobustConnection;
import dev.warren.Warren;
import dev.warren.WarrenObserver;
import dev.warren.Work;
import dev.warren.micrometer.WarrenMetrics;
import dev.warren.opentelemetry.WarrenTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;

/**
 * Warren's auto-configuration for Spring Boot 4.0: a {@link RobustConnection} from the
 * {@code spring.rabbitmq.*} and {@code warren.*} properties (unless the application defines its
 * own), {@link WarrenMetrics} when a Micrometer {@code MeterRegistry} is there,
 * {@link WarrenTracing} when an {@code OpenTelemetry} bean is there, a health indicator
 * ({@code warren}) when Boot's health module is there, and the {@link WarrenLifecycle} that
 * starts the {@link Work} beans and drains the connection on shutdown.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration"})
@ConditionalOnClass(RobustConnection.class)
@EnableConfigurationProperties({RabbitConnectionProperties.class, WarrenProperties.class})
public class WarrenAutoConfiguration {
    /** Spring's own default for {@code spring.lifecycle.timeout-per-shutdown-phase}. */
    static final Duration DEFAULT_SHUTDOWN_PHASE = Duration.ofSeconds(30);

    /** Made by Spring. */
    public WarrenAutoConfiguration() {
    }

    /**
     * The options the robust connection is opened with: the properties, then every
     * {@link WarrenConnectionCustomizer}, with the observers (metrics, traces, the application's
     * own {@link WarrenObserver} beans) combined.
     *
     * @param rabbit the {@code spring.rabbitmq.*} properties
     * @param warren the {@code warren.*} properties
     * @param bundles the SSL bundles, if any
     * @param resources where key and trust stores are loaded from
     * @param observers the observer beans
     * @param customizers the customizer beans
     * @return the options
     */
    @Bean
    @ConditionalOnMissingBean
    public ConnectionOptions warrenConnectionOptions(RabbitConnectionProperties rabbit, WarrenProperties warren,
            ObjectProvider<SslBundles> bundles, ResourceLoader resources, ObjectProvider<WarrenObserver> observers,
            ObjectProvider<WarrenConnectionCustomizer> customizers) {
        ConnectionOptions o = BootOptions.from(rabbit, warren, bundles.getIfAvailable(), resources);
        List<WarrenObserver> all = observers.orderedStream().toList();
        WarrenObserver observer = all.isEmpty() ? null : WarrenObserver.combine(all.toArray(WarrenObserver[]::new));
        if (observer != null) {
            o = o.withObserver(observer);
        }
        for (WarrenConnectionCustomizer c : customizers.orderedStream().toList()) {
            o = c.customize(o);
        }
        return o;
    }

    /**
     * The robust connection, opened when the context starts (a wrong address or password fails
     * the start) and closed with the context.
     *
     * @param options the options
     * @return the robust connection
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public RobustConnection robustConnection(ConnectionOptions options) {
        return Warren.connectRobust(options);
    }

    /**
     * Starts the {@link Work} beans once the context is refreshed and drains the connection on shutdown.
     *
     * @param connection the robust connection
     * @param works the work beans
     * @param environment where {@code spring.lifecycle.timeout-per-shutdown-phase} is read
     * @return the lifecycle
     */
    @Bean
    @ConditionalOnMissingBean
    public WarrenLifecycle warrenLifecycle(RobustConnection connection, ObjectProvider<Work> works,
            Environment environment) {
        Duration phase = Binder.get(environment).bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
                .orElse(DEFAULT_SHUTDOWN_PHASE);
        return new WarrenLifecycle(connection, works.orderedStream().toList(), phase);
    }

    /** Micrometer meters, when Micrometer and warren-micrometer are on the class path and a registry is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterRegistry.class, WarrenMetrics.class})
    static class Metrics {
        @Bean
        @ConditionalOnBean(MeterRegistry.class)
        @ConditionalOnMissingBean
        WarrenMetrics warrenMetrics(MeterRegistry registry) {
            return new WarrenMetrics(registry);
        }
    }

    /** OpenTelemetry traces, when warren-opentelemetry is on the class path and an OpenTelemetry bean is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({OpenTelemetry.class, WarrenTracing.class})
    static class Tracing {
        @Bean
        @ConditionalOnBean(OpenTelemetry.class)
        @ConditionalOnMissingBean
        WarrenTracing warrenTracing(OpenTelemetry openTelemetry) {
            return new WarrenTracing(openTelemetry);
        }
    }

    /** The health indicator, when Boot's health module is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class HealthConfiguration {
        @Bean
        @ConditionalOnMissingBean(name = "warrenHealthIndicator")
        WarrenHealthIndicator warrenHealthIndicator(RobustConnection connection) {
            return new WarrenHealthIndicator(connection);
        }
    }
}
