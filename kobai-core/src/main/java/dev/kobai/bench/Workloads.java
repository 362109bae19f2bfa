package dev.kobai.bench;

import dev.kobai.autograd.Autograd;
import dev.kobai.data.Batch;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.OptimizerSpec;
import dev.kobai.optim.Optimizers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.StepMemory;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.kernel.Gemm;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
import java.util.ArrayList;
import java.util.List;

/** Benchmark fixtures: each is built once and then run many times; none allocates per run beyond what Kobai itself does. */
public final class Workloads {
    /** The optimizer benchmarks' parameter count: ten tensors of a million. */
    public static final int TENSORS = 10;
    public static final int TENSOR_SIZE = 1_000_000;

    /** The optimizers timed over 10M parameters, as specs with torch's default options. */
    public static final List<String> OPTIMIZERS = List.of(
            "sgd:lr=0.01", "sgd:lr=0.01,momentum=0.9", "adam", "adamw", "adagrad", "rmsprop", "adadelta",
            "adamax", "nadam", "radam", "asgd", "rprop");

    private Workloads() {}

    // ------------------------------------------------------------------------------- memory traffic

    /**
     * The arrays one element's update touches, in float32 with an optimizer's default options:
     * {@code readOnly} (the gradient) are only read, {@code readWrite} (the parameter and the state)
     * are read and written, {@code writeOnly} are written without being read.
     */
    public record Traffic(int readOnly, int readWrite, int writeOnly) {
        /** Bytes moved per parameter: a float read for every array read, one written for every array written. */
        public int bytesPerElement() {
            return 4 * (readOnly + 2 * readWrite + writeOnly);
        }
    }

    /** The traffic of an optimizer spec from {@link #OPTIMIZERS}, or null when it has no fixed figure. */
    public static Traffic traffic(String spec) {
        OptimizerSpec s = OptimizerSpec.parse(spec);
        return switch (s.name()) {
            case "sgd" -> {
                String mom = s.values().get("momentum");
                yield mom == null || Double.parseDouble(mom) == 0 ? new Traffic(1, 1, 0) : new Traffic(1, 2, 0);
            }
            case "adagrad", "rmsprop" -> new Traffic(1, 2, 0);
            case "adam", "adamw", "adadelta", "adamax", "nadam", "radam", "rprop" -> new Traffic(1, 3, 0);
            case "asgd" -> new Traffic(1, 1, 1); // ax = p while mu is 1 (until step t0): written, not read
            default -> null;
        };
    }

    /**
     * The memory bound of an update: one pass over the same arrays, of the same sizes, split across
     * the cores the same way (per tensor, {@link Parallel#forRange}), doing nothing but adding the
     * read-only array into the read-write ones and copying it into the write-only ones.
     */
    public static final class MemoryPass {
        private final Traffic traffic;
        private final float[][][] arrays; // [tensor][array]

        public MemoryPass(Traffic traffic, int tensors, int size) {
            this.traffic = traffic;
            int count = traffic.readOnly() + traffic.readWrite() + traffic.writeOnly();
            if (traffic.readOnly() != 1 || traffic.readWrite() < 1 || traffic.readWrite() > 3 || traffic.writeOnly() > 1) {
                throw new IllegalArgumentException("no memory pass for " + traffic);
            }
            arrays = new float[tensors][count][];
            Rng rng = new Rng(7);
            for (float[][] t : arrays) {
                for (int a = 0; a < count; a++) {
                    t[a] = new float[size];
                    for (int i = 0; i < size; i += 97) {
                        t[a][i] = rng.nextFloat();
                    }
                }
            }
        }

        public long bytes() {
            return (long) traffic.bytesPerElement() * arrays.length * arrays[0][0].length;
        }

        public void run() {
            for (float[][] t : arrays) {
                float[] g = t[0];
                float[] x = t[1];
                int rw = traffic.readWrite();
                float[] y = rw > 1 ? t[2] : null;
                float[] z = rw > 2 ? t[3] : null;
                float[] o = traffic.writeOnly() == 1 ? t[1 + rw] : null;
                Parallel.forRange(g.length, 1 << 16, (lo, hi) -> pass(g, x, y, z, o, lo, hi));
            }
        }

