package dev.kobai.tensor;

import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
import java.util.Arrays;

/**
 * Element-wise operations, each forward kernel beside its backward rule. Kernels are plain loops
 * over primitive arrays, one loop per operation and dtype (the switch sits outside the loop), split
 * across cores above {@link #GRAIN} elements.
 */
final class Pointwise {
    /** Below this many elements a loop runs on the calling thread. */
    static final int GRAIN = 1 << 15;
    /**
     * Whether the loops of {@link VectorLoops} are used (ReLU here, the finiteness check in
     * {@link Reduce}); the scalar loops are their fallback and reference.
     */
    static final boolean VECTOR = Kernels.vectorAvailable();

    private Pointwise() {}

    enum Unary { NEG, EXP, SOFTPLUS, LOG, SIN, COS, TANH, SIGMOID, RELU, SQRT, ABS, SIGN, STEP, ADD_SCALAR, MUL_SCALAR, RSUB_SCALAR,
        POW_SCALAR, CLAMP_MIN, CLAMP_MAX, MASK_GE, MASK_LE }

    /** RELU_GRAD(g, x) = g where x > 0, else 0: ReLU's backward in one pass, differentiable in g. */
    enum Binary { ADD, SUB, MUL, DIV, MAX, MIN, GE, LT, LE, GT, RELU_GRAD }

    // ---------------------------------------------------------------- unary

    static Tensor unary(Unary op, Tensor x, double p) {
        Tensor y = constantUnary(op, x, p);
        if (!Tensor.recording(x)) {
            return y;
        }
        return Tensor.record(y, op.name().toLowerCase(java.util.Locale.ROOT), g -> new Tensor[] {unaryBackward(op, x, y, p, g)}, x);
    }

    /** Computes without recording: for masks and for operations whose derivative is zero. */
    static Tensor constantUnary(Unary op, Tensor x, double p) {
        Tensor y = x.newEmpty(x.shape);
        boolean vectorRelu = op == Unary.RELU && VECTOR;
        if (x.f != null) {
            Parallel.forRange(x.size, GRAIN, (lo, hi) -> {
                if (vectorRelu) {
                    VectorLoops.forward(x.f, y.f, lo, hi);
                } else {
                    unaryKernel(op, p, x.f, y.f, lo, hi);
                }
            });
        } else {
            Parallel.forRange(x.size, GRAIN, (lo, hi) -> {
                if (vectorRelu) {
                    VectorLoops.forward(x.d, y.d, lo, hi);
                } else {
                    unaryKernel(op, p, x.d, y.d, lo, hi);
                }
            });
        }
        return y;
    }

    private static Tensor unaryBackward(Unary op, Tensor x, Tensor y, double p, Tensor g) {
        return switch (op) {
            case NEG -> g.neg();
            case EXP -> g.mul(y);
            case SOFTPLUS -> g.mul(x.sigmoid());
            case LOG -> g.div(x);
            case SIN -> g.mul(x.cos());
            case COS -> g.mul(x.sin()).neg();
            case TANH -> g.mul(y.square().rsub(1));
            case SIGMOID -> g.mul(y.mul(y.rsub(1)));
            case RELU -> binary(Binary.RELU_GRAD, g, x);
            case SQRT -> g.div(y.mul(2));
            case ABS -> g.mul(constantUnary(Unary.SIGN, x, 0));
            case ADD_SCALAR -> g;
            case MUL_SCALAR -> g.mul(p);
            case RSUB_SCALAR -> g.neg();
            case POW_SCALAR -> p == 0 ? g.mul(0) : p == 1 ? g : p == 2 ? g.mul(x.mul(2)) : g.mul(x.pow(p - 1).mul(p));
            case CLAMP_MIN -> g.mul(constantUnary(Unary.MASK_GE, x, p));
            case CLAMP_MAX -> g.mul(constantUnary(Unary.MASK_LE, x, p));
            case SIGN, STEP, MASK_GE, MASK_LE -> g.mul(0);
        };
    }

