package dev.kobai.spark;

import dev.kobai.data.Dataset;
import dev.kobai.data.Datasets;
import dev.kobai.train.ShardedGradient;
import java.io.Serializable;
import java.lang.ref.SoftReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The training set on the executors: one fixed, contiguous shard per partition (the shards of
 * {@link ShardedGradient#bounds}), kept as primitive arrays. A small set travels from the driver
 * inside the partitions; a larger one is read by each executor from the path the data spec names,
 * which every executor must be able to read, and only its shards' rows are kept.
 */
final class Shards {
    /** Training sets up to this many bytes of features are shipped from the driver. */
    static final long SHIP_BYTES = 16L << 20;

    private Shards() {}

    /** Shard {@code index}: the samples from {@code offset}, row-major features and their labels. */
    record Shard(int index, int offset, float[] features, int[] labels) implements Serializable {}

    /**
     * How a partition gets its shard: {@code shipped} itself, or rows [from, to) of the training set
     * that {@code dataSpec} names, which must hold {@code size} samples (as the driver's did).
     */
    record Source(int index, int from, int to, String dataSpec, int size, Shard shipped) implements Serializable {
        Shard load() {
            if (shipped != null) {
                return shipped;
            }
            Dataset train = read(dataSpec);
            if (train.size() != size) {
                throw new IllegalStateException("the executor read " + train.size() + " training samples from "
                        + dataSpec + ", the driver " + size + ": every executor must see the driver's data");
            }
            return slice(train, index, from, to);
        }
    }

    /** The last training set an executor read, kept while memory allows: its partitions slice one read. */
    private static SoftReference<Object[]> lastRead = new SoftReference<>(null);

    private static synchronized Dataset read(String spec) {
        Object[] last = lastRead.get();
        if (last != null && last[0].equals(spec)) {
            return (Dataset) last[1];
        }
        Dataset train = Datasets.fromSpec(Datasets.parse(spec).dataset()).train();
        lastRead = new SoftReference<>(new Object[] {spec, train});
        return train;
    }

    static Shard slice(Dataset train, int index, int from, int to) {
        int d = train.featureCount();
        return new Shard(index, from, Arrays.copyOfRange(train.features(), from * d, to * d),
                Arrays.copyOfRange(train.labels(), from, to));
    }

    /** The shards of {@code train} (read from {@code dataSpec} where too large to ship), one per partition. */
    static JavaRDD<Shard> of(JavaSparkContext sc, String dataSpec, Dataset train, int partitions) {
        return of(sc, dataSpec, train, partitions, SHIP_BYTES);
    }

    /** As above, shipping sets of up to {@code shipBytes} bytes of features (the built-in digits always). */
    static JavaRDD<Shard> of(JavaSparkContext sc, String dataSpec, Dataset train, int partitions, long shipBytes) {
        int[] bounds = ShardedGradient.bounds(train.size(), partitions);
        boolean ship = dataSpec.equals("digits") || 4L * train.features().length <= shipBytes;
        List<Source> sources = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            sources.add(new Source(p, bounds[p], bounds[p + 1], dataSpec, train.size(),
                    ship ? slice(train, p, bounds[p], bounds[p + 1]) : null));
        }
        // parallelize puts element p alone in partition p when there are as many partitions as elements
        return sc.parallelize(sources, partitions).map(Source::load);
    }
}