        private static void pass(float[] g, float[] x, float[] y, float[] z, float[] o, int lo, int hi) {
            if (o != null) {
                for (int i = lo; i < hi; i++) {
                    float s = g[i];
                    x[i] += s;
                    o[i] = s;
                }
            } else if (z != null) {
                for (int i = lo; i < hi; i++) {
                    float s = g[i];
                    x[i] += s;
                    y[i] += s;
                    z[i] += s;
                }
            } else if (y != null) {
                for (int i = lo; i < hi; i++) {
                    float s = g[i];
                    x[i] += s;
                    y[i] += s;
                }
            } else {
                for (int i = lo; i < hi; i++) {
                    x[i] += g[i];
                }
            }
        }
    }

    /** Copies {@code size * tensors} floats with System.arraycopy: 8 bytes an element, the plainest bandwidth figure. */
    public static final class ArrayCopy {
        private final float[] src;
        private final float[] dst;

        public ArrayCopy(long elements) {
            src = new float[Math.toIntExact(elements)];
            dst = new float[src.length];
        }

        public long bytes() {
            return 8L * src.length;
        }

        public void run() {
            int n = src.length;
            Parallel.forRange(n, 1 << 16, (lo, hi) -> System.arraycopy(src, lo, dst, lo, hi - lo));
        }
    }

    // ------------------------------------------------------------------------------- optimizer steps

    /** An optimizer over ten float32 tensors of a million, each with a fixed random gradient. */
    public static final class OptimizerStep {
        private final Optimizer optimizer;
        private final long parameters;

        public OptimizerStep(String spec, int tensors, int size) {
            Rng rng = new Rng(11);
            List<Parameter> params = new ArrayList<>();
            for (int t = 0; t < tensors; t++) {
                Parameter p = new Parameter(Tensor.uniform(rng, DType.FLOAT32, -0.1, 0.1, size));
                p.setGrad(Tensor.uniform(rng, DType.FLOAT32, -1e-3, 1e-3, size));
                params.add(p);
            }
            optimizer = Optimizers.create(spec, params);
            parameters = (long) tensors * size;
        }

        public long parameters() {
            return parameters;
        }

        public void step() {
            optimizer.step();
        }
    }

    // ------------------------------------------------------------------------------- matrix products

    /** One product C = op(A) op(B) of a given shape, as the training of mlp:784-256-10 at batch 128 makes them. */
    public record MatmulShape(String role, boolean transA, boolean transB, int m, int n, int k) {
        public double flops() {
            return 2.0 * m * n * k;
        }

        @Override
        public String toString() {
            return m + "x" + n + "x" + k + (transA ? " A^T" : "") + (transB ? " B^T" : "");
        }
    }

    /** The products of one training step of mlp:784-256-10 at batch 128, then a large square one for reference. */
    public static final List<MatmulShape> TRAINING_SHAPES = List.of(
            new MatmulShape("layer 1 forward", false, true, 128, 256, 784),
            new MatmulShape("layer 1 weight grad", true, false, 256, 784, 128),
            new MatmulShape("layer 2 forward", false, true, 128, 10, 256),
            new MatmulShape("layer 2 input grad", false, false, 128, 256, 10),
            new MatmulShape("layer 2 weight grad", true, false, 10, 256, 128),
            new MatmulShape("evaluation, batch 1000", false, true, 1000, 256, 784),
            new MatmulShape("square 1024", false, false, 1024, 1024, 1024));

    /** Arrays for one shape, multiplied by a given kernel in float32 ({@code sgemm}) or float64 ({@code dgemm}). */
    public static final class Matmul {
        private final MatmulShape s;
        private final Gemm gemm;
        private final boolean float64;
        private final float[] a;
        private final float[] b;
        private final float[] c;
        private final double[] da;
        private final double[] db;
        private final double[] dc;

        public Matmul(MatmulShape s, Gemm gemm, boolean float64) {
            this.s = s;
            this.gemm = gemm;
            this.float64 = float64;
            // The same values in either dtype: float32 draws, widened for float64.
            Rng rng = new Rng(3);
            float[] fa = uniform(rng, s.m() * s.k());
            float[] fb = uniform(rng, s.k() * s.n());
            a = float64 ? null : fa;
            b = float64 ? null : fb;
            c = float64 ? null : new float[s.m() * s.n()];
            da = float64 ? widen(fa) : null;
            db = float64 ? widen(fb) : null;
            dc = float64 ? new double[s.m() * s.n()] : null;
        }

