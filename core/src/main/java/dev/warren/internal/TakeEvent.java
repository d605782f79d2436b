package dev.warren.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** JFR event {@code dev.warren.Take}: a take or poll on a subscription that had to wait: the time the thread was blocked. */
@Name("dev.warren.Take")
@Label("Take")
@Category("Warren")
@Description("A take or poll on a subscription that had to wait: the time the thread was blocked")
@Threshold("20 ms")
@StackTrace(true)
final class TakeEvent extends ChannelEvent {
    @Label("Queue")
    String queue;

    @Label("Outcome")
    @Description("delivery, timeout, closed, cancelled or interrupted")
    String outcome;
}
