package dev.warren.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.ShutdownSignalException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each fault-injection operation, shown to take effect on a raw-client connection. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class BrokerAdminTest {

    @Test
    void userWithoutConfigurePermissionCannotDeclare(RabbitBroker broker, BrokerAdmin admin) throws Exception {
        String user = "warren-limited-" + ProcessHandle.current().pid();
        admin.addUser(user, "pw", "", ".*", ".*");
        try {
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(broker.uri());
            f.setUsername(user);
            f.setPassword("pw");
            try (Connection c = f.newConnection()) {
                Channel ch = c.createChannel();
                assertThatThrownBy(() -> ch.queueDeclare("warren.denied", false, false, true, null))
                        .hasStackTraceContaining("ACCESS_REFUSED");
            }
        } finally {
            admin.deleteUser(user);
        }
    }

    @Test
    void closeConnectionByClientProvidedName(RabbitBroker broker, BrokerAdmin admin) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(broker.uri());
        String name = "warren-victim \"" + System.nanoTime() + "\"";
        Connection victim = f.newConnection(name);
        Connection bystander = f.newConnection("bystander");
        try {
            CompletableFuture<ShutdownSignalException> closed = new CompletableFuture<>();
            victim.addShutdownListener(closed::complete);
            assertThat(admin.connectionNames()).contains(name, "bystander");

            assertThat(admin.closeConnection(name, "test says so")).isEqualTo(1);

            ShutdownSignalException s = closed.get(30, TimeUnit.SECONDS);
            assertThat(s.isInitiatedByApplication()).isFalse();
            assertThat(s.getMessage()).contains("CONNECTION_FORCED").contains("test says so");
            assertThat(bystander.isOpen()).isTrue();
        } finally {
            victim.abort();
            bystander.abort();
        }
    }

    @Test
    void closeAllConnections() throws Exception {
        RabbitBroker broker = RabbitBroker.privateNode();
        BrokerAdmin admin = broker.admin();
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(broker.uri());
        Connection a = f.newConnection("all-a");
        Connection b = f.newConnection("all-b");
        try {
            CountDownLatch closed = new CountDownLatch(2);
            a.addShutdownListener(s -> closed.countDown());
            b.addShutdownListener(s -> closed.countDown());
            admin.closeAllConnections("everyone out");
            assertThat(closed.await(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            a.abort();
            b.abort();
        }
    }

    @Test
    void memoryAlarmBlocksAndClears() throws Exception {
        RabbitBroker broker = RabbitBroker.privateNode();
        BrokerAdmin admin = broker.admin();
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(broker.uri());
        try (Connection c = f.newConnection("alarm")) {
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch unblocked = new CountDownLatch(1);
            c.addBlockedListener(new BlockedListener() {
                @Override
                public void handleBlocked(String reason) {
                    blocked.countDown();
                }

                @Override
                public void handleUnblocked() {
                    unblocked.countDown();
                }
            });
            try {
                admin.raiseMemoryAlarm();
                // The broker blocks a connection when it next publishes.
                c.createChannel().basicPublish("", "warren.nowhere", null, new byte[1]);
                assertThat(blocked.await(30, TimeUnit.SECONDS)).isTrue();
            } finally {
                admin.clearMemoryAlarm();
            }
            assertThat(unblocked.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void theAdminOfABrokerFoundNotStartedRefusesFaultsOnTheWholeBroker(RabbitBroker broker) throws Exception {
        RabbitBroker found = RabbitBroker.find(Map.of(RabbitBroker.AMQP_URI, broker.uri()), Ports.free(), false);
        BrokerAdmin admin = found.admin();
        assertThat(admin.mayActOnTheWholeBroker()).isFalse();
        for (ThrowingCallable fault : List.<ThrowingCallable>of(admin::raiseMemoryAlarm, admin::clearMemoryAlarm,
                () -> admin.closeAllConnections("no"), admin::stopApp, admin::startApp,
                () -> admin.rabbitmqctl("stop_app"), () -> admin.rabbitmqctl("set_vm_memory_high_watermark", "0"))) {
            assertThatThrownBy(fault).isInstanceOf(AdminException.class)
                    .hasMessageContaining("refusing").hasMessageContaining("RabbitBroker.privateNode()")
                    .hasMessageNotContaining(":guest@");
        }
        // What acts on one user, queue or connection still works there.
        String queue = Declared.name("warren.test.admin-listed");
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(found.uri());
        try (Connection c = f.newConnection()) {
            c.createChannel().queueDeclare(queue, false, false, false, null);
            assertThat(admin.rabbitmqctl("list_queues", "-q", "-p", admin.vhost(), "name")).contains(queue);
        }
    }

    @Test
    void thePrivateNodeIsOneBrokerThisJvmStartedAndMayTakeEveryFault() {
        RabbitBroker own = RabbitBroker.privateNode();
        assertThat(RabbitBroker.privateNode()).isSameAs(own);
        assertThat(own.source()).isIn(RabbitBroker.Source.PRIVATE_NODE, RabbitBroker.Source.CONTAINER);
        assertThat(own.admin().mayActOnTheWholeBroker()).isTrue();
        if (RabbitBroker.shared().source() != own.source()) {
            assertThat(own.uri()).isNotEqualTo(RabbitBroker.shared().uri());
        }
    }

    @Test
    void deleteQueueCancelsItsConsumer(RabbitBroker broker, BrokerAdmin admin) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(broker.uri());
        try (Connection c = f.newConnection()) {
            Channel ch = c.createChannel();
            String q = ch.queueDeclare(Declared.name("warren.doomed"), false, false, false, null).getQueue();
            CountDownLatch cancelled = new CountDownLatch(1);
            ch.basicConsume(q, new DefaultConsumer(ch) {
                @Override
                public void handleCancel(String consumerTag) {
                    cancelled.countDown();
                }
            });
            admin.deleteQueue(q);
            assertThat(cancelled.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
