package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RabbitExtension.class)
@Timeout(30)
class SmokeTest {
    @Test
    void passiveDeclareOfMissingQueueClosesOnlyItsChannel(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            BlockingChannel a = conn.openChannel();
            BlockingChannel b = conn.openChannel();
            var sub = a.fork(() -> { Thread.sleep(Duration.ofDays(1)); return 1; });
            assertThatThrownBy(() -> a.queueDeclarePassive("warren.missing"))
                    .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                        assertThat(e.replyCode()).isEqualTo(404);
                        assertThat(e.failedMethod()).isEqualTo("queue.declare");
                    });
            assertThatThrownBy(a::join).isInstanceOf(ChannelClosedException.class);
            assertThat(sub.state()).isEqualTo(Subtask.State.FAILED);
            assertThat(b.queueDeclare(QueueSpec.serverNamed()).name()).startsWith("amq.gen");
            a.close();
            b.close();
        }
    }
}