    static void unaryKernel(Unary op, double p, float[] x, float[] y, int lo, int hi) {
        float pf = (float) p;
        switch (op) {
            case NEG -> { for (int i = lo; i < hi; i++) y[i] = -x[i]; }
            case EXP -> { for (int i = lo; i < hi; i++) y[i] = (float) Math.exp(x[i]); }
            case SOFTPLUS -> { for (int i = lo; i < hi; i++) y[i] = (float) softplus(x[i]); }
            case LOG -> { for (int i = lo; i < hi; i++) y[i] = (float) Math.log(x[i]); }
            case SIN -> { for (int i = lo; i < hi; i++) y[i] = (float) Math.sin(x[i]); }
            case COS -> { for (int i = lo; i < hi; i++) y[i] = (float) Math.cos(x[i]); }
            case TANH -> { for (int i = lo; i < hi; i++) y[i] = (float) Math.tanh(x[i]); }
            case SIGMOID -> { for (int i = lo; i < hi; i++) y[i] = (float) sigmoid(x[i]); }
            case RELU -> { for (int i = lo; i < hi; i++) y[i] = x[i] < 0 ? 0f : x[i]; }
            case SQRT -> { for (int i = lo; i < hi; i++) y[i] = (float) Math.sqrt(x[i]); }
            case ABS -> { for (int i = lo; i < hi; i++) y[i] = Math.abs(x[i]); }
            case SIGN -> { for (int i = lo; i < hi; i++) y[i] = Math.signum(x[i]); }
            case STEP -> { for (int i = lo; i < hi; i++) y[i] = x[i] > 0 ? 1f : 0f; }
            case ADD_SCALAR -> { for (int i = lo; i < hi; i++) y[i] = x[i] + pf; }
            case MUL_SCALAR -> { for (int i = lo; i < hi; i++) y[i] = x[i] * pf; }
            case RSUB_SCALAR -> { for (int i = lo; i < hi; i++) y[i] = pf - x[i]; }
            case POW_SCALAR -> {
                if (p == 2) {
                    for (int i = lo; i < hi; i++) y[i] = x[i] * x[i];
                } else {
                    for (int i = lo; i < hi; i++) y[i] = (float) Math.pow(x[i], p);
                }
            }
            case CLAMP_MIN -> { for (int i = lo; i < hi; i++) y[i] = Math.max(x[i], pf); }
            case CLAMP_MAX -> { for (int i = lo; i < hi; i++) y[i] = Math.min(x[i], pf); }
            case MASK_GE -> { for (int i = lo; i < hi; i++) y[i] = x[i] >= pf ? 1f : 0f; }
            case MASK_LE -> { for (int i = lo; i < hi; i++) y[i] = x[i] <= pf ? 1f : 0f; }
        }
    }

    static void unaryKernel(Unary op, double p, double[] x, double[] y, int lo, int hi) {
        switch (op) {
            case NEG -> { for (int i = lo; i < hi; i++) y[i] = -x[i]; }
            case EXP -> { for (int i = lo; i < hi; i++) y[i] = Math.exp(x[i]); }
            case SOFTPLUS -> { for (int i = lo; i < hi; i++) y[i] = softplus(x[i]); }
            case LOG -> { for (int i = lo; i < hi; i++) y[i] = Math.log(x[i]); }
            case SIN -> { for (int i = lo; i < hi; i++) y[i] = Math.sin(x[i]); }
            case COS -> { for (int i = lo; i < hi; i++) y[i] = Math.cos(x[i]); }
            case TANH -> { for (int i = lo; i < hi; i++) y[i] = Math.tanh(x[i]); }
            case SIGMOID -> { for (int i = lo; i < hi; i++) y[i] = sigmoid(x[i]); }
            case RELU -> { for (int i = lo; i < hi; i++) y[i] = x[i] < 0 ? 0d : x[i]; }
            case SQRT -> { for (int i = lo; i < hi; i++) y[i] = Math.sqrt(x[i]); }
            case ABS -> { for (int i = lo; i < hi; i++) y[i] = Math.abs(x[i]); }
            case SIGN -> { for (int i = lo; i < hi; i++) y[i] = Math.signum(x[i]); }
            case STEP -> { for (int i = lo; i < hi; i++) y[i] = x[i] > 0 ? 1d : 0d; }
            case ADD_SCALAR -> { for (int i = lo; i < hi; i++) y[i] = x[i] + p; }
            case MUL_SCALAR -> { for (int i = lo; i < hi; i++) y[i] = x[i] * p; }
            case RSUB_SCALAR -> { for (int i = lo; i < hi; i++) y[i] = p - x[i]; }
            case POW_SCALAR -> {
                if (p == 2) {
                    for (int i = lo; i < hi; i++) y[i] = x[i] * x[i];
                } else {
                    for (int i = lo; i < hi; i++) y[i] = Math.pow(x[i], p);
                }
            }
            case CLAMP_MIN -> { for (int i = lo; i < hi; i++) y[i] = Math.max(x[i], p); }
            case CLAMP_MAX -> { for (int i = lo; i < hi; i++) y[i] = Math.min(x[i], p); }
            case MASK_GE -> { for (int i = lo; i < hi; i++) y[i] = x[i] >= p ? 1d : 0d; }
            case MASK_LE -> { for (int i = lo; i < hi; i++) y[i] = x[i] <= p ? 1d : 0d; }
        }
    }

