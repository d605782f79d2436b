package dev.warren.demo;

/** Which client a measurement is of. */
public enum Side {
    /** The official amqp-client used directly, in its fastest style. */
    RAW("raw"),
    /** Warren's blocking API on virtual threads. */
    WARREN("warren");

    private final String label;

    Side(String label) {
        this.label = label;
    }

    /** The lower-case name used in the output. */
    public String label() {
        return label;
    }
}
