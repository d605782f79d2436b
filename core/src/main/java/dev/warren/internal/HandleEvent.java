package dev.warren.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** JFR event {@code dev.warren.Handle}: one run of a handle() or serve() handler on one delivery. */
@Name("dev.warren.Handle")
@Label("Handle")
@Category("Warren")
@Description("One run of a handle() or serve() handler on one delivery")
@Threshold("20 ms")
@StackTrace(false)
final class HandleEvent extends ChannelEvent {
    @Label("Queue")
    String queue;

    @Label("Serve")
    @Description("A serve() request rather than a handle() delivery")
    boolean serve;

    @Label("Redelivered")
    boolean redelivered;

    @Label("Outcome")
    @Description("ack (it returned), failed, closed or interrupted")
    String outcome;
}
