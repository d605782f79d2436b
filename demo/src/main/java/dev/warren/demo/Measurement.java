package dev.warren.demo;

/** One measured run of one side of a row. */
interface Measurement {
    /** A short line for the progress log. */
    String brief();
}
