package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Gemm;
import dev.kobai.tensor.kernel.Kernels;

/**
 * Matrix products. Transposes are flags passed to the kernel, never copies, and the backward of a
 * product is two more products with the flags rearranged:
 * for C = op(A) op(B), dop(A) = dC op(B)^T and dop(B) = op(A)^T dC.
 */
final class Linalg {
    private static final Gemm GEMM = Kernels.gemm();

    private Linalg() {}

    static Tensor matmul(Tensor a, Tensor b, boolean ta, boolean tb) {
        Tensor.checkSameDtype("matmul", a, b);
        int ra = a.shape.length;
        int rb = b.shape.length;
        if (ra == 3 && rb == 2 && !ta) {
            // A stack of matrices times one matrix is one tall product: no batch loop, and the
            // gradient of the shared matrix sums over the batch by itself.
            int batch = a.shape[0];
            Tensor flat = matmul(a.reshape(batch * a.shape[1], a.shape[2]), b, false, tb);
            return flat.reshape(batch, a.shape[1], flat.shape[1]);
        }
        if (!((ra == 2 && rb == 2) || (ra == 3 && rb == 3 && a.shape[0] == b.shape[0]))) {
            throw new IllegalArgumentException("matmul needs two 2-D tensors or two 3-D tensors with the same batch size, got "
                    + a.describe() + " and " + b.describe());
        }
        boolean batched = ra == 3;
        int batch = batched ? a.shape[0] : 1;
        int aRows = a.shape[ra - 2];
        int aCols = a.shape[ra - 1];
        int bRows = b.shape[rb - 2];
        int bCols = b.shape[rb - 1];
        int m = ta ? aCols : aRows;
        int k = ta ? aRows : aCols;
        int kb = tb ? bCols : bRows;
        int n = tb ? bRows : bCols;
        if (k != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + a.describe() + (ta ? "^T" : "")
                    + " times " + b.describe() + (tb ? "^T" : "") + " (" + k + " vs " + kb + ")");
        }
        Tensor out = batched ? a.newEmpty(batch, m, n) : a.newEmpty(m, n);
        int aStride = aRows * aCols;
        int bStride = bRows * bCols;
        int cStride = m * n;
        for (int p = 0; p < batch; p++) {
            if (a.f != null) {
                GEMM.sgemm(ta, tb, m, n, k, a.f, p * aStride, aCols, b.f, p * bStride, bCols, out.f, p * cStride, n, false);
            } else {
                GEMM.dgemm(ta, tb, m, n, k, a.d, p * aStride, aCols, b.d, p * bStride, bCols, out.d, p * cStride, n, false);
            }
        }
        return Tensor.record(out, "matmul", g -> {
            Tensor ga = null;
            Tensor gb = null;
            if (Tensor.needsGrad(a)) {
                ga = ta ? matmul(b, g, tb, true) : matmul(g, b, false, !tb);
            }
            if (Tensor.needsGrad(b)) {
                gb = tb ? matmul(g, a, true, ta) : matmul(a, g, !ta, false);
            }
            return new Tensor[] {ga, gb};
        }, a, b);
    }
}
