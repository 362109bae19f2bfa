package dev.kobai.tensor.kernel;

/** Placeholder: a naive plain-Java product. */
public final class ScalarGemm implements Gemm {
    static final ScalarGemm INSTANCE = new ScalarGemm();

    @Override
    public void sgemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                      int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * ldc + j] : 0;
                for (int p = 0; p < k; p++) {
                    float av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                c[cOff + i * ldc + j] = (float) s;
            }
        }
    }

    @Override
    public void dgemm(boolean ta, boolean tb, int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff,
                      int ldb, double[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * ldc + j] : 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                c[cOff + i * ldc + j] = s;
            }
        }
    }

    @Override
    public String name() {
        return "naive";
    }
}
