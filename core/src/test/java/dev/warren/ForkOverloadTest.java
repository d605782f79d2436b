package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RabbitExtension.class)
@Timeout(60)
class ForkOverloadTest {

    @Test
    void aBlockLambdaWithoutResultAndAValueLambdaBothCompile(RabbitBroker broker) throws Exception {
        try (TestQueues queues = new TestQueues(broker);
                BlockingConnection conn = Warren.connect(broker.uri());
                BlockingChannel ch = conn.openChannel()) {
            String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("fork")));
            Subtask<Void> published = ch.fork(() -> {
                ch.publish("", q, Message.text("from a task without a result"));
            });
            Subtask<Integer> answer = ch.fork(() -> 42);
            Subtask<DeclaredQueue> declared = ch.fork(() -> ch.queueDeclarePassive(q)); // has a result: Callable
            ch.join();
            assertThat(published.state()).isEqualTo(Subtask.State.SUCCESS);
            assertThat(published.get()).isNull();
            assertThat(answer.get()).isEqualTo(42);
            assertThat(declared.get().name()).isEqualTo(q);
            assertThat(ch.get(q).orElseThrow().bodyAsString()).isEqualTo("from a task without a result");
        }
    }

    @Test
    void aTaskWithoutResultMayThrowACheckedException(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            IOException boom = new IOException("boom");
            Subtask<Void> failing = ch.fork(() -> {
                throw boom;
            });
            assertThatThrownBy(ch::join).isInstanceOf(SubtaskFailedException.class).hasCause(boom);
            assertThat(failing.state()).isEqualTo(Subtask.State.FAILED);
            assertThat(failing.exception()).isSameAs(boom);
        }
    }
}
