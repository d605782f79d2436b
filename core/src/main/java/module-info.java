/**
 * Warren: RabbitMQ in straight-line blocking code on virtual threads.
 *
 * <p>Start with {@link dev.warren.Warren#connect(String)}.
 */
module dev.warren {
    requires transitive com.rabbitmq.client;
    requires org.slf4j;
    requires jdk.jfr;

    exports dev.warren;
}
