package dev.kobai.tensor.kernel;

/**
 * The right operand op(B) of float products, k x n, stored once in the form the kernel that made
 * it reads fastest ({@link Gemm#packB}), for a B that many products share: K-FAC multiplies each
 * batch by the same inverse factor for a hundred steps, and packing its 785 x 785 floats cost a
 * tenth of that product. Only the kernel that packed it can use it.
 */
public final class PackedB {
    final Gemm packer;
    int k;
    int n;
    /** The kernel's layout; for {@link ScalarGemm}, op(B) row-major with n columns. */
    final float[] data;

    PackedB(Gemm packer, int k, int n, float[] data) {
        this.packer = packer;
        this.k = k;
        this.n = n;
        this.data = data;
    }

    /** Rows of op(B): the inner dimension of a product with it. */
    public int k() {
        return k;
    }

    /** Columns of op(B) and of the product. */
    public int n() {
        return n;
    }

    /** {@code reuse} resized to k x n when it is {@code packer}'s and holds {@code size} floats, else a new one. */
    static PackedB reuseOrNew(PackedB reuse, Gemm packer, int k, int n, int size) {
        if (reuse != null && reuse.packer == packer && reuse.data.length >= size) {
            reuse.k = k;
            reuse.n = n;
            return reuse;
        }
        return new PackedB(packer, k, n, new float[size]);
    }

    /**
     * op(B) copied row-major, k x n, into {@code reuse} when {@code packer} made it and it is large
     * enough: the packed form of the kernels that pack their operands on every call anyway.
     */
    static PackedB rowMajor(Gemm packer, boolean transB, int k, int n, float[] b, int bOff, int ldb, PackedB reuse) {
        GemmArgs.checkB(transB, k, n, b.length, bOff, ldb);
        PackedB out = reuseOrNew(reuse, packer, k, n, k * n);
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                out.data[p * n + j] = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
            }
        }
        return out;
    }

    void requirePackedBy(Gemm kernel) {
        if (packer != kernel) {
            throw new IllegalArgumentException("B was packed by the " + packer.name() + " kernel, not by this "
                    + kernel.name() + " one");
        }
    }
}
