package dev.warren.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR event {@code dev.warren.ConnectionLost}: a connection that recovery will replace was lost. */
@Name("dev.warren.ConnectionLost")
@Label("Connection Lost")
@Category("Warren")
@Description("A connection that recovery will replace was lost")
@StackTrace(false)
final class ConnectionLostEvent extends jdk.jfr.Event {
    @Label("Connection")
    String connection;

    @Label("Reply Code")
    int replyCode;

    @Label("Cause")
    @Description("What was lost, as the close says it")
    String cause;
}
