package dev.warren.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit Jupiter extension that hands tests the JVM's shared {@link RabbitBroker} and its
 * {@link BrokerAdmin}: declare a parameter of either type on a test method, a lifecycle method
 * or a constructor.
 *
 * <pre>{@code
 * @ExtendWith(RabbitExtension.class)
 * class MyTest {
 *     @Test
 *     void works(RabbitBroker broker, BrokerAdmin admin) { ... }
 * }
 * }</pre>
 *
 * The broker is found once per JVM ({@link RabbitBroker#shared()}); when none can be found,
 * every test that asks for it fails with the message that says what to install. That broker may
 * be someone else's, so its admin refuses faults that act on the whole broker; tests that raise
 * memory alarms, close all connections or stop the application use
 * {@link RabbitBroker#privateNode()} instead. After each top-level test class it deletes the
 * queues and exchanges named by {@link Declared#name} from that broker.
 */
public final class RabbitExtension implements ParameterResolver, AfterAllCallback {
    /** Creates the extension; JUnit does this. */
    public RabbitExtension() {}

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == RabbitBroker.class || type == BrokerAdmin.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        RabbitBroker broker = RabbitBroker.shared();
        return parameter.getParameter().getType() == RabbitBroker.class ? broker : broker.admin();
    }

    /**
     * Deletes what the class declared under {@link Declared} names; after a top-level class
     * only, since a nested class ends while its outer class still runs.
     */
    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getTestClass().map(Class::isMemberClass).orElse(true)) {
            return;
        }
        Declared.deleteAll();
    }
}
