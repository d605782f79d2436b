package dev.warren.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ChannelClosedException;
import dev.warren.Warren;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs the whole tour against the real broker and checks what a newcomer would read. */
@ExtendWith(RabbitExtension.class)
class DemoTest {

    @Test
    @Timeout(120)
    void tourTellsTheWholeStoryAndLeavesNothingBehind(RabbitBroker broker) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new Demo(new PrintStream(bytes, true, StandardCharsets.UTF_8), broker).run();
        String out = bytes.toString(StandardCharsets.UTF_8);

        assertThat(out).containsPattern("The broker is RabbitMQ \\d+\\.\\d+\\.\\d+")
                .contains("all 1000 publish() calls returned")
                .contains("queue 'warren.demo.orders' now holds 1000 messages")
                .contains("1000 orders handled and acked")
                .containsPattern("at most (1[0-6]|[1-9]) handlers ran at once")
                .containsPattern("call\\(\"WRN\"\\) returned WRN=\\d+\\.00")
                .contains("100 concurrent calls answered")
                .contains("join() threw ChannelClosedException: 403 ACCESS_REFUSED (queue.declare)")
                .contains("the declare:   threw ChannelClosedException 403 ACCESS_REFUSED (queue.declare)")
                .contains("the sleeper:   threw InterruptedException: it was cancelled")
                .contains("the connection carries on")
                .contains("join() threw ConnectionClosedException: 320 CONNECTION_FORCED")
                .contains("the take(): threw ConnectionClosedException 320 CONNECTION_FORCED")
                .contains("lost: ConnectionClosedException 320 CONNECTION_FORCED; reconnecting")
                .containsPattern("recovered in \\d+ ms \\(recoveries: 1\\)")
                .contains("all 200 publish() calls returned")
                .containsPattern("the supervised consumer was restarted 1 time\\(s\\) and got all 200 orders: true")
                .contains("Nothing was left on the broker");

        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            for (String queue : new String[] {Demo.ORDERS, Demo.PRICES, Demo.FORBIDDEN}) {
                BlockingChannel ch = conn.openChannel();
                try {
                    ch.queueDeclarePassive(queue);
                    throw new AssertionError("queue " + queue + " was left behind");
                } catch (ChannelClosedException e) {
                    assertThat(e.replyCode()).isEqualTo(404);
                }
            }
        }
        assertThat(broker.admin().rabbitmqctl("list_users", "-q")).doesNotContain(Demo.LIMITED_USER);

        // The summary of warren-micrometer's meters, which every connection of the tour reported to.
        assertThat(out)
                .containsPattern("publishes: \\d+ \\(ack \\d+.*\\); confirm latency \\(acked\\) p50 [0-9.]+ ms, p99 [0-9.]+ ms")
                .containsPattern("calls: +101 \\(reply 101\\)")
                .containsPattern("channel closes by reply code: .*403 x1");
    }
}
