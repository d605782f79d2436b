package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.QueueSpec;
import dev.warren.Warren;
import dev.warren.testing.RabbitBroker;
import java.nio.charset.StandardCharsets;

/** A guided tour of Warren against a real broker: run it with the README's demo command. */
public final class Demo {
    private Demo() {}

    /** Runs the tour; exits non-zero if a step fails. */
    public static void main(String[] args) throws Exception {
        RabbitBroker broker = RabbitBroker.shared();
        System.out.println("Using " + broker);
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.serverNamed()).name();
            System.out.println("Declared queue " + q);
            ch.publish("", q, "hello, Warren".getBytes(StandardCharsets.UTF_8));
            System.out.println("Published a message; the broker confirmed it");
            var got = ch.unwrap().basicGet(q, true);
            System.out.println("Got it back: " + new String(got.getBody(), StandardCharsets.UTF_8));
        }
    }
}
