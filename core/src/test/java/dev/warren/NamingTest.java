package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One convention, {@code withX(...)} and {@code x()}; the names before it still work, deprecated. */
class NamingTest {

    @Test
    void queueSpecWithersAndAccessors() {
        QueueSpec s = QueueSpec.named("q").withDurable(false).withExclusive(true).withAutoDelete(true)
                .withArgument("x-a", 1).withArguments(Map.of("x-b", 2)).withMessageTtl(Duration.ofSeconds(1))
                .withDeadLetterExchange("dlx").withDeadLetterRoutingKey("dead").withMaxLength(5)
                .withMaxLengthBytes(6).withOverflow(QueueSpec.Overflow.REJECT_PUBLISH);
        assertThat(s.durable()).isFalse();
        assertThat(s.exclusive()).isTrue();
        assertThat(s.autoDelete()).isTrue();
        assertThat(s.arguments()).containsEntry("x-a", 1).containsEntry("x-b", 2).containsEntry("x-message-ttl", 1000L)
                .containsEntry("x-dead-letter-exchange", "dlx").containsEntry("x-dead-letter-routing-key", "dead")
                .containsEntry("x-max-length", 5L).containsEntry("x-max-length-bytes", 6L)
                .containsEntry("x-overflow", "reject-publish");
        assertThat(QueueSpec.quorum("q").arguments()).containsEntry("x-queue-type", "quorum");
        assertThat(QueueSpec.quorum("q").durable()).isTrue();
        assertThat(QueueSpec.stream("s").arguments()).containsEntry("x-queue-type", "stream");
    }

    @Test
    @SuppressWarnings("deprecation")
    void queueSpecOldNamesStillWork() {
        QueueSpec s = QueueSpec.named("q").durable(false).exclusive(true).autoDelete(true).argument("x-a", 1)
                .arguments(Map.of("x-b", 2)).messageTtl(Duration.ofSeconds(1)).deadLetterExchange("dlx")
                .deadLetterRoutingKey("dead").maxLength(5).maxLengthBytes(6).overflow(QueueSpec.Overflow.DROP_HEAD);
        assertThat(s.isDurable()).isFalse();
        assertThat(s.isExclusive()).isTrue();
        assertThat(s.isAutoDelete()).isTrue();
        assertThat(s.arguments()).containsKeys("x-a", "x-b", "x-message-ttl", "x-dead-letter-exchange",
                "x-dead-letter-routing-key", "x-max-length", "x-max-length-bytes", "x-overflow");
        assertThat(QueueSpec.named("q").quorum().arguments()).containsEntry("x-queue-type", "quorum");
        assertThat(QueueSpec.named("q").stream().arguments()).containsEntry("x-queue-type", "stream");
    }

    @Test
    void exchangeSpecWithersAndAccessors() {
        ExchangeSpec s = ExchangeSpec.topic("x").withDurable(false).withAutoDelete(true).withInternal(true)
                .withArgument("alternate-exchange", "ae").withArguments(Map.of("k", "v"));
        assertThat(s.durable()).isFalse();
        assertThat(s.autoDelete()).isTrue();
        assertThat(s.internal()).isTrue();
        assertThat(s.arguments()).containsEntry("alternate-exchange", "ae").containsEntry("k", "v");
    }

    @Test
    @SuppressWarnings("deprecation")
    void exchangeSpecOldNamesStillWork() {
        ExchangeSpec s = ExchangeSpec.topic("x").durable(false).autoDelete(true).internal(true).argument("k", "v");
        assertThat(s.isDurable()).isFalse();
        assertThat(s.isAutoDelete()).isTrue();
        assertThat(s.isInternal()).isTrue();
        assertThat(s.arguments()).containsEntry("k", "v");
    }

    @Test
    void declarationFactoriesAreDurable() {
        assertThat(QueueSpec.named("q").durable()).isTrue();
        assertThat(ExchangeSpec.fanout("x").durable()).isTrue();
        assertThat(ExchangeSpec.direct("x").durable()).isTrue();
        assertThat(QueueSpec.serverNamed().durable()).isFalse();
    }

    @Test
    void everyOldNameIsDeprecatedAndEveryPublicSetterOfASpecOrOptionsIsAWither() {
        for (Class<?> type : new Class<?>[] {QueueSpec.class, ExchangeSpec.class, ConsumeOptions.class,
                ServeOptions.class, Message.class, ConnectionOptions.class}) {
            for (Method m : type.getDeclaredMethods()) {
                boolean returnsCopy = m.getReturnType() == type && !java.lang.reflect.Modifier.isStatic(m.getModifiers());
                boolean oldGetter = m.getName().startsWith("is") && m.getParameterCount() == 0;
                if (!java.lang.reflect.Modifier.isPublic(m.getModifiers()) || m.isSynthetic()) {
                    continue;
                }
                if ((returnsCopy && !m.getName().startsWith("with")) || oldGetter) {
                    assertThat(m.isAnnotationPresent(Deprecated.class))
                            .as("%s.%s follows withX/x() or is deprecated", type.getSimpleName(), m.getName())
                            .isTrue();
                }
            }
        }
    }

    @Test
    void rpcTimeoutSaysASubMillisecondTimeoutAsGiven() {
        assertThat(new RpcTimeoutException("key 'k'", Duration.ofNanos(500_000)))
                .hasMessage("no reply to key 'k' within 0.5 ms");
        assertThat(new RpcTimeoutException("key 'k'", Duration.ofNanos(1))).hasMessageEndingWith("within 0.000001 ms");
        assertThat(new RpcTimeoutException("key 'k'", Duration.ofSeconds(5))).hasMessageEndingWith("within 5000 ms");
        assertThat(new RpcTimeoutException("key 'k'", Duration.ofMillis(1500).plusNanos(250_000)))
                .hasMessageEndingWith("within 1500.25 ms");
    }
}
