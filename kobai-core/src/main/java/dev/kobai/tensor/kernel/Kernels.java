package dev.kobai.tensor.kernel;

/**
 * Chooses the compute kernels once, at class initialisation.
 *
 * <p>{@link #gemm()} is the Vector API {@code VectorGemm} when the {@code jdk.incubator.vector}
 * module is in the boot layer (the JVM was started with {@code --add-modules jdk.incubator.vector})
 * and the class links, and {@link ScalarGemm} otherwise. Setting the system property
 * {@code kobai.simd=false} forces the scalar kernel, for comparison or to rule the vector kernel
 * out when chasing a numerical difference.
 *
 * <p>{@link #blas1()} follows the same choice: the Vector API {@code VectorBlas1} with the vector
 * matrix multiply, {@link ScalarBlas1} otherwise.
 *
 * <p>{@code -Dkobai.blas=system} replaces the matrix product (only it) by the system's BLAS
 * ({@link BlasGemm}, through the Foreign Function and Memory API; {@code -Dkobai.blas.library=FILE}
 * names the library). It is never chosen by itself: the Java kernel is the default, so that a run's
 * bits do not depend on which libraries a machine happens to have.
 *
 * <p>{@code VectorGemm} and {@code VectorBlas1} are named here only as a string and loaded by reflection: a direct reference
 * would make this class fail to link on a JVM without the incubator module, taking the fallback
 * down with it.
 */
public final class Kernels {
    static final String VECTOR_GEMM = "dev.kobai.tensor.kernel.VectorGemm";
    static final String VECTOR_BLAS1 = "dev.kobai.tensor.kernel.VectorBlas1";

