package dev.kobai.tensor.kernel;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Gemm} on the incubating Vector API, in the packed, register-blocked style of GotoBLAS and
 * BLIS. Needs the {@code jdk.incubator.vector} module at run time; {@link Kernels} only loads this
 * class when it is present.
 *
 * <p>Structure, outermost first:
 * <ol>
 *   <li>C is split into one contiguous part per thread ({@link Parallel}), by rows or by columns,
 *       whichever duplicates less packing: each thread packs its own copy of the operand it does
 *       not split.
 *   <li>Columns of C in blocks of NC = {@value #NC}, and the k dimension in blocks of
 *       KC = {@value #KC}. The KC-by-NC block of op(B) is packed into panels NR columns wide,
 *       row after row, so the micro-kernel reads it with unit stride.
 *   <li>Rows of C in blocks of MC = {@value #MC}; the MC-by-KC block of op(A) is packed into panels
 *       MR = {@value #MR} rows tall, column after column.
 *   <li>The micro-kernel computes an MR-by-NR tile of C (NR = two vectors) in 2*MR vector
 *       accumulators held in registers across the whole KC loop: per step it loads two vectors of
 *       the B panel, broadcasts MR elements of the A panel and issues 2*MR fused multiply-adds.
 * </ol>
 *
 * <p>Why these sizes: 12 accumulators plus two B vectors and a broadcast fit the 16 vector
 * registers of AVX2 as well as the 32 of AVX-512, and 12 independent FMA chains hide the FMA
 * latency (4 cycles, 2 per cycle). A KC-by-NR panel of op(B) (32 KB of floats at KC = 256 with
 * 512-bit vectors) stays in L1 while the MC-by-KC block of op(A) (144 KB) streams from L2.
 * NC bounds the packed op(B) block per thread (2 MB of floats) so it stays within L3.
 *
 * <p>Edge tiles are computed at full size on zero-padded panels and written back through a small
 * per-thread tile, so the inner loop has no edge cases. All buffers are per thread and reused, so
 * a call allocates nothing once the buffers have grown to its size (apart from the small task
 * objects of a parallel split).
 *
 * <p>Small products skip the packing. Below the parallel threshold a product is a few
 * microseconds, and packing can cost as much as the arithmetic: for the 10x256x128 weight
 * gradient (A transposed) the packed op(B) block is 32K floats, more than C, for 330K
 * multiply-adds. When op(B) = B, a row of a column panel of op(B) is already contiguous in B, so
 * the direct path ({@code sDirect}) runs the register tile on B in place, ldb apart from one step
 * of k to the next, and reads the elements of op(A) from A by index. With 32 vector registers
 * (AVX-512) the tile is 6 rows by four vectors (24 accumulators), otherwise the 6-by-two tile of
 * the packed kernel. A bottom edge of mr &lt; MR rows reuses the last real
 * row of A for the missing ones and stores only mr rows, so one kernel serves every tile; columns
 * past the last whole panel go through the narrow kernel on a zero-padded copy of those columns.
 * Products that op(B) = B^T or that are split across threads stay packed (see {@code sgemm} for the
 * measurements).
 *
 * <p>A right operand that many products share can be packed once ({@link #packB}): all its panels,
 * k block after k block, in the layout step 2 builds per call, so those products only pack op(A).
 */
public final class VectorGemm implements Gemm {
    private static final VectorSpecies<Float> FS = VectorWidth.FLOAT;
    private static final VectorSpecies<Double> DS = VectorWidth.DOUBLE;
    private static final int FV = FS.length();
    private static final int DV = DS.length();
    private static final int MR = 6;
    private static final int FNR = 2 * FV;
    private static final int DNR = 2 * DV;
    private static final int KC = 256;
    private static final int MC = 24 * MR;
    private static final int NC = 2048;
    /**
     * Below this many multiply-adds (about 20 microseconds on one core) waking a second thread costs
     * more than it saves: at 2^18, the 256x10 layer shapes ran 2 to 4 times slower on two threads.
     */
    private static final long PARALLEL_WORK = 1L << 21;
    /**
     * Floats of B (32 KB) that a column block of the direct path may span, so that it stays in L1
     * (48 KB on Zen 5) as the row tiles sweep it. 16 KB would leave the 10x256x128 weight gradient
     * blocks of one 32-column panel, too narrow for the wide kernel (measured 5.5 against 4.2 us).
     */
    private static final int DIRECT_L1 = 8192;
    /**
     * Whether the direct path uses the wide kernel {@link #sDirectKernel4}, whose 24 accumulators
     * need the 32 vector registers of AVX-512 (on AVX2's 16 they would spill to the stack).
     */
    private static final boolean WIDE = VectorWidth.REGISTERS >= 32;

    private static final class Buffers {
        float[] fa = new float[0];
        /** The zero-padded last columns of B on the direct path. */
        float[] tail = new float[0];

        float[] tail(int size) {
            if (tail.length < size) {
                tail = new float[size];
            }
            return tail;
        }

        float[] fb = new float[0];
        final float[] ft = new float[MR * FNR];
        double[] da = new double[0];
        double[] db = new double[0];
        final double[] dt = new double[MR * DNR];

        float[] fa(int size) {
            if (fa.length < size) {
                fa = new float[size];
            }
            return fa;
        }

        float[] fb(int size) {
            if (fb.length < size) {
                fb = new float[size];
            }
            return fb;
        }

        double[] da(int size) {
            if (da.length < size) {
                da = new double[size];
            }
            return da;
        }

        double[] db(int size) {
            if (db.length < size) {
                db = new double[size];
            }
            return db;
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    @Override
    public String name() {
        return "vector(" + FS.vectorBitSize() + "-bit)";
    }

    @Override
    public String describe() {
        return name() + ": " + VectorWidth.describe() + "; float tile " + MR + "x" + FNR + " packed, " + MR + "x"
                + (WIDE ? 2 * FNR : FNR) + " direct; double tile " + MR + "x" + DNR;
    }

    private static int roundUp(int x, int unit) {
        return (x + unit - 1) / unit * unit;
    }

    // ---------------------------------------------------------------- float

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        GemmArgs.check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (GemmArgs.emptyProduct(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        if ((long) m * n * k <= PARALLEL_WORK || Parallel.threads() == 1 || Parallel.busy()) {
            // The direct path whenever op(B) = B. Against the packed path with 512-bit vectors,
            // over 334 shapes (m 12..256, n 64..784, k 8..256, both transA) it ran 1.0 to 2.6 times
            // as fast, apart from 0.97 to 0.99 at m 96..128, n 512, k 32; 1.5 to 2.2 times at k 300
            // to 600; and on AVX2 (-XX:UseAVX=2, narrow kernel) 1.2 to 2.6 times on 21 shapes.
            // With the narrow kernel on 512-bit vectors it lost up to 24% at larger m, n and k; the
            // wide kernel is what lets the rule be this simple. Split across threads, it was 0.88
            // to 1.18 times the packed path on large products, so those stay packed.
            // Long products (k above two KC blocks) stay packed even on one thread: the direct path
            // has no k blocking, so its column blocks of B outgrow L1 and L2 (1024-cubed on one
            // AVX-512 core: 34 GFLOP/s direct against OpenBLAS's 84).
            if (!transB && (k <= 2 * KC || (long) m * n * k <= PARALLEL_WORK)) {
                sDirect(transA, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, 0, m, 0, n);
            } else {
                sBlock(transA, transB, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, 0, m, 0, n);
            }
        } else {
            acrossThreads(m, n, FNR, (i0, i1, j0, j1) -> sBlock(transA, transB, k, a, aOff, lda, b, bOff, ldb,
                    c, cOff, ldc, accumulate, i0, i1, j0, j1));
        }
    }

    /** Computes rows [i0, i1) by columns [j0, j1) of C. */
    @FunctionalInterface
    private interface Block {
        void run(int i0, int i1, int j0, int j1);
    }

    /**
     * Runs {@code block} over C split into one contiguous part per thread: by columns, in whole
     * panels of {@code nr}, when C is wider than tall, else by rows in whole panels of MR, so
     * that each thread packs its own copy of the operand it does not split and the smaller one
     * is the one duplicated.
     */
    private static void acrossThreads(int m, int n, int nr, Block block) {
        if (n > m) {
            Parallel.forRange((n + nr - 1) / nr, 1, (from, to) -> block.run(0, m, from * nr, Math.min(n, to * nr)));
        } else {
            Parallel.forRange((m + MR - 1) / MR, 1, (from, to) -> block.run(from * MR, Math.min(m, to * MR), 0, n));
        }
    }

    /**
     * The packing-free path: computes rows [i0, i1) by columns [j0, j1) of C in 6-row register
     * tiles, four vectors wide ({@link #sDirectKernel4}) when {@link #WIDE} and two wide
     * ({@link #sDirectKernel}, the tile of {@link #sKernel}) for the rest, reading op(B) = B in
     * place (row p of a tile's panel is B[p][j..j+NR), contiguous, rows ldb apart) and the elements
     * of op(A) by index, so nothing is copied and no buffer is needed. Columns past the last whole
     * two-vector panel go through {@link #sDirectTail}.
     */
    private static void sDirect(boolean transA, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, boolean accumulate, int i0, int i1, int j0, int j1) {
        int jFull = j1 - (j1 - j0) % FNR;
        // Element (i, p) of op(A) is a[aOff + i*rowStep + p*colStep].
        int rowStep = transA ? 1 : lda;
        int colStep = transA ? lda : 1;
        // Columns in blocks whose k rows of B (at most DIRECT_L1 floats) stay in L1 while every row
        // tile sweeps them. At k = 10 one block holds all 256 columns of the layer 2 input gradient,
        // so C is written in whole rows, each row tile's A is read once, and the order measured 5 to
        // 8% faster than going down each column panel in turn.
        int ncb = Math.max(2 * FNR, DIRECT_L1 / k / (2 * FNR) * (2 * FNR));
        for (int jc = j0; jc < jFull; jc += ncb) {
            int jEnd = Math.min(jFull, jc + ncb);
            for (int ir = i0; ir < i1; ir += MR) {
                int mr = Math.min(MR, i1 - ir);
                int jr = jc;
                if (WIDE) {
                    for (; jr + 2 * FNR <= jEnd; jr += 2 * FNR) {
                        sDirectKernel4(k, a, aOff + ir * rowStep, rowStep, colStep, mr,
                                b, bOff + jr, ldb, c, cOff + ir * ldc + jr, ldc, !accumulate);
                    }
                }
                for (; jr < jEnd; jr += FNR) {
                    sDirectKernel(k, a, aOff + ir * rowStep, rowStep, colStep, mr,
                            b, bOff + jr, ldb, c, cOff + ir * ldc + jr, ldc, !accumulate);
                }
            }
        }
        if (jFull < j1) {
            sDirectTail(k, a, aOff, rowStep, colStep, i0, i1, b, bOff + jFull, ldb, c, cOff + jFull, ldc, accumulate,
                    j1 - jFull);
        }
    }

    /**
     * The last {@code nr} &lt; NR columns of the direct path: those columns of B are copied into a
     * zero-padded panel NR wide (one vector wide when they fit in one), the narrow kernel runs on it
     * into a tile, and the tile's first nr columns go to C. The packed path, which this replaced, packed all of op(A) for them: 40% of the
     * time of a convolution's 64x196x288 per-sample product (196 columns = 6 panels and 4). Masked
     * loads and stores were no better: where a masked vector reaches past the end of its array the
     * Vector API falls back to lane-by-lane code (4 GFLOP/s).
     */
    private static void sDirectTail(int k, float[] a, int aOff, int rowStep, int colStep, int i0, int i1,
                                    float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate,
                                    int nr) {
        Buffers buf = BUFFERS.get();
        // At most one vector of columns (the cnn preset's second convolution has 196 = 3 x 64 + 4
        // per sample) takes a tile one vector wide, half the work of the two-vector one, whose
        // second vector would be all padding: its forward pass and input gradient ran 15 to 25%
        // faster on one thread (alternated in one JVM, quiet machine). The same bits either way.
        int width = nr <= FV ? FV : FNR;
        float[] panel = buf.tail(k * width);
        for (int p = 0; p < k; p++) {
            System.arraycopy(b, bOff + p * ldb, panel, p * width, nr);
            Arrays.fill(panel, p * width + nr, (p + 1) * width, 0f);
        }
        float[] tile = buf.ft;
        for (int ir = i0; ir < i1; ir += MR) {
            int mr = Math.min(MR, i1 - ir);
            if (width == FV) {
                sDirectKernel1(k, a, aOff + ir * rowStep, rowStep, colStep, mr, panel, tile);
            } else {
                sDirectKernel(k, a, aOff + ir * rowStep, rowStep, colStep, mr, panel, 0, FNR, tile, 0, FNR, true);
            }
            for (int r = 0; r < mr; r++) {
                int row = cOff + (ir + r) * ldc;
                if (accumulate) {
                    for (int j = 0; j < nr; j++) {
                        c[row + j] += tile[r * width + j];
                    }
                } else {
                    System.arraycopy(tile, r * width, c, row, nr);
                }
            }
        }
    }

    /**
     * {@link #sDirectKernel} one vector wide on a panel of rows FV floats apart: tile[r * FV ..]
     * = rows of op(A) (the missing ones of a bottom edge repeating the last) times the panel.
     */
    private static void sDirectKernel1(int k, float[] a, int ao, int rowStep, int colStep, int mr, float[] panel,
                                       float[] tile) {
        int last = mr - 1;
        int a0 = ao;
        int a1 = ao + Math.min(1, last) * rowStep;
        int a2 = ao + Math.min(2, last) * rowStep;
        int a3 = ao + Math.min(3, last) * rowStep;
        int a4 = ao + Math.min(4, last) * rowStep;
        int a5 = ao + Math.min(5, last) * rowStep;
        FloatVector c0 = FloatVector.zero(FS), c1 = FloatVector.zero(FS), c2 = FloatVector.zero(FS);
        FloatVector c3 = FloatVector.zero(FS), c4 = FloatVector.zero(FS), c5 = FloatVector.zero(FS);
        for (int p = 0, q = 0, bo = 0; p < k; p++, q += colStep, bo += FV) {
            FloatVector b0 = FloatVector.fromArray(FS, panel, bo);
            c0 = FloatVector.broadcast(FS, a[a0 + q]).fma(b0, c0);
            c1 = FloatVector.broadcast(FS, a[a1 + q]).fma(b0, c1);
            c2 = FloatVector.broadcast(FS, a[a2 + q]).fma(b0, c2);
            c3 = FloatVector.broadcast(FS, a[a3 + q]).fma(b0, c3);
            c4 = FloatVector.broadcast(FS, a[a4 + q]).fma(b0, c4);
            c5 = FloatVector.broadcast(FS, a[a5 + q]).fma(b0, c5);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, FV);
        c2.intoArray(tile, 2 * FV);
        c3.intoArray(tile, 3 * FV);
        c4.intoArray(tile, 4 * FV);
        c5.intoArray(tile, 5 * FV);
    }

    /**
     * C[0..mr)[0..NR) (=|+=) rows of op(A) times k rows of B read in place; element (r, p) of the
     * op(A) rows is a[ao + r*rowStep + p*colStep]. For mr &lt; MR the missing rows repeat the last
     * real row (computed and not stored), so one kernel serves the bottom edge. The twelve
     * accumulators are separate locals for the same reason as in {@link #sKernel}.
     */
    private static void sDirectKernel(int k, float[] a, int ao, int rowStep, int colStep, int mr,
                                      float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean overwrite) {
        int last = mr - 1;
        int a0 = ao;
        int a1 = ao + Math.min(1, last) * rowStep;
        int a2 = ao + Math.min(2, last) * rowStep;
        int a3 = ao + Math.min(3, last) * rowStep;
        int a4 = ao + Math.min(4, last) * rowStep;
        int a5 = ao + Math.min(5, last) * rowStep;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        for (int p = 0, q = 0; p < k; p++, q += colStep, bo += ldb) {
            FloatVector b0 = FloatVector.fromArray(FS, b, bo);
            FloatVector b1 = FloatVector.fromArray(FS, b, bo + FV);
            FloatVector x = FloatVector.broadcast(FS, a[a0 + q]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FS, a[a1 + q]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FS, a[a2 + q]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FS, a[a3 + q]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(FS, a[a4 + q]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(FS, a[a5 + q]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        // Written out inline, as in sKernel: a helper taking vectors would box them.
        if (!overwrite) {
            c00 = c00.add(FloatVector.fromArray(FS, c, co));
            c01 = c01.add(FloatVector.fromArray(FS, c, co + FV));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + FV);
        if (mr > 1) {
            co += ldc;
            if (!overwrite) {
                c10 = c10.add(FloatVector.fromArray(FS, c, co));
                c11 = c11.add(FloatVector.fromArray(FS, c, co + FV));
            }
            c10.intoArray(c, co);
            c11.intoArray(c, co + FV);
        }
        if (mr > 2) {
            co += ldc;
            if (!overwrite) {
                c20 = c20.add(FloatVector.fromArray(FS, c, co));
                c21 = c21.add(FloatVector.fromArray(FS, c, co + FV));
            }
            c20.intoArray(c, co);
            c21.intoArray(c, co + FV);
        }
        if (mr > 3) {
            co += ldc;
            if (!overwrite) {
                c30 = c30.add(FloatVector.fromArray(FS, c, co));
                c31 = c31.add(FloatVector.fromArray(FS, c, co + FV));
            }
            c30.intoArray(c, co);
            c31.intoArray(c, co + FV);
        }
        if (mr > 4) {
            co += ldc;
            if (!overwrite) {
                c40 = c40.add(FloatVector.fromArray(FS, c, co));
                c41 = c41.add(FloatVector.fromArray(FS, c, co + FV));
            }
            c40.intoArray(c, co);
            c41.intoArray(c, co + FV);
        }
        if (mr > 5) {
            co += ldc;
            if (!overwrite) {
                c50 = c50.add(FloatVector.fromArray(FS, c, co));
                c51 = c51.add(FloatVector.fromArray(FS, c, co + FV));
            }
            c50.intoArray(c, co);
            c51.intoArray(c, co + FV);
        }
    }

    /**
     * {@link #sDirectKernel} four vectors wide: C[0..mr)[0..2*NR) in 24 accumulators. Per step of k
     * it loads four vectors of B and six elements of A for 24 multiply-adds, against two and six
     * for twelve in the narrow kernel, and the per-tile work (call, edge set-up, stores) is spread
     * over twice the columns. 24 accumulators, four B vectors and a broadcast need 29 vector
     * registers, so it is only used with 512-bit vectors, which on x86 come with AVX-512's 32.
     */
    private static void sDirectKernel4(int k, float[] a, int ao, int rowStep, int colStep, int mr,
                                       float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean overwrite) {
        int last = mr - 1;
        int a0 = ao;
        int a1 = ao + Math.min(1, last) * rowStep;
        int a2 = ao + Math.min(2, last) * rowStep;
        int a3 = ao + Math.min(3, last) * rowStep;
        int a4 = ao + Math.min(4, last) * rowStep;
        int a5 = ao + Math.min(5, last) * rowStep;
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS);
        FloatVector c02 = FloatVector.zero(FS), c03 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c12 = FloatVector.zero(FS), c13 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        FloatVector c22 = FloatVector.zero(FS), c23 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c32 = FloatVector.zero(FS), c33 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS);
        FloatVector c42 = FloatVector.zero(FS), c43 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        FloatVector c52 = FloatVector.zero(FS), c53 = FloatVector.zero(FS);
        for (int p = 0, q = 0; p < k; p++, q += colStep, bo += ldb) {
            FloatVector b0 = FloatVector.fromArray(FS, b, bo);
            FloatVector b1 = FloatVector.fromArray(FS, b, bo + FV);
            FloatVector b2 = FloatVector.fromArray(FS, b, bo + 2 * FV);
            FloatVector b3 = FloatVector.fromArray(FS, b, bo + 3 * FV);
            FloatVector x = FloatVector.broadcast(FS, a[a0 + q]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(FS, a[a1 + q]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(FS, a[a2 + q]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(FS, a[a3 + q]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(FS, a[a4 + q]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(FS, a[a5 + q]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            c53 = x.fma(b3, c53);
        }
        // Written out inline, as in sKernel: a helper taking vectors would box them.
        if (!overwrite) {
            c00 = c00.add(FloatVector.fromArray(FS, c, co));
            c01 = c01.add(FloatVector.fromArray(FS, c, co + FV));
            c02 = c02.add(FloatVector.fromArray(FS, c, co + 2 * FV));
            c03 = c03.add(FloatVector.fromArray(FS, c, co + 3 * FV));
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + FV);
        c02.intoArray(c, co + 2 * FV);
        c03.intoArray(c, co + 3 * FV);
        if (mr > 1) {
            co += ldc;
            if (!overwrite) {
                c10 = c10.add(FloatVector.fromArray(FS, c, co));
                c11 = c11.add(FloatVector.fromArray(FS, c, co + FV));
                c12 = c12.add(FloatVector.fromArray(FS, c, co + 2 * FV));
                c13 = c13.add(FloatVector.fromArray(FS, c, co + 3 * FV));
            }
            c10.intoArray(c, co);
            c11.intoArray(c, co + FV);
            c12.intoArray(c, co + 2 * FV);
            c13.intoArray(c, co + 3 * FV);
        }
        if (mr > 2) {
            co += ldc;
            if (!overwrite) {
                c20 = c20.add(FloatVector.fromArray(FS, c, co));
                c21 = c21.add(FloatVector.fromArray(FS, c, co + FV));
                c22 = c22.add(FloatVector.fromArray(FS, c, co + 2 * FV));
                c23 = c23.add(FloatVector.fromArray(FS, c, co + 3 * FV));
            }
            c20.intoArray(c, co);
            c21.intoArray(c, co + FV);
            c22.intoArray(c, co + 2 * FV);
            c23.intoArray(c, co + 3 * FV);
        }
        if (mr > 3) {
            co += ldc;
            if (!overwrite) {
                c30 = c30.add(FloatVector.fromArray(FS, c, co));
                c31 = c31.add(FloatVector.fromArray(FS, c, co + FV));
                c32 = c32.add(FloatVector.fromArray(FS, c, co + 2 * FV));
                c33 = c33.add(FloatVector.fromArray(FS, c, co + 3 * FV));
            }
            c30.intoArray(c, co);
            c31.intoArray(c, co + FV);
            c32.intoArray(c, co + 2 * FV);
            c33.intoArray(c, co + 3 * FV);
        }
        if (mr > 4) {
            co += ldc;
            if (!overwrite) {
                c40 = c40.add(FloatVector.fromArray(FS, c, co));
                c41 = c41.add(FloatVector.fromArray(FS, c, co + FV));
                c42 = c42.add(FloatVector.fromArray(FS, c, co + 2 * FV));
                c43 = c43.add(FloatVector.fromArray(FS, c, co + 3 * FV));
            }
            c40.intoArray(c, co);
            c41.intoArray(c, co + FV);
            c42.intoArray(c, co + 2 * FV);
            c43.intoArray(c, co + 3 * FV);
        }
        if (mr > 5) {
            co += ldc;
            if (!overwrite) {
                c50 = c50.add(FloatVector.fromArray(FS, c, co));
                c51 = c51.add(FloatVector.fromArray(FS, c, co + FV));
                c52 = c52.add(FloatVector.fromArray(FS, c, co + 2 * FV));
                c53 = c53.add(FloatVector.fromArray(FS, c, co + 3 * FV));
            }
            c50.intoArray(c, co);
            c51.intoArray(c, co + FV);
            c52.intoArray(c, co + 2 * FV);
            c53.intoArray(c, co + 3 * FV);
        }
    }

    /** Computes rows [i0, i1) by columns [j0, j1) of C on the calling thread. */
    private static void sBlock(boolean transA, boolean transB, int k,
                               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                               float[] c, int cOff, int ldc, boolean accumulate,
                               int i0, int i1, int j0, int j1) {
        Buffers buf = BUFFERS.get();
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            int kcStep = balancedKc(k);
            for (int pc = 0; pc < k; pc += kcStep) {
                int kc = Math.min(kcStep, k - pc);
                float[] bp = buf.fb(roundUp(nc, FNR) * kc);
                if (transB) {
                    sPackBt(b, bOff, ldb, pc, kc, jc, nc, bp, 0);
                } else {
                    sPackB(b, bOff, ldb, pc, kc, jc, nc, bp, 0);
                }
                sPanels(transA, a, aOff, lda, pc, kc, bp, 0, c, cOff, ldc, !accumulate && pc == 0, i0, i1, jc, nc,
                        buf);
            }
        }
    }

    /**
     * The rows [i0, i1) by columns [jc, jc + nc) of C for one k block [pc, pc + kc): op(A) packed
     * MC rows at a time, times the packed op(B) panels of those columns, found from {@code bpo} on
     * at kc NR floats each.
     */
    private static void sPanels(boolean transA, float[] a, int aOff, int lda, int pc, int kc, float[] bp, int bpo,
                                float[] c, int cOff, int ldc, boolean overwrite, int i0, int i1, int jc, int nc,
                                Buffers buf) {
        float[] tile = buf.ft;
        for (int ic = i0; ic < i1; ic += MC) {
            int mc = Math.min(MC, i1 - ic);
            float[] ap = buf.fa(roundUp(mc, MR) * kc);
            if (transA) {
                sPackAt(a, aOff, lda, pc, kc, ic, mc, ap);
            } else {
                sPackA(a, aOff, lda, pc, kc, ic, mc, ap);
            }
            for (int jr = 0; jr < nc; jr += FNR) {
                int nr = Math.min(FNR, nc - jr);
                for (int ir = 0; ir < mc; ir += MR) {
                    int mr = Math.min(MR, mc - ir);
                    sKernel(kc, ap, ir * kc, bp, bpo + jr * kc, c, cOff + (ic + ir) * ldc + jc + jr, ldc, overwrite,
                            mr, nr, tile);
                }
            }
        }
    }

    /**
     * op(B) in the panels {@link #sBlock} packs, all of them: for each k block (of
     * {@link #balancedKc}), the panels of every column in order, so the panel of columns [jr, jr +
     * NR) of the block starting at row pc is at pc * roundUp(n, NR) + jr * kc.
     */
    @Override
    public PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, PackedB reuse) {
        GemmArgs.checkB(transB, k, n, b.length, bOff, ldb);
        int width = roundUp(n, FNR);
        PackedB out = PackedB.reuseOrNew(reuse, this, k, n, width * k);
        if (n == 0 || k == 0) {
            return out;
        }
        int kcStep = balancedKc(k);
        for (int pc = 0; pc < k; pc += kcStep) {
            int kc = Math.min(kcStep, k - pc);
            if (transB) {
                sPackBt(b, bOff, ldb, pc, kc, 0, n, out.data, pc * width);
            } else {
                sPackB(b, bOff, ldb, pc, kc, 0, n, out.data, pc * width);
            }
        }
        return out;
    }

    /**
     * As the unpacked product, split across threads the same way, with the packing of op(B) done
     * once beforehand; op(A) is still packed per call (it is the operand that changes).
     */
    @Override
    public void sgemm(boolean transA, int m, float[] a, int aOff, int lda, PackedB b,
                      float[] c, int cOff, int ldc, boolean accumulate) {
        int n = b.n;
        int k = b.k;
        b.requirePackedBy(this);
        GemmArgs.check(transA, false, m, n, k, a.length, aOff, lda, k * n, 0, n, c.length, cOff, ldc);
        if (GemmArgs.emptyProduct(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        if ((long) m * n * k <= PARALLEL_WORK || Parallel.threads() == 1 || Parallel.busy()) {
            sBlockPacked(transA, a, aOff, lda, b, c, cOff, ldc, accumulate, 0, m, 0, n);
        } else {
            acrossThreads(m, n, FNR, (i0, i1, j0, j1) -> sBlockPacked(transA, a, aOff, lda, b, c, cOff, ldc,
                    accumulate, i0, i1, j0, j1));
        }
    }

    /** {@link #sBlock} on a packed op(B): rows [i0, i1) by columns [j0, j1) of C, j0 a multiple of NR. */
    private static void sBlockPacked(boolean transA, float[] a, int aOff, int lda, PackedB b,
                                     float[] c, int cOff, int ldc, boolean accumulate,
                                     int i0, int i1, int j0, int j1) {
        Buffers buf = BUFFERS.get();
        int k = b.k;
        int width = roundUp(b.n, FNR);
        int kcStep = balancedKc(k);
        for (int pc = 0; pc < k; pc += kcStep) {
            int kc = Math.min(kcStep, k - pc);
            sPanels(transA, a, aOff, lda, pc, kc, b.data, pc * width + j0 * kc, c, cOff, ldc, !accumulate && pc == 0,
                    i0, i1, j0, j1 - j0, buf);
        }
    }

    /**
     * The k block: at most KC, with the blocks of a product about equal (the last one shorter by less
     * than their number). k = 784 (the first layer of a Fashion-MNIST MLP) then runs as 4 x 196
     * rather than 3 x 256 + 16, whose last block paid a full pass of loads and stores of C and a
     * packing of A and B for 16 steps of work.
     */
    static int balancedKc(int k) {
        int blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / blocks;
    }

    /** op(B) = B: panel rows are contiguous in B, so copy them a vector at a time. */
    private static void sPackB(float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, float[] bp, int bpo) {
        for (int jr = 0; jr < nc; jr += FNR) {
            int nr = Math.min(FNR, nc - jr);
            int src = bOff + pc * ldb + jc + jr;
            int dst = bpo + jr * kc;
            if (nr == FNR) {
                for (int p = 0; p < kc; p++, src += ldb, dst += FNR) {
                    FloatVector.fromArray(FS, b, src).intoArray(bp, dst);
                    FloatVector.fromArray(FS, b, src + FV).intoArray(bp, dst + FV);
                }
            } else {
                for (int p = 0; p < kc; p++, src += ldb, dst += FNR) {
                    for (int j = 0; j < nr; j++) {
                        bp[dst + j] = b[src + j];
                    }
                    Arrays.fill(bp, dst + nr, dst + FNR, 0f);
                }
            }
        }
    }

    /** op(B) = B^T: column j of op(B) is row j of B, read contiguously and scattered into the panel. */
    private static void sPackBt(float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, float[] bp, int bpo) {
        for (int jr = 0; jr < nc; jr += FNR) {
            int nr = Math.min(FNR, nc - jr);
            int dst = bpo + jr * kc;
            for (int j = 0; j < nr; j++) {
                int src = bOff + (jc + jr + j) * ldb + pc;
                for (int p = 0, d = dst + j; p < kc; p++, d += FNR) {
                    bp[d] = b[src + p];
                }
            }
            for (int j = nr; j < FNR; j++) {
                for (int p = 0, d = dst + j; p < kc; p++, d += FNR) {
                    bp[d] = 0f;
                }
            }
        }
    }

    /** op(A) = A: row i of the panel is contiguous in A and is scattered with stride MR. */
    private static void sPackA(float[] a, int aOff, int lda, int pc, int kc, int ic, int mc, float[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int dst = ir * kc;
            for (int r = 0; r < mr; r++) {
                int src = aOff + (ic + ir + r) * lda + pc;
                for (int p = 0, d = dst + r; p < kc; p++, d += MR) {
                    ap[d] = a[src + p];
                }
            }
            for (int r = mr; r < MR; r++) {
                for (int p = 0, d = dst + r; p < kc; p++, d += MR) {
                    ap[d] = 0f;
                }
            }
        }
    }

    /** op(A) = A^T: the MR elements of one panel column are contiguous in a row of A. */
    private static void sPackAt(float[] a, int aOff, int lda, int pc, int kc, int ic, int mc, float[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int dst = ir * kc;
            int src = aOff + pc * lda + ic + ir;
            for (int p = 0; p < kc; p++, src += lda, dst += MR) {
                for (int r = 0; r < mr; r++) {
                    ap[dst + r] = a[src + r];
                }
                for (int r = mr; r < MR; r++) {
                    ap[dst + r] = 0f;
                }
            }
        }
    }

    /**
     * C[0..mr)[0..nr) (=|+=) Apanel * Bpanel over kc steps. The twelve accumulators are separate
     * locals, not an array, so that C2 keeps them in registers.
     */
    private static void sKernel(int kc, float[] ap, int ao, float[] bp, int bo,
                                float[] c, int co, int ldc, boolean overwrite, int mr, int nr, float[] tile) {
        FloatVector c00 = FloatVector.zero(FS), c01 = FloatVector.zero(FS);
        FloatVector c10 = FloatVector.zero(FS), c11 = FloatVector.zero(FS);
        FloatVector c20 = FloatVector.zero(FS), c21 = FloatVector.zero(FS);
        FloatVector c30 = FloatVector.zero(FS), c31 = FloatVector.zero(FS);
        FloatVector c40 = FloatVector.zero(FS), c41 = FloatVector.zero(FS);
        FloatVector c50 = FloatVector.zero(FS), c51 = FloatVector.zero(FS);
        for (int p = 0; p < kc; p++, ao += MR, bo += FNR) {
            FloatVector b0 = FloatVector.fromArray(FS, bp, bo);
            FloatVector b1 = FloatVector.fromArray(FS, bp, bo + FV);
            FloatVector x = FloatVector.broadcast(FS, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(FS, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(FS, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(FS, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(FS, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(FS, ap[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        if (mr == MR && nr == FNR) {
            // Loads, adds and stores written out inline: a helper method taking vectors stops being
            // inlined once this method is large, and the vectors would then be boxed on every tile.
            if (!overwrite) {
                c00 = c00.add(FloatVector.fromArray(FS, c, co));
                c01 = c01.add(FloatVector.fromArray(FS, c, co + FV));
                c10 = c10.add(FloatVector.fromArray(FS, c, co + ldc));
                c11 = c11.add(FloatVector.fromArray(FS, c, co + ldc + FV));
                c20 = c20.add(FloatVector.fromArray(FS, c, co + 2 * ldc));
                c21 = c21.add(FloatVector.fromArray(FS, c, co + 2 * ldc + FV));
                c30 = c30.add(FloatVector.fromArray(FS, c, co + 3 * ldc));
                c31 = c31.add(FloatVector.fromArray(FS, c, co + 3 * ldc + FV));
                c40 = c40.add(FloatVector.fromArray(FS, c, co + 4 * ldc));
                c41 = c41.add(FloatVector.fromArray(FS, c, co + 4 * ldc + FV));
                c50 = c50.add(FloatVector.fromArray(FS, c, co + 5 * ldc));
                c51 = c51.add(FloatVector.fromArray(FS, c, co + 5 * ldc + FV));
            }
            c00.intoArray(c, co);
            c01.intoArray(c, co + FV);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + FV);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + FV);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + FV);
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, co + 4 * ldc + FV);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, co + 5 * ldc + FV);
            return;
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, FV);
        c10.intoArray(tile, FNR);
        c11.intoArray(tile, FNR + FV);
        c20.intoArray(tile, 2 * FNR);
        c21.intoArray(tile, 2 * FNR + FV);
        c30.intoArray(tile, 3 * FNR);
        c31.intoArray(tile, 3 * FNR + FV);
        c40.intoArray(tile, 4 * FNR);
        c41.intoArray(tile, 4 * FNR + FV);
        c50.intoArray(tile, 5 * FNR);
        c51.intoArray(tile, 5 * FNR + FV);
        for (int r = 0; r < mr; r++) {
            int row = co + r * ldc;
            int t = r * FNR;
            if (overwrite) {
                System.arraycopy(tile, t, c, row, nr);
            } else {
                for (int j = 0; j < nr; j++) {
                    c[row + j] += tile[t + j];
                }
            }
        }
    }

    // --------------------------------------------------------------- double
    // The float half above with double vectors; its comments apply here too.

    @Override
    public void dgemm(boolean transA, boolean transB, int m, int n, int k,
                      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                      double[] c, int cOff, int ldc, boolean accumulate) {
        GemmArgs.check(transA, transB, m, n, k, a.length, aOff, lda, b.length, bOff, ldb, c.length, cOff, ldc);
        if (GemmArgs.emptyProduct(m, n, k, c, cOff, ldc, accumulate)) {
            return;
        }
        if ((long) m * n * k <= PARALLEL_WORK || Parallel.threads() == 1 || Parallel.busy()) {
            dBlock(transA, transB, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, 0, m, 0, n);
        } else {
            acrossThreads(m, n, DNR, (i0, i1, j0, j1) -> dBlock(transA, transB, k, a, aOff, lda, b, bOff, ldb,
                    c, cOff, ldc, accumulate, i0, i1, j0, j1));
        }
    }

    private static void dBlock(boolean transA, boolean transB, int k,
                               double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                               double[] c, int cOff, int ldc, boolean accumulate,
                               int i0, int i1, int j0, int j1) {
        Buffers buf = BUFFERS.get();
        double[] tile = buf.dt;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            int kcStep = balancedKc(k);
            for (int pc = 0; pc < k; pc += kcStep) {
                int kc = Math.min(kcStep, k - pc);
                double[] bp = buf.db(roundUp(nc, DNR) * kc);
                if (transB) {
                    dPackBt(b, bOff, ldb, pc, kc, jc, nc, bp);
                } else {
                    dPackB(b, bOff, ldb, pc, kc, jc, nc, bp);
                }
                boolean overwrite = !accumulate && pc == 0;
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    double[] ap = buf.da(roundUp(mc, MR) * kc);
                    if (transA) {
                        dPackAt(a, aOff, lda, pc, kc, ic, mc, ap);
                    } else {
                        dPackA(a, aOff, lda, pc, kc, ic, mc, ap);
                    }
                    for (int jr = 0; jr < nc; jr += DNR) {
                        int nr = Math.min(DNR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            dKernel(kc, ap, ir * kc, bp, jr * kc, c, cOff + (ic + ir) * ldc + jc + jr, ldc,
                                    overwrite, mr, nr, tile);
                        }
                    }
                }
            }
        }
    }

    private static void dPackB(double[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, double[] bp) {
        for (int jr = 0; jr < nc; jr += DNR) {
            int nr = Math.min(DNR, nc - jr);
            int src = bOff + pc * ldb + jc + jr;
            int dst = jr * kc;
            if (nr == DNR) {
                for (int p = 0; p < kc; p++, src += ldb, dst += DNR) {
                    DoubleVector.fromArray(DS, b, src).intoArray(bp, dst);
                    DoubleVector.fromArray(DS, b, src + DV).intoArray(bp, dst + DV);
                }
            } else {
                for (int p = 0; p < kc; p++, src += ldb, dst += DNR) {
                    for (int j = 0; j < nr; j++) {
                        bp[dst + j] = b[src + j];
                    }
                    Arrays.fill(bp, dst + nr, dst + DNR, 0d);
                }
            }
        }
    }

    private static void dPackBt(double[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, double[] bp) {
        for (int jr = 0; jr < nc; jr += DNR) {
            int nr = Math.min(DNR, nc - jr);
            int dst = jr * kc;
            for (int j = 0; j < nr; j++) {
                int src = bOff + (jc + jr + j) * ldb + pc;
                for (int p = 0, d = dst + j; p < kc; p++, d += DNR) {
                    bp[d] = b[src + p];
                }
            }
            for (int j = nr; j < DNR; j++) {
                for (int p = 0, d = dst + j; p < kc; p++, d += DNR) {
                    bp[d] = 0d;
                }
            }
        }
    }

    private static void dPackA(double[] a, int aOff, int lda, int pc, int kc, int ic, int mc, double[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int dst = ir * kc;
            for (int r = 0; r < mr; r++) {
                int src = aOff + (ic + ir + r) * lda + pc;
                for (int p = 0, d = dst + r; p < kc; p++, d += MR) {
                    ap[d] = a[src + p];
                }
            }
            for (int r = mr; r < MR; r++) {
                for (int p = 0, d = dst + r; p < kc; p++, d += MR) {
                    ap[d] = 0d;
                }
            }
        }
    }

    private static void dPackAt(double[] a, int aOff, int lda, int pc, int kc, int ic, int mc, double[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int dst = ir * kc;
            int src = aOff + pc * lda + ic + ir;
            for (int p = 0; p < kc; p++, src += lda, dst += MR) {
                for (int r = 0; r < mr; r++) {
                    ap[dst + r] = a[src + r];
                }
                for (int r = mr; r < MR; r++) {
                    ap[dst + r] = 0d;
                }
            }
        }
    }

    private static void dKernel(int kc, double[] ap, int ao, double[] bp, int bo,
                                double[] c, int co, int ldc, boolean overwrite, int mr, int nr, double[] tile) {
        DoubleVector c00 = DoubleVector.zero(DS), c01 = DoubleVector.zero(DS);
        DoubleVector c10 = DoubleVector.zero(DS), c11 = DoubleVector.zero(DS);
        DoubleVector c20 = DoubleVector.zero(DS), c21 = DoubleVector.zero(DS);
        DoubleVector c30 = DoubleVector.zero(DS), c31 = DoubleVector.zero(DS);
        DoubleVector c40 = DoubleVector.zero(DS), c41 = DoubleVector.zero(DS);
        DoubleVector c50 = DoubleVector.zero(DS), c51 = DoubleVector.zero(DS);
        for (int p = 0; p < kc; p++, ao += MR, bo += DNR) {
            DoubleVector b0 = DoubleVector.fromArray(DS, bp, bo);
            DoubleVector b1 = DoubleVector.fromArray(DS, bp, bo + DV);
            DoubleVector x = DoubleVector.broadcast(DS, ap[ao]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = DoubleVector.broadcast(DS, ap[ao + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = DoubleVector.broadcast(DS, ap[ao + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = DoubleVector.broadcast(DS, ap[ao + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = DoubleVector.broadcast(DS, ap[ao + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = DoubleVector.broadcast(DS, ap[ao + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        if (mr == MR && nr == DNR) {
            if (!overwrite) {
                c00 = c00.add(DoubleVector.fromArray(DS, c, co));
                c01 = c01.add(DoubleVector.fromArray(DS, c, co + DV));
                c10 = c10.add(DoubleVector.fromArray(DS, c, co + ldc));
                c11 = c11.add(DoubleVector.fromArray(DS, c, co + ldc + DV));
                c20 = c20.add(DoubleVector.fromArray(DS, c, co + 2 * ldc));
                c21 = c21.add(DoubleVector.fromArray(DS, c, co + 2 * ldc + DV));
                c30 = c30.add(DoubleVector.fromArray(DS, c, co + 3 * ldc));
                c31 = c31.add(DoubleVector.fromArray(DS, c, co + 3 * ldc + DV));
                c40 = c40.add(DoubleVector.fromArray(DS, c, co + 4 * ldc));
                c41 = c41.add(DoubleVector.fromArray(DS, c, co + 4 * ldc + DV));
                c50 = c50.add(DoubleVector.fromArray(DS, c, co + 5 * ldc));
                c51 = c51.add(DoubleVector.fromArray(DS, c, co + 5 * ldc + DV));
            }
            c00.intoArray(c, co);
            c01.intoArray(c, co + DV);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + DV);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + DV);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + DV);
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, co + 4 * ldc + DV);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, co + 5 * ldc + DV);
            return;
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, DV);
        c10.intoArray(tile, DNR);
        c11.intoArray(tile, DNR + DV);
        c20.intoArray(tile, 2 * DNR);
        c21.intoArray(tile, 2 * DNR + DV);
        c30.intoArray(tile, 3 * DNR);
        c31.intoArray(tile, 3 * DNR + DV);
        c40.intoArray(tile, 4 * DNR);
        c41.intoArray(tile, 4 * DNR + DV);
        c50.intoArray(tile, 5 * DNR);
        c51.intoArray(tile, 5 * DNR + DV);
        for (int r = 0; r < mr; r++) {
            int row = co + r * ldc;
            int t = r * DNR;
            if (overwrite) {
                System.arraycopy(tile, t, c, row, nr);
            } else {
                for (int j = 0; j < nr; j++) {
                    c[row + j] += tile[t + j];
                }
            }
        }
    }
}
