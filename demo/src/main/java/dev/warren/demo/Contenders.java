package dev.warren.demo;

/**
 * The registry: for every scenario, who runs it on each side. This is the only place to edit
 * when Warren's side of a scenario arrives, e.g.
 * {@code Sides.rawOnly(new RawPublish())} becomes {@code Sides.of(new RawPublish(), new WarrenPublish())}.
 *
 * <p>A side that is absent (Warren's, for now) is shown as n/a: no number is ever made up for it.
 */
public final class Contenders {
    private Contenders() {
    }

    /** publish-queue and publish-client-bound: confirmed publishes, 1 to 10000 Warren threads. */
    static final Sides<PublishSetup> PUBLISH = Sides.of(new RawPublish(), new WarrenPublish());

    /** publish-queue/deferred and publish-client-bound/deferred: the raw pipeline against one thread pipelining with publishDeferred. */
    static final Sides<PublishSetup> PUBLISH_DEFERRED = Sides.of(new RawPublish(), new WarrenPublishDeferred());

    /** publish-overhead/jfr: Warren with nothing observing (the "raw" column) and with a JFR recording on. */
    static final Sides<PublishSetup> PUBLISH_JFR = Sides.of(new WarrenPublish(), new WarrenPublish(
            WarrenPublish.Observed.JFR));

    /** publish-overhead/metrics: Warren with nothing observing and with warren-micrometer's meters. */
    static final Sides<PublishSetup> PUBLISH_METRICS = Sides.of(new WarrenPublish(), new WarrenPublish(
            WarrenPublish.Observed.METRICS));

    /** publish-alternatives/vs-amqp-blocking: N platform threads, a channel each, waitForConfirmsOrDie per message. */
    static final Sides<PublishSetup> PUBLISH_VS_BLOCKING = Sides.of(BlockingPublish.platformThreads(), new WarrenPublish());

    /** publish-alternatives/vs-amqp-pool: N virtual threads on a pool of channels, waitForConfirmsOrDie per message. */
    static final Sides<PublishSetup> PUBLISH_VS_POOL = Sides.of(BlockingPublish.virtualThreadsOnAPool(), new WarrenPublish());

    /** publish-alternatives/vs-spring: Spring AMQP's RabbitTemplate with correlated confirms on N virtual threads. */
    static final Sides<PublishSetup> PUBLISH_VS_SPRING = Sides.of(SpringTemplate.publish(), new WarrenPublish());

    /** consume: take and ack a prefilled queue at prefetch 100 and 1000. */
    static final Sides<ConsumeSetup> CONSUME = Sides.of(new RawConsume(), new WarrenConsume());

    /** rpc: direct reply-to calls with 1, 100 and 1000 in flight. */
    static final Sides<RpcSetup> RPC = Sides.of(new RawRpc(), new WarrenRpc());

    /** rpc-alternatives/vs-amqp-rpcclient: amqp-client's RpcClient shared by N virtual threads. */
    static final Sides<RpcSetup> RPC_VS_RPCCLIENT = Sides.of(new RpcClientCall(), new WarrenRpc());

    /** rpc-alternatives/vs-spring: Spring AMQP's RabbitTemplate.sendAndReceive on N virtual threads. */
    static final Sides<RpcSetup> RPC_VS_SPRING = Sides.of(SpringTemplate.rpc(), new WarrenRpc());

    /** waiters/take: --waiters (100k) virtual threads in {@code take()} on empty subscriptions (Warren only). */
    static final WaitersContender WAITERS_TAKE = new WarrenWaiters(WarrenWaiters.Kind.TAKE);

    /** waiters/call: --waiters (100k) virtual threads in {@code call()} that no server answers (Warren only). */
    static final WaitersContender WAITERS_CALL = new WarrenWaiters(WarrenWaiters.Kind.CALL);
}