    private static final Gemm SCALAR = new ScalarGemm();
    /** Why the vector kernel could not be set up though the module is there; null when it could. */
    private static String setupFailure;
    /** The Java kernel: Vector API or scalar; the vector element loops follow it. */
    private static final Gemm JAVA_GEMM = choose(System.getProperty("kobai.simd"),
            ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
    /** Why the system BLAS asked for could not be used; null when it was not asked for or is in use. */
    private static String blasFailure;
    private static final Gemm GEMM = withBlas(System.getProperty("kobai.blas"), System.getProperty("kobai.blas.library"),
            JAVA_GEMM);

    /**
     * Said once per process on standard error when the Vector API is missing and nobody asked for
     * the scalar kernels, since everything then still works, only several times slower, and a
     * user would not otherwise know why.
     */
    static final String SCALAR_NOTICE = "kobai: the jdk.incubator.vector module is not loaded, so Kobai runs on its "
            + "scalar kernels, several times slower; start java with --add-modules jdk.incubator.vector "
            + "(or -Dkobai.simd=false to choose the scalar kernels and silence this line)";

    static {
        if (noticeNeeded(System.getProperty("kobai.simd"), JAVA_GEMM == SCALAR)) {
            System.err.println(setupFailure == null ? SCALAR_NOTICE : setupNotice(setupFailure));
        }
        if (blasFailure != null) {
            System.err.println(blasNotice(blasFailure));
        }
    }

    /** The notice when the system BLAS was asked for and cannot be used. */
    static String blasNotice(String failure) {
        return "kobai: " + failure + "; Kobai uses its Java kernels";
    }

    /**
     * The product kernel for {@code -Dkobai.blas}: {@code java} (or unset) keeps {@code javaKernel},
     * {@code system} loads the system's BLAS ({@code -Dkobai.blas.library} names the library, else
     * the usual names are tried). When the system BLAS cannot be loaded, or the value is neither,
     * the Java kernel stays and {@link #blasFailure} says why.
     */
    static Gemm withBlas(String property, String library, Gemm javaKernel) {
        String choice = property == null ? "" : property.strip().toLowerCase(java.util.Locale.ROOT);
        if (choice.isEmpty() || choice.equals("java")) {
            return javaKernel;
        }
        if (!choice.equals("system")) {
            blasFailure = "-Dkobai.blas=" + property + ": the kernel must be java or system";
            return javaKernel;
        }
        try {
            return new BlasGemm(SystemBlas.load(library));
        } catch (IllegalStateException | UnsupportedOperationException | IllegalCallerException e) {
            blasFailure = "-Dkobai.blas=system: " + e.getMessage();
            return javaKernel;
        }
    }

    /** The notice when the module is there but the vector kernel failed to set up (a bad -Dkobai.vector.bits). */
    static String setupNotice(String failure) {
        return "kobai: the vector kernels could not be set up (" + failure + "), so Kobai runs on its scalar kernels,"
                + " several times slower (-Dkobai.simd=false chooses them and silences this line)";
    }
    private static final Blas1 SCALAR_BLAS1 = new ScalarBlas1();
    private static final Blas1 BLAS1 = JAVA_GEMM == SCALAR ? SCALAR_BLAS1 : load(VECTOR_BLAS1, Blas1.class, SCALAR_BLAS1);

    /** Rounds of {@link #warmUp}: enough calls for C2 to compile every path of the kernel (checked with -XX:+PrintCompilation). */
    static final int WARM_UP_ROUNDS = 1500;

    private static final Object WARM_UP_LOCK = new Object();
    private static Thread warmUpThread;

    private Kernels() {}

    /**
     * Starts {@link #warmUp} on a background daemon thread, once per JVM; later calls do nothing.
     * A run calls this before it loads its data, so the kernel is compiled while the data is read.
     * The system property {@code kobai.warmup=false} turns it off (to measure what it saves).
     */
    public static void warmUpInBackground() {
        synchronized (WARM_UP_LOCK) {
            if (warmUpThread != null || !warmUpWanted(System.getProperty("kobai.warmup"))) {
                return;
            }
            warmUpThread = Thread.ofPlatform().daemon().name("kobai-kernel-warm-up").start(Kernels::warmUp);
        }
    }

    /** Whether {@code -Dkobai.warmup} (null when unset) leaves the warm-up on: anything but {@code false}. */
    static boolean warmUpWanted(String property) {
        return property == null || !property.trim().equalsIgnoreCase("false");
    }

    /** The background warm-up's thread, null until {@link #warmUpInBackground} starts it. */
    static Thread warmUpThread() {
        synchronized (WARM_UP_LOCK) {
            return warmUpThread;
        }
    }

    /**
     * Runs the float32 matrix-multiply kernel on small matrices, through every path it has (each
     * transpose, partial edge tiles, accumulation, several k blocks), until the JIT compiler has
     * compiled it. Training runs in float32; float64 (gradient checks, surfaces) is left to warm up
     * by use, since warming it too would double the cost (about 0.9 s of one core for float32 alone).
     *
     * <p>Why: the Vector API is only fast once C2 compiles it; interpreted or in C1 every vector
     * operation allocates, and the kernel runs some hundred times slower. Without a warm-up the
     * first training batches paid for that at full size (seconds for the first batch of
     * mlp:784-256-10). Small matrices reach C2's call counts in a fraction of the time, and
     * exercising every branch keeps C2 from compiling a version that is thrown away when a path it
     * never saw is first taken. The work is on private arrays (operands in [-1, 1], not all zero, so
     * that the sums stay far from overflow) and changes no result.
     */
    public static void warmUp() {
        warmUp(GEMM);
    }

    /** {@link #warmUp()} on {@code gemm}: nothing for the scalar kernel or the system BLAS. */
    static void warmUp(Gemm gemm) {
        if (gemm == SCALAR || gemm instanceof BlasGemm) {
            return; // plain Java reaches C2 quickly enough by itself; a native library needs no compiling
        }
        float[] a = new float[300 * 40];
        float[] b = new float[300 * 101];
        float[] c = new float[40 * 101];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 7) * 0.25f - 0.75f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (i % 5) * 0.25f - 0.5f;
        }
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            // Mostly tiny products (many calls, little work); now and then one with two k blocks.
            int k = round % 64 == 63 ? 260 : 12;
            boolean accumulate = (round & 1) == 1;
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) == 1;
                boolean tb = (t & 2) == 2;
                int m = 7;
                // With 512-bit vectors the direct path covers 101 columns with its wide and narrow
                // kernels (64 + 32) and the packed path the last 5; with 256-bit, 96 + 5.
                int n = 101;
                gemm.sgemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, c, 0, n, accumulate);
            }
        }
    }

    /** The matrix-multiply kernel for this JVM. */
    public static Gemm gemm() {
        return GEMM;
    }

    /** The vector-vector loops (axpy, dot) for this JVM, chosen with {@link #gemm()}. */
    public static Blas1 blas1() {
        return BLAS1;
    }

    /** The plain-Java vector-vector loops, whatever the JVM offers. */
    public static Blas1 scalarBlas1() {
        return SCALAR_BLAS1;
    }

    /**
     * Whether the Vector API kernels are in use (the module is present and kobai.simd is not
     * false); element loops that C2 does not vectorise by itself choose their Vector API version by this.
     */
    public static boolean vectorAvailable() {
        return JAVA_GEMM != SCALAR;
    }

    /** The plain-Java kernel, whatever the JVM offers. */
    public static Gemm scalarGemm() {
        return SCALAR;
    }

    /** Whether to print {@link #SCALAR_NOTICE}: scalar kernels that kobai.simd=false did not ask for. */
    static boolean noticeNeeded(String simdProperty, boolean scalar) {
        return scalar && !(simdProperty != null && simdProperty.trim().equalsIgnoreCase("false"));
    }

    /** The selection rule, separated from the JVM's state so that it can be tested. */
    static Gemm choose(String simdProperty, boolean vectorModulePresent) {
        if (simdProperty != null && simdProperty.trim().equalsIgnoreCase("false")) {
            return SCALAR;
        }
        if (!vectorModulePresent) {
            return SCALAR;
        }
        return load(VECTOR_GEMM, Gemm.class, SCALAR);
    }

    private static <T> T load(String className, Class<T> type, T fallback) {
        try {
            return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            // The module is there but the kernel cannot be set up (for example a stripped runtime):
            // fall back rather than fail, since the scalar kernel computes the same thing, and keep
            // the root cause for the notice, which would otherwise blame a missing module.
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            if (setupFailure == null) {
                setupFailure = root.getMessage() != null ? root.getMessage() : root.toString();
            }
            return fallback;
        }
    }
}
