package dev.kobai.train;

import java.util.ServiceLoader;

/**
 * A cluster engine that a separate module provides (kobai-spark: Apache Spark), found through
 * {@link ServiceLoader} so that neither the core nor the command line depends on it: the module's
 * jar and its libraries on the class path are all it takes.
 */
public interface ClusterProvider {
    /** The engine's name, as a user asks for it: "spark". */
    String name();

    /**
     * The engine factory for a cluster at {@code master} (a URL the engine understands, such as
     * {@code local[2]} or {@code spark://host:7077}), with {@code partitions} shards of the training
     * set (null: the engine's default). Nothing connects before the factory opens an engine.
     *
     * @throws dev.kobai.UsageException for a master or partition count the engine refuses
     */
    GradientEngine.Factory engines(String master, Integer partitions);

    /** The provider named {@code name} on the class path, or null when there is none. */
    static ClusterProvider find(String name) {
        for (ClusterProvider p : ServiceLoader.load(ClusterProvider.class)) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }
}
