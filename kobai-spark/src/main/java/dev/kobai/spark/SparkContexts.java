package dev.kobai.spark;

import dev.kobai.UsageException;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The one SparkContext of this JVM (Spark allows one): made on first use for a master, shared by
 * the runs that follow until stopped. Options in {@code spark.*} system properties (for example
 * {@code -Dspark.executor.memory=4g} in KOBAI_JAVA_OPTS) apply as Spark reads them.
 */
public final class SparkContexts {
    private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|[1-9][0-9]*)(,[0-9]+)?\\])?");
    private static final Pattern STANDALONE = Pattern.compile("spark://[^/:]+:[0-9]+(,[^/:]+:[0-9]+)*");
    private static JavaSparkContext current;

    private SparkContexts() {}

    /**
     * Refuses a master other than local, local[K], local[*] or spark://HOST:PORT.
     *
     * @throws UsageException saying what is accepted
     */
    public static void requireMaster(String master) {
        if (master == null || !(LOCAL.matcher(master).matches() || STANDALONE.matcher(master).matches())) {
            throw new UsageException("--spark takes local[K] (K task threads in this JVM) or spark://HOST:PORT (a"
                    + " standalone cluster's master), got '" + master + "'");
        }
    }

    static synchronized boolean running() {
        return current != null && !current.sc().isStopped();
    }

    /**
     * The running context, or a new one for {@code master}.
     *
     * @throws UsageException when a context for another master is running
     */
    public static synchronized JavaSparkContext get(String master) {
        requireMaster(master);
        if (running()) {
            if (!current.master().equals(master)) {
                throw new UsageException("this JVM already runs Spark on " + current.master() + ", not " + master);
            }
            return current;
        }
        current = new JavaSparkContext(conf(master));
        current.setLogLevel("WARN");
        return current;
    }

    /**
     * The configuration of a new context for {@code master}: {@code spark.*} system properties, then
     * the UI off and, for local[K] or a master on the loopback address, the driver on 127.0.0.1,
     * unless those are set; for a cluster, the jars Kobai's classes come from added to
     * {@code spark.jars}.
     */
    static SparkConf conf(String master) {
        boolean local = LOCAL.matcher(master).matches();
        SparkConf conf = new SparkConf().setMaster(master).setAppName("kobai train")
                .setIfMissing("spark.ui.enabled", "false");
        if (local || loopback(master)) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        if (!local) {
            // The executors of a cluster load Kobai's classes from the jars this driver runs from.
            Set<String> jars = new LinkedHashSet<>();
            for (Class<?> c : new Class<?>[] {dev.kobai.train.Trainer.class, SparkContexts.class}) {
                var source = c.getProtectionDomain().getCodeSource();
                if (source != null && source.getLocation().getPath().endsWith(".jar")) {
                    jars.add(Path.of(URI.create(source.getLocation().toString())).toString());
                }
            }
            String given = conf.get("spark.jars", "");
            if (!given.isEmpty()) {
                jars.add(given);
            }
            conf.set("spark.jars", String.join(",", jars));
        }
        return conf;
    }

    private static boolean loopback(String master) {
        String host = master.substring("spark://".length()).split(":")[0];
        return host.equals("localhost") || host.startsWith("127.");
    }

    /** Stops the context, if one runs. */
    public static synchronized void stop() {
        if (current != null) {
            current.stop();
            current = null;
        }
    }
}