    /** log(1 + e^x), written so that it neither overflows for large x nor loses digits for very negative x. */
    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** 1/(1+e^-x), written so that neither branch overflows. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    // ---------------------------------------------------------------- binary with broadcasting

    static Tensor binary(Binary op, Tensor a, Tensor b) {
        Tensor out = constantBinary(op, a, b);
        if (!Tensor.recording(a, b)) {
            return out;
        }
        return Tensor.record(out, op.name().toLowerCase(java.util.Locale.ROOT),
                g -> binaryBackward(op, a, b, out, g), a, b);
    }

    private static Tensor[] binaryBackward(Binary op, Tensor a, Tensor b, Tensor out, Tensor g) {
        Tensor ga = null;
        Tensor gb = null;
        switch (op) {
            case ADD -> {
                ga = g;
                gb = g;
            }
            case SUB -> {
                ga = g;
                gb = b.requiresGrad ? g.neg() : null;
            }
            case MUL -> {
                ga = a.requiresGrad ? g.mul(b) : null;
                gb = b.requiresGrad ? g.mul(a) : null;
            }
            case DIV -> {
                ga = a.requiresGrad ? g.div(b) : null;
                gb = b.requiresGrad ? g.mul(a).div(b.square()).neg() : null;
            }
            case MAX, MIN -> {
                Binary aWins = op == Binary.MAX ? Binary.GE : Binary.LE;
                Binary bWins = op == Binary.MAX ? Binary.LT : Binary.GT;
                ga = a.requiresGrad ? g.mul(constantBinary(aWins, a, b)) : null;
                gb = b.requiresGrad ? g.mul(constantBinary(bWins, a, b)) : null;
            }
            case GE, LT, LE, GT -> {
                ga = a.requiresGrad ? g.mul(0) : null;
                gb = b.requiresGrad ? g.mul(0) : null;
            }
            case RELU_GRAD -> {
                // Linear in a with the constant mask x > 0; the mask's derivative in x is zero a.e.
                ga = a.requiresGrad ? binary(Binary.RELU_GRAD, g, b) : null;
                gb = b.requiresGrad ? g.mul(0) : null;
            }
        }
        if (ga != null && a.requiresGrad) {
            ga = Reduce.sumTo(ga, a.shape);
        } else {
            ga = null;
        }
        if (gb != null && b.requiresGrad) {
            gb = Reduce.sumTo(gb, b.shape);
        } else {
            gb = null;
        }
        return new Tensor[] {ga, gb};
    }

