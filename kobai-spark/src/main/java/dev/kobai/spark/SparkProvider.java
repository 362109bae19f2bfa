package dev.kobai.spark;

import dev.kobai.UsageException;
import dev.kobai.train.ClusterProvider;
import dev.kobai.train.GradientEngine;
import dev.kobai.train.ShardedGradient;

/** {@code kobai train --spark MASTER}: {@link SparkGradient} engines, found by the command line through ServiceLoader. */
public final class SparkProvider implements ClusterProvider {
    @Override
    public String name() {
        return "spark";
    }

    @Override
    public GradientEngine.Factory engines(String master, Integer partitions) {
        SparkContexts.requireMaster(master);
        if (partitions != null && partitions < 1) {
            throw new UsageException("--partitions must be at least 1, got " + partitions);
        }
        return (settings, setup) -> {
            ShardedGradient.require(settings, setup.model());
            return SparkGradient.open(master, partitions, settings, setup);
        };
    }
}
