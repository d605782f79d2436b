package dev.warren.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR event {@code dev.warren.ChannelClosed}: a channel closed, by the broker, the application, its connection or Warren. */
@Name("dev.warren.ChannelClosed")
@Label("Channel Closed")
@Category("Warren")
@Description("A channel closed, by the broker, the application, its connection or Warren")
@StackTrace(false)
final class ChannelClosedEvent extends ChannelEvent {
    @Label("Reply Code")
    int replyCode;

    @Label("Reply Text")
    String replyText;

    @Label("Failed Method")
    @Description("The AMQP method the close refers to, e.g. queue.declare")
    String failedMethod;

    @Label("Initiated By Broker")
    boolean initiatedByBroker;

    @Label("Failed Operations")
    @Description("Pending operations the close failed")
    int failedOperations;

    @Label("Cancelled Subtasks")
    @Description("Subtasks of the channel the close interrupted")
    int cancelledSubtasks;
}
