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
 * <p>{@code VectorGemm} is named here only as a string and loaded by reflection: a direct reference
 * would make this class fail to link on a JVM without the incubator module, taking the fallback
 * down with it.
 */
public final class Kernels {
    static final String VECTOR_GEMM = "dev.kobai.tensor.kernel.VectorGemm";

    private static final Gemm SCALAR = new ScalarGemm();
    private static final Gemm GEMM = choose(System.getProperty("kobai.simd"),
            ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());

    private Kernels() {}

    /** The matrix-multiply kernel for this JVM. */
    public static Gemm gemm() {
        return GEMM;
    }

    /** The plain-Java kernel, whatever the JVM offers. */
    public static Gemm scalarGemm() {
        return SCALAR;
    }

    /** The selection rule, separated from the JVM's state so that it can be tested. */
    static Gemm choose(String simdProperty, boolean vectorModulePresent) {
        if (simdProperty != null && simdProperty.trim().equalsIgnoreCase("false")) {
            return SCALAR;
        }
        if (!vectorModulePresent) {
            return SCALAR;
        }
        try {
            return (Gemm) Class.forName(VECTOR_GEMM).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            // The module is there but the kernel cannot be set up (for example a stripped runtime):
            // fall back rather than fail, since the scalar kernel computes the same thing.
            return SCALAR;
        }
    }
}