    /** The forward computation alone, recording nothing. */
    static Tensor constantBinary(Binary op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        Tensor.checkSameDtype(name, a, b);
        int[] outShape = Shape.broadcast(a.shape, b.shape, name);
        Tensor out = a.newEmpty(outShape);
        int n = out.size;
        if (Arrays.equals(a.shape, outShape) && Arrays.equals(b.shape, outShape)) {
            run(op, a, 0, b, 0, out, 0, n, false);
        } else if (Arrays.equals(a.shape, outShape) && b.size == 1) {
            run(op, a, 0, b, 0, out, 0, n, true);
        } else if (Arrays.equals(a.shape, outShape) && Shape.isSuffix(b.shape, outShape) && b.size > 0) {
            int row = b.size;
            int rows = n / row;
            Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, row)), (lo, hi) -> {
                for (int r = lo; r < hi; r++) {
                    kernel(op, a, r * row, b, 0, out, r * row, row, false);
                }
            });
        } else {
            Tensor ae = Arrays.equals(a.shape, outShape) ? a : ShapeOps.expand(a, outShape);
            Tensor be = Arrays.equals(b.shape, outShape) ? b : ShapeOps.expand(b, outShape);
            run(op, ae, 0, be, 0, out, 0, n, false);
        }
        return out;
    }

    private static void run(Binary op, Tensor a, int ao, Tensor b, int bo, Tensor out, int oo, int n, boolean bScalar) {
        Parallel.forRange(n, GRAIN, (lo, hi) -> kernel(op, a, ao + lo, b, bScalar ? bo : bo + lo, out, oo + lo, hi - lo, bScalar));
    }

    private static void kernel(Binary op, Tensor a, int ao, Tensor b, int bo, Tensor out, int oo, int n, boolean bScalar) {
        boolean vectorRelu = op == Binary.RELU_GRAD && !bScalar && VECTOR;
        if (a.f != null) {
            if (vectorRelu) {
                VectorLoops.backward(a.f, ao, b.f, bo, out.f, oo, n);
            } else {
                scalarKernel(op, a.f, ao, b.f, bo, out.f, oo, n, bScalar);
            }
        } else {
            if (vectorRelu) {
                VectorLoops.backward(a.d, ao, b.d, bo, out.d, oo, n);
            } else {
                scalarKernel(op, a.d, ao, b.d, bo, out.d, oo, n, bScalar);
            }
        }
    }

    static void scalarKernel(Binary op, float[] a, int ao, float[] b, int bo, float[] o, int oo, int n, boolean bs) {
        if (bs) {
            float s = b[bo];
            switch (op) {
                case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + s; }
                case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - s; }
                case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * s; }
                case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / s; }
                case MAX -> { for (int i = 0; i < n; i++) o[oo + i] = Math.max(a[ao + i], s); }
                case MIN -> { for (int i = 0; i < n; i++) o[oo + i] = Math.min(a[ao + i], s); }
                case GE -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] >= s ? 1f : 0f; }
                case LT -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] < s ? 1f : 0f; }
                case LE -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] <= s ? 1f : 0f; }
                case GT -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > s ? 1f : 0f; }
                case RELU_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = s <= 0 ? 0f : a[ao + i]; }
            }
            return;
        }
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i]; }
            case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i]; }
            case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i]; }
            case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i]; }
            case MAX -> { for (int i = 0; i < n; i++) o[oo + i] = Math.max(a[ao + i], b[bo + i]); }
            case MIN -> { for (int i = 0; i < n; i++) o[oo + i] = Math.min(a[ao + i], b[bo + i]); }
            case GE -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] >= b[bo + i] ? 1f : 0f; }
            case LT -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] < b[bo + i] ? 1f : 0f; }
            case LE -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] <= b[bo + i] ? 1f : 0f; }
            case GT -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > b[bo + i] ? 1f : 0f; }
            case RELU_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = b[bo + i] <= 0 ? 0f : a[ao + i]; }
        }
    }

    static void scalarKernel(Binary op, double[] a, int ao, double[] b, int bo, double[] o, int oo, int n, boolean bs) {
        if (bs) {
            double s = b[bo];
            switch (op) {
                case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + s; }
                case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - s; }
                case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * s; }
                case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / s; }
                case MAX -> { for (int i = 0; i < n; i++) o[oo + i] = Math.max(a[ao + i], s); }
                case MIN -> { for (int i = 0; i < n; i++) o[oo + i] = Math.min(a[ao + i], s); }
                case GE -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] >= s ? 1d : 0d; }
                case LT -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] < s ? 1d : 0d; }
                case LE -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] <= s ? 1d : 0d; }
                case GT -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > s ? 1d : 0d; }
                case RELU_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = s <= 0 ? 0d : a[ao + i]; }
            }
            return;
        }
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i]; }
            case SUB -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i]; }
            case MUL -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i]; }
            case DIV -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i]; }
            case MAX -> { for (int i = 0; i < n; i++) o[oo + i] = Math.max(a[ao + i], b[bo + i]); }
            case MIN -> { for (int i = 0; i < n; i++) o[oo + i] = Math.min(a[ao + i], b[bo + i]); }
            case GE -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] >= b[bo + i] ? 1d : 0d; }
            case LT -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] < b[bo + i] ? 1d : 0d; }
            case LE -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] <= b[bo + i] ? 1d : 0d; }
            case GT -> { for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] > b[bo + i] ? 1d : 0d; }
            case RELU_GRAD -> { for (int i = 0; i < n; i++) o[oo + i] = b[bo + i] <= 0 ? 0d : a[ao + i]; }
        }
    }

    /** {@code acc += g} in place, same shape and dtype; records nothing (leaf-gradient accumulation). */
    static void addInPlace(Tensor acc, Tensor g) {
        if (acc.f != null) {
            float[] x = acc.f;
            float[] y = g.f;
            Parallel.forRange(acc.size, GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) x[i] += y[i];
            });
        } else {
            double[] x = acc.d;
            double[] y = g.d;
            Parallel.forRange(acc.size, GRAIN, (lo, hi) -> {
                for (int i = lo; i < hi; i++) x[i] += y[i];
            });
        }
    }
}
