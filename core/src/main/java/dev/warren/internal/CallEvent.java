package dev.warren.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** JFR event {@code dev.warren.Call}: a request/reply call, from the call to its reply or failure. */
@Name("dev.warren.Call")
@Label("Call")
@Category("Warren")
@Description("A request/reply call, from the call to its reply or failure")
@Threshold("20 ms")
@StackTrace(true)
final class CallEvent extends ChannelEvent {
    @Label("Exchange")
    String exchange;

    @Label("Routing Key")
    String routingKey;

    @Label("Outcome")
    @Description("reply, nack, return, timeout, closed, interrupted or failed")
    String outcome;
}
