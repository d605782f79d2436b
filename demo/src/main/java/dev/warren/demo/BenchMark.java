package dev.warren.demo;

import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A point in the JFR event stream that {@link PinCounter} commits at the start and end of every
 * run: it dates the run in the clock of the pin events, and once it has come through (with the
 * flush after it), every pin committed before it has come through too.
 */
@Name("dev.warren.demo.BenchMark")
@Label("Warren bench mark")
@Category("Warren")
@StackTrace(false)
final class BenchMark extends Event {
    @Label("id")
    final long id;

    BenchMark(long id) {
        this.id = id;
    }
}
