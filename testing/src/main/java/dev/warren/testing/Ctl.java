package dev.warren.testing;

import java.util.List;

/** Runs one {@code rabbitmqctl} command against a particular broker and returns its output. */
@FunctionalInterface
interface Ctl {
    /**
     * @param args the arguments after {@code rabbitmqctl}
     * @return standard output
     * @throws AdminException when the command cannot run or exits with an error
     */
    String run(List<String> args);
}
