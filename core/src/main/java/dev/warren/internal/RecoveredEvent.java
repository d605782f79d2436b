package dev.warren.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** JFR event {@code dev.warren.Recovered}: a lost connection was replaced by a new one. */
@Name("dev.warren.Recovered")
@Label("Recovered")
@Category("Warren")
@Description("A lost connection was replaced by a new one")
@StackTrace(false)
final class RecoveredEvent extends jdk.jfr.Event {
    @Label("Connection")
    String connection;

    @Label("Attempts")
    @Description("Connection attempts it took")
    int attempts;

    @Label("Outage")
    @Description("From the loss to the new connection")
    @Timespan(Timespan.NANOSECONDS) long outage;
}
