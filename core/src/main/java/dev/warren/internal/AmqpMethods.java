package dev.warren.internal;

/** Names of AMQP 0-9-1 methods by class and method id, as {@code class.method}. */
public final class AmqpMethods {
    private AmqpMethods() {}

    /**
     * @return e.g. {@code queue.declare} for (50, 10); null for (0, 0) and {@code class-id/method-id}
     *         for pairs this table does not know
     */
    public static String name(int classId, int methodId) {
        if (classId == 0 && methodId == 0) {
            return null;
        }
        String m = switch (classId) {
            case 10 -> switch (methodId) {
                case 10 -> "connection.start"; case 11 -> "connection.start-ok";
                case 20 -> "connection.secure"; case 21 -> "connection.secure-ok";
                case 30 -> "connection.tune"; case 31 -> "connection.tune-ok";
                case 40 -> "connection.open"; case 41 -> "connection.open-ok";
                case 50 -> "connection.close"; case 51 -> "connection.close-ok";
                case 60 -> "connection.blocked"; case 61 -> "connection.unblocked";
                default -> null;
            };
            case 20 -> switch (methodId) {
                case 10 -> "channel.open"; case 11 -> "channel.open-ok";
                case 20 -> "channel.flow"; case 21 -> "channel.flow-ok";
                case 40 -> "channel.close"; case 41 -> "channel.close-ok";
                default -> null;
            };
            case 40 -> switch (methodId) {
                case 10 -> "exchange.declare"; case 20 -> "exchange.delete";
                case 30 -> "exchange.bind"; case 40 -> "exchange.unbind";
                default -> null;
            };
            case 50 -> switch (methodId) {
                case 10 -> "queue.declare"; case 20 -> "queue.bind"; case 30 -> "queue.purge";
                case 40 -> "queue.delete"; case 50 -> "queue.unbind";
                default -> null;
            };
            case 60 -> switch (methodId) {
                case 10 -> "basic.qos"; case 20 -> "basic.consume"; case 30 -> "basic.cancel";
                case 40 -> "basic.publish"; case 50 -> "basic.return"; case 60 -> "basic.deliver";
                case 70 -> "basic.get"; case 80 -> "basic.ack"; case 90 -> "basic.reject";
                case 100 -> "basic.recover-async"; case 110 -> "basic.recover"; case 120 -> "basic.nack";
                default -> null;
            };
            case 85 -> methodId == 10 ? "confirm.select" : null;
            case 90 -> switch (methodId) {
                case 10 -> "tx.select"; case 20 -> "tx.commit"; case 30 -> "tx.rollback";
                default -> null;
            };
            default -> null;
        };
        return m != null ? m : classId + "/" + methodId;
    }

    /** The argument table a method carries (declare, bind, unbind, consume), or null. */
    static java.util.Map<String, Object> argumentsOf(com.rabbitmq.client.Method m) {
        if (m instanceof com.rabbitmq.client.AMQP.Queue.Declare d) {
            return d.getArguments();
        }
        if (m instanceof com.rabbitmq.client.AMQP.Exchange.Declare d) {
            return d.getArguments();
        }
        if (m instanceof com.rabbitmq.client.AMQP.Queue.Bind b) {
            return b.getArguments();
        }
        if (m instanceof com.rabbitmq.client.AMQP.Queue.Unbind u) {
            return u.getArguments();
        }
        if (m instanceof com.rabbitmq.client.AMQP.Exchange.Bind b) {
            return b.getArguments();
        }
        if (m instanceof com.rabbitmq.client.AMQP.Exchange.Unbind u) {
            return u.getArguments();
        }
        if (m instanceof com.rabbitmq.client.AMQP.Basic.Consume c) {
            return c.getArguments();
        }
        return null;
    }
}
