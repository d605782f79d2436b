package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.Message;
import dev.warren.Warren;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/** Warren's side of rpc: N virtual threads, each a plain loop of {@code call}. */
final class WarrenRpc implements Contender<RpcSetup> {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Override
    public Trial prepare(RpcSetup setup) throws Exception {
        BlockingConnection conn = Warren.connect(setup.uri());
        BlockingChannel ch = conn.openChannel();
        Message request = Message.of(setup.body());
        // The reply consumer is set up by the first call; that belongs to preparing, not to the run.
        ch.call("", setup.requestQueue(), request, TIMEOUT);
        return new Trial() {
            @Override
            public long run(Window window) throws Exception {
                LongAdder answered = new LongAdder();
                for (int c = 0; c < setup.callers(); c++) {
                    ch.fork(() -> {
                        while (!window.expired()) {
                            long t0 = System.nanoTime();
                            ch.call("", setup.requestQueue(), request, TIMEOUT);
                            window.latencies().record(System.nanoTime() - t0);
                            answered.increment();
                        }
                        return null;
                    });
                }
                ch.join();
                return answered.sum();
            }

            @Override
            public void close() {
                ch.close();
                conn.close();
            }
        };
    }
}