        private static float[] uniform(Rng rng, int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = rng.nextFloat() - 0.5f;
            }
            return x;
        }

        private static double[] widen(float[] x) {
            double[] d = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                d[i] = x[i];
            }
            return d;
        }

        public Matmul(MatmulShape s, Gemm gemm) {
            this(s, gemm, false);
        }

        public Matmul(MatmulShape s) {
            this(s, Kernels.gemm());
        }

        public void run() {
            int lda = s.transA() ? s.m() : s.k();
            int ldb = s.transB() ? s.k() : s.n();
            if (float64) {
                gemm.dgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), da, 0, lda, db, 0, ldb, dc, 0, s.n(), false);
            } else {
                gemm.sgemm(s.transA(), s.transB(), s.m(), s.n(), s.k(), a, 0, lda, b, 0, ldb, c, 0, s.n(), false);
            }
        }
    }

    // ------------------------------------------------------------------------------- a model

    /** mlp:784-256-10 in float32 on one fixed random batch of 128 "images", as in the Fashion-MNIST runs. */
    public static final class Model {
        public static final String SPEC = "mlp:784-256-10";
        public static final int BATCH = 128;

        final Module module;
        final Batch batch;

        public Model(long seed) {
            Rng rng = new Rng(seed);
            module = Models.fromSpec(SPEC, rng.fork(), DType.FLOAT32);
            Rng data = rng.fork();
            float[] x = new float[BATCH * 784];
            for (int i = 0; i < x.length; i++) {
                x[i] = data.nextFloat();
            }
            int[] labels = new int[BATCH];
            for (int i = 0; i < BATCH; i++) {
                labels[i] = data.nextInt(10);
            }
            batch = new Batch(Tensor.fromArray(x, BATCH, 784), labels);
        }

        public Module module() {
            return module;
        }

        public Batch batch() {
            return batch;
        }

        Tensor loss() {
            return Losses.crossEntropy(module.forward(batch.features()), batch.labels());
        }
    }

    /** One training step (zero the gradients, forward, backward, optimizer step) of {@link Model} with an optimizer spec. */
    public static final class TrainingStep {
        private final dev.kobai.train.Trainer trainer;
        private final Batch batch;

        /**
         * Second-order methods (kfac, newton, ...) get the model's curvature problem, as {@code kobai
         * train} gives them; the trainer sets the batch on it before each step.
         */
        public TrainingStep(String optimizerSpec) {
            Model model = new Model(5);
            Optimizer opt = dev.kobai.train.Training.classifierOptimizer(optimizerSpec, model.module, () -> model.batch);
            trainer = new dev.kobai.train.Trainer(model.module, opt);
            batch = model.batch;
        }

        public double run() {
            return trainer.step(batch);
        }
    }

    /** The gradient, and the Hessian-vector product, of {@link Model}'s loss over its parameters; each includes the forward pass. */
    public static final class HessianVector {
        private final Model model = new Model(9);
        private final Tensor[] params;
        private final Tensor[] v;

        public HessianVector() {
            params = model.module.parameters().toArray(new Tensor[0]);
            v = new Tensor[params.length];
            Rng rng = new Rng(13);
            for (int i = 0; i < params.length; i++) {
                v[i] = Tensor.randn(rng, DType.FLOAT32, params[i].shape());
            }
        }

        public Tensor[] gradient() {
            return Autograd.grad(model.loss(), params, false);
        }

        public Tensor[] hessianVectorProduct() {
            return Autograd.hessianVectorProduct(model.loss(), params, v);
        }
    }

    // ------------------------------------------------------------------------------- convolutions

    /** The optimizer of the cnn epochs: the convolutional-network issue's SGD with momentum. */
    public static final String CNN_OPTIMIZER = "sgd:lr=0.05,momentum=0.9";

    /** A convolution layer: channels in and out, square kernel with padding (stride 1), square input. */
    public record ConvShape(int in, int out, int kernel, int padding, int size) {
        int outSize() {
            return size + 2 * padding - kernel + 1;
        }

        @Override
        public String toString() {
            return "conv " + in + "->" + out + " " + kernel + "x" + kernel + " on " + size + "x" + size;
        }
    }

    /** The two convolutions of the cnn preset on 1x28x28 images. */
    public static final List<ConvShape> CNN_CONVOLUTIONS = List.of(new ConvShape(1, 32, 3, 1, 28),
            new ConvShape(32, 64, 3, 1, 14));

    /** The three products of a convolution. */
    public enum ConvPass {
        FORWARD("forward"), INPUT_GRADIENT("input"), WEIGHT_GRADIENT("weight");

        private final String label;

        ConvPass(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One convolution layer on a random batch, each pass timed alone (its output's gradient given),
     * and the GEMM of the same size: weight [O, C k k] by the batch's patches [C k k, N L] for the
     * forward pass, its transposes for the gradients, on arrays of those sizes.
     */
    public static final class ConvLayer {
        private final dev.kobai.nn.Conv2d conv;
        private final Tensor x;
        private final Tensor y;
        private final Tensor gradOut;
        private final ConvShape shape;
        private final int n;
        private final float[] w;
        private final float[] patches;
        private final float[] out;
        private final StepMemory memory = new StepMemory();

        public ConvLayer(ConvShape shape, int batch) {
            this.shape = shape;
            this.n = batch;
            Rng rng = new Rng(17);
            conv = dev.kobai.nn.Conv2d.builder(shape.in(), shape.out(), shape.kernel()).padding(shape.padding())
                    .build(rng, DType.FLOAT32);
            x = Tensor.randn(rng, DType.FLOAT32, batch, shape.in(), shape.size(), shape.size()).requiresGrad(true);
            y = conv.forward(x);
            gradOut = Tensor.randn(rng, DType.FLOAT32, y.shape());
            int rows = shape.in() * shape.kernel() * shape.kernel();
            int cols = batch * shape.outSize() * shape.outSize();
            w = new float[shape.out() * rows];
            patches = new float[rows * cols];
            out = new float[shape.out() * cols];
            for (int i = 0; i < patches.length; i++) {
                patches[i] = rng.nextFloat() - 0.5f;
            }
        }

        /** Multiply-adds times two of one pass. */
        public double flops() {
            return 2.0 * n * shape.outSize() * shape.outSize() * shape.out() * shape.in() * shape.kernel() * shape.kernel();
        }

        /**
         * One pass, its outputs drawn from a step memory as in training: without it, the forward
         * pass of the first layer timed the allocation and zeroing of its 12.8 MB output (and the
         * collections that follow), which a training step does not pay.
         */
        public void run(ConvPass pass) {
            try (StepMemory.Scope _ = memory.open()) {
                switch (pass) {
                    case FORWARD -> {
                        try (var _ = dev.kobai.tensor.GradMode.noGrad()) {
                            conv.forward(x);
                        }
                    }
                    case INPUT_GRADIENT -> Autograd.grad(new Tensor[] {y}, new Tensor[] {gradOut}, new Tensor[] {x},
                            false);
                    case WEIGHT_GRADIENT -> Autograd.grad(new Tensor[] {y}, new Tensor[] {gradOut},
                            new Tensor[] {conv.weight()}, false);
                }
            }
        }

        public void gemm(ConvPass pass) {
            int rows = shape.in() * shape.kernel() * shape.kernel();
            int cols = n * shape.outSize() * shape.outSize();
            Gemm g = Kernels.gemm();
            switch (pass) {
                case FORWARD -> g.sgemm(false, false, shape.out(), cols, rows, w, 0, rows, patches, 0, cols, out, 0, cols, false);
                case INPUT_GRADIENT -> g.sgemm(true, false, rows, cols, shape.out(), w, 0, rows, out, 0, cols, patches, 0, cols,
                        false);
                case WEIGHT_GRADIENT -> g.sgemm(false, true, shape.out(), rows, cols, out, 0, cols, patches, 0, cols, w, 0, rows,
                        false);
            }
        }
    }
}
