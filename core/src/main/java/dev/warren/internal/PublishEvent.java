package dev.warren.internal;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** JFR event {@code dev.warren.Publish}: a confirmed publish, from the call to its outcome (the confirm, a return, a timeout or the close). */
@Name("dev.warren.Publish")
@Label("Publish")
@Category("Warren")
@Description("A confirmed publish, from the call to its outcome (the confirm, a return, a timeout or the close)")
@Threshold("20 ms")
@StackTrace(true)
final class PublishEvent extends ChannelEvent {
    @Label("Exchange")
    String exchange;

    @Label("Routing Key")
    String routingKey;

    @Label("Size")
    @Description("Body size")
    @DataAmount(DataAmount.BYTES) int size;

    @Label("Outcome")
    @Description("ack, nack, return, timeout, closed, interrupted or failed")
    String outcome;
}
