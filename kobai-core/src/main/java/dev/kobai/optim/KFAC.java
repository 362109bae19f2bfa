package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.autograd.Autograd;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.DenseMatrices;
import dev.kobai.curvature.FisherType;
import dev.kobai.curvature.FlatMatrices;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Conv2d;
import dev.kobai.nn.ForwardCapture;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import dev.kobai.tensor.Window2d;
import dev.kobai.tensor.kernel.Blas1;
import dev.kobai.tensor.kernel.Gemm;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.PackedB;
import dev.kobai.tensor.kernel.Parallel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * K-FAC (Martens and Grosse 2015) for the Linear and Conv2d layers of a model, wherever they sit in
 * it, with KFC (Grosse and Martens 2016) for the convolutions. Each layer is seen as a Linear layer
 * on rows: its weight as a matrix W [out, in] (a convolution's [O, C, kh, kw] as [O, C kh kw]), the
 * bias as one more column, and its Fisher block approximated by A (x) G with
 * <pre>
 *   Linear:  A = 1/N sum_n a_n a_n^T                     a_n  = [x_n; 1], the layer's input
 *            G = 1/N sum_n E[g_n g_n^T]                  g_n  = d(-log p(y | x_n)) / d s_n
 *   Conv2d:  A = 1/(N |T|) sum_n sum_t a_nt a_nt^T       a_nt = [patch of image n at position t; 1]
 *            G = 1/N sum_n sum_t E[g_nt g_nt^T]          g_nt = d(-log p(y | x_n)) / d s_nt
 * </pre>
 * (the 1 only with a bias; s the layer's output, before any activation; |T| = OH OW output
 * positions; patches in {@link dev.kobai.tensor.Spatial#unfold}'s order, the weight's; y drawn from
 * the model, or see fisher). KFC's approximations (activations independent of derivatives,
 * spatially uncorrelated derivatives, spatial homogeneity) give F ~ |T| Abar (x) Gbar, Abar and Gbar
 * the means over examples and positions; here A = Abar and G = |T| Gbar. So A is the mean second
 * moment of the N |T| patch rows, which keeps its bias corner at 1 and the scale of the activations
 * whatever the image size, and G sums over positions as the weight gradient does, with the same
 * per-example normalisation as a Linear layer's; a convolution is a Linear layer over its N |T|
 * patch rows, and a 1x1 convolution on 1x1 images is exactly the Linear layer. Where |T| sits does
 * not change the step: both damping modes below are invariant under A -> c A, G -> G / c.
 *
 * <p>The step, with V = [grad_W | grad_b] of the loss and the factors averaged over steps:
 * <pre>
 *   D     = G^-1 V A^-1                                   per layer, damped (damping_mode)
 *   nu    = min(1, sqrt(kl_clip / (lr^2 sum_layers V . D)))   1 when kl_clip = 0
 *   buf   = momentum buf + nu D;   [W | b] -= lr buf       per layer
 *   buf_p = momentum buf_p + grad_p;   p -= lr buf_p      every other parameter p
 * </pre>
 * The other parameters (batch norm's, layer norm's, any module's own) take SGD's step with the same
 * lr and momentum, as kfac-pytorch leaves them to its base SGD. kl_clip's inner product and scale
 * cover the preconditioned layers only: it bounds the KL divergence K-FAC's Fisher predicts for
 * their update, and that Fisher says nothing of the rest.
 *
 * <p>Layers: the model's Linear and Conv2d modules, in {@link Module#namedModules()} order, with
 * their inputs and outputs taken by a {@link ForwardCapture} around the forward pass, so one
 * inside a residual block that calls it itself counts as one at the top of a Sequential. Each must
 * run once per forward pass; a Linear layer's input must be [batch, features]; a Conv2d must have
 * groups=1 (grouped convolutions are refused, naming the layer).
 *
 * <p>Options:
 * <ul>
 *   <li>lr = 0.1
 *   <li>damping = 1e-3: factored: the pi-adjusted (A + pi sqrt(damping) I) (x) (G + sqrt(damping)/pi I)
 *       of the paper, pi^2 = (tr A / dim A) / (tr G / dim G), inverted by blocked Cholesky; eigen:
 *       the exact (G (x) A + damping I)^-1 from eigendecompositions of A and G (kfac-pytorch's)
 *   <li>damping_mode = factored (or eigen)
 *   <li>factor_decay = 0.95: A and G are moving averages, the first estimate taken as is
 *   <li>factor_update_period = 10: steps between new estimates of A and G
 *   <li>inv_update_period = 100: steps between refreshes of the inverses
 *   <li>momentum = 0
 *   <li>kl_clip = 1e-3 (0 turns it off)
 *   <li>fisher = mc: g from one target per example sampled from the model, as in the paper; true:
 *       the exact expectation (K extra backward passes for K outputs); empirical: the data's
 *       labels, which is not the Fisher
 *   <li>seed = 0: the generator of the sampled targets
 * </ul>
 *
 * <p>Needs a {@link CurvatureProblem} built from a model; the registry entry {@code kfac} refuses
 * plain parameters.
 * {@snippet :
 * CurvatureProblem problem = CurvatureProblem.of(model, LossKind.CROSS_ENTROPY, images, labels);
 * KFAC kfac = KFAC.builder().lr(0.1).momentum(0.9).build(problem);
 * double loss = kfac.step(null); // then problem.setBatch(...) for the next batch
 * }
 *
 * <p>The closure: {@link #step(Closure)} computes the loss and the gradients through the problem
 * and never calls {@code evaluate()}. It sets every parameter's grad, then calls the closure's
 * {@link Optimizer.Closure#afterGradients afterGradients} (a no-op for a plain closure) before the
 * factors, inverses, momentum or weights change, so a caller's checks (the trainer's stop or skip
 * on a non-finite loss or gradient) leave everything as it was. A caller that changes the
 * gradients there (the trainer's clip_grad_norm and clip_grad_value, when they bind) gets the
 * update of the changed V, by the direct product G^-1 V A^-1. The factors, which estimate
 * curvature, are not clipped, and kl_clip applies to the update of the clipped gradient.
 *
 * <p>Data-parallel ({@link ShardedClosure}: {@code kobai train --shards N} or {@code --spark}): the
 * gradient and, on factor-update steps, the factors' sums over the examples ({@link FactorSums},
 * {@link #factorSums} per shard) come from the closure, summed over fixed shards in shard order;
 * the moving averages take A = sum / rows and G = sum / examples, the Monte-Carlo targets of shard s
 * are drawn from {@code new Rng(seed + s)} with the seed drawn from this optimizer's generator, and
 * the update is always the direct product. The result is a function of the shards alone, the same on
 * one machine and on a cluster; against an unsharded run it differs in rounding and in the sampled
 * targets.
 *
 * <p>State ({@link #stateDict()}, under parameter names, tensors in float64): {@code step} (steps
 * taken) and {@code generator} (the Monte-Carlo generator's {@link Rng#state()}) under the first
 * parameter; under each layer's weight its averaged factors {@code factor_A} ((in + 1) square with
 * a bias) and {@code factor_G} (out x out), and the inverses of the last refresh: {@code A_inv} and
 * {@code G_inv}, the damped factors' inverses (damping_mode=factored), or {@code A_eigenvalues},
 * {@code A_eigenvectors}, {@code G_eigenvalues}, {@code G_eigenvectors} and {@code eigen_damping}
 * (eigen); {@code momentum_buffer} under each parameter, preconditioned or not, once momentum is
 * used. A new K-FAC that loads it continues bit for bit as the one that saved it.
 *
 * <p>The work is GEMMs ({@link dev.kobai.tensor.kernel.Kernels#gemm()}) in the model's precision,
 * the factors accumulated in float64: A from the layer's input rows (a convolution's patch rows
 * unfolded a chunk of images at a time, {@link dev.kobai.tensor.Spatial#patchRows}), G from the
 * backpropagated gradients (per image and position for a convolution). Cost per step: one forward
 * and backward pass, and per layer out in (in + out) multiply-adds for the update G^-1 V A^-1, or
 * N (in^2 + out^2 + in out) for a Linear layer narrower than the batch by (delta G^-1)^T ([x 1]
 * A^-1) from its pre-activation gradients delta; every factor_update_period steps one more partial
 * backward pass (K of them with fisher=true), about R in^2 / 2 multiply-adds for A over R rows
 * (N for a Linear layer, N |T| for a convolution) and R out^2 for G; every inv_update_period steps
 * O(in^3 + out^3) per layer for the inverses.
 */
public final class KFAC extends Optimizer implements CurvatureOptimizer {
    // lr, damping and kl_clip are kfac-pytorch's. With these defaults, kobai train --data
    // fashion-mnist --model mlp:784-256-10 --batch-size 128 --epochs 3 reaches about 0.90 test
    // accuracy against Adam's 0.86 (docs/second-order.md)
    /** {@code lr}: the learning rate; default 0.1. */
    public static final Option<Double> LR = Option.number("lr", 0.1)
            .check(SecondOrderSupport.nonNegative("lr"));
    /** {@code damping}: the Tikhonov damping of the factors; default 1e-3. */
    public static final Option<Double> DAMPING = Option.number("damping", 1e-3)
            .check(SecondOrderSupport.positive("damping"));
    // eigen is several times dearer to refresh
    /** {@code damping_mode}: factored or eigen: how the damping enters the inverse; default "factored". */
    public static final Option<String> DAMPING_MODE = Option.string("damping_mode", "factored");
    /** {@code factor_decay}: the decay of the running factor averages; default 0.95. */
    public static final Option<Double> FACTOR_DECAY = Option.number("factor_decay", 0.95)
            .check(SecondOrderSupport.inRange("factor_decay", 0, 1));
    // KFAC-Pytorch's TCov=10: a fresh A costs N in^2 / 2 multiply-adds, more than the forward and
    // backward passes for a wide first layer, and with decay 0.95 one batch moves the average by 5%
    /** {@code factor_update_period}: steps between factor updates; default 10. */
    public static final Option<Integer> FACTOR_UPDATE_PERIOD = Option.integer("factor_update_period", 10)
            .wholeAtLeast(1, SecondOrderSupport.wholeMessage("factor_update_period", 1));
    // KFAC-Pytorch's TInv=100 (the paper refreshed every 20 steps with factors re-estimated every
    // step, kfac-jax every 5): a refresh of the 785-square factor of a Fashion-MNIST MLP cost 15 to
    // 25 ms on two cores, 1.5 ms a step at a period of 20 against 0.3 ms at 100, and the test
    // accuracy after 3 epochs was the same, 0.90
    /** {@code inv_update_period}: steps between refreshes of the inverses; default 100. */
    public static final Option<Integer> INV_UPDATE_PERIOD = Option.integer("inv_update_period", 100)
            .wholeAtLeast(1, SecondOrderSupport.wholeMessage("inv_update_period", 1));
    /** {@code momentum}: the momentum of the preconditioned update; default 0. */
    public static final Option<Double> MOMENTUM = Option.number("momentum", 0.0)
            .check(SecondOrderSupport.inRange("momentum", 0, 1));
    /** {@code kl_clip}: the bound on the update's KL change; default 1e-3. */
    public static final Option<Double> KL_CLIP = Option.number("kl_clip", 1e-3)
            .check(SecondOrderSupport.nonNegative("kl_clip"));
    // one sampled target per example, as in the paper and KFAC-Pytorch
    /** {@code fisher}: mc, true or empirical: the targets of G; default "mc". */
    public static final Option<String> FISHER = Option.string("fisher", "mc");
    /** {@code seed}: the generator of the sampled targets; default 0. */
    public static final Option<Integer> SEED = Option.integer("seed", 0)
            .wholeAtLeast(0, SecondOrderSupport.wholeMessage("seed", 0));
    /**
     * The options with their defaults and checks: the one
     * table behind {@link #builder()}, the spec {@code kfac:...}, {@link #defaultOptions()} and
     * the checks on every group.
     */
    public static final OptionTable OPTIONS = OptionTable.of(LR, DAMPING, DAMPING_MODE, FACTOR_DECAY,
            FACTOR_UPDATE_PERIOD, INV_UPDATE_PERIOD, MOMENTUM, KL_CLIP, FISHER, SEED);

    private final CurvatureProblem problem;
    /** The layers K-FAC preconditions, in the order of the model's modules. */
    private final List<Layer> layers = new ArrayList<>();
    /** The problem's other parameters (batch norm's, ...), stepped along their plain gradient. */
    private final List<Parameter> plain = new ArrayList<>();
    /** The averaged factors, flat row-major: A is (in + 1) square with a bias, G is out x out. */
    private final List<double[]> factorA = new ArrayList<>();
    private final List<double[]> factorG = new ArrayList<>();
    private final List<Preconditioner> inverses = new ArrayList<>();
    private final List<LayerWork> work = new ArrayList<>();
    private final List<KFACFactors.Gram> grams = new ArrayList<>();
    private final Map<Parameter, double[]> momentum = new IdentityHashMap<>();
    private final Rng rng;
    private int steps;

    public KFAC(CurvatureProblem problem, Map<String, Object> options) {
        super(single(problem.parameters(), options), OPTIONS, Map.of());
        SecondOrderSupport.requireSingleGroup("kfac", paramGroups());
        this.problem = problem;
        Module model = problem.model();
        if (model == null) {
            throw new UsageException("kfac needs a CurvatureProblem made from a model, CurvatureProblem.of(model, kind, "
                    + "inputs, targets), to find its Linear and Conv2d layers; this one was made from a function");
        }
        Set<Parameter> preconditioned = Collections.newSetFromMap(new IdentityHashMap<>());
        model.namedModules().forEach((path, m) -> {
            Layer layer = Layer.of(path, m);
            if (layer != null) {
                layers.add(layer);
                preconditioned.add(layer.weight());
                if (layer.bias() != null) {
                    preconditioned.add(layer.bias());
                }
                factorA.add(null);
                factorG.add(null);
                inverses.add(null);
                work.add(new LayerWork());
                grams.add(new KFACFactors.Gram(layer.out()));
            }
        });
        if (layers.isEmpty()) {
            throw new UsageException("kfac found no Linear or Conv2d layer to precondition in " + model);
        }
        for (Parameter p : problem.parameters()) {
            if (!preconditioned.contains(p)) {
                plain.add(p);
            }
        }
        this.rng = new Rng((long) paramGroups().get(0).getDouble("seed"));
    }

    /** For the registry: K-FAC needs the model's layers and outputs, so plain parameters are refused. */
    public static KFAC withGroups(List<ParamGroup> groups) {
        throw new UsageException("kfac needs the model's Linear and Conv2d layers and a predictive distribution, not plain "
                + "parameters; from Java, construct new KFAC(CurvatureProblem.of(model, lossKind, inputs, targets), "
                + "options)");
    }

    /** The defaults of {@link #OPTIONS} by torch's names. */
    public static Map<String, Object> defaultOptions() {
        return OPTIONS.defaults();
    }

    @Override
    protected void validate(ParamGroup g) {
        g.set("damping_mode", SecondOrderSupport.choice(g, "damping_mode", "eigen", "factored"));
        FisherType.parse("fisher", String.valueOf(g.get("fisher")));
    }

    /** The layers K-FAC preconditions (its Linear and Conv2d modules), in the order of the model's modules. */
    public List<Module> layers() {
        return layers.stream().map(Layer::module).toList();
    }

    /** The parameters outside those layers, which K-FAC steps along their plain gradient, in the problem's order. */
    public List<Parameter> plainParameters() {
        return List.copyOf(plain);
    }

    /**
     * A layer K-FAC preconditions, seen as a Linear layer from {@code in} columns with the bias as
     * one more: a Linear layer (in = its input features), or a Conv2d over its patches (in = C kh
     * kw, its weight [O, C, kh, kw] read as [O, C kh kw]; {@code window} is its sliding window).
     */
    record Layer(String path, Module module, Parameter weight, Parameter bias, int in, int out, Window2d window) {
        /** The layer K-FAC makes of module {@code m} at {@code path}, or null when it does not precondition it. */
        static Layer of(String path, Module m) {
            if (m instanceof Linear l) {
                return new Layer(path, m, l.weight(), l.bias(), l.inFeatures(), l.outFeatures(), null);
            }
            if (m instanceof Conv2d c) {
                if (c.groups() != 1) {
                    throw new UsageException("kfac: " + describe(path, m) + " has groups=" + c.groups()
                            + "; K-FAC preconditions convolutions with groups=1 only");
                }
                Window2d w = c.window();
                return new Layer(path, m, c.weight(), c.bias(), c.inChannels() * w.kernelH() * w.kernelW(),
                        c.outChannels(), w);
            }
            return null;
        }

        /** Columns of [W | b]: in, plus one with a bias. */
        int cols() {
            return in + (bias == null ? 0 : 1);
        }

        /** For messages: the path and the module, as "layer '2.conv1' Conv2d(...)". */
        String describe() {
            return describe(path, module);
        }

        private static String describe(String path, Module m) {
            return "layer " + (path.isEmpty() ? "" : "'" + path + "' ") + m;
        }
    }

    /** The current (averaged) input factor A of layer {@code i}, (in + 1) square with a bias. */
    public double[][] factorA(int i) {
        FlatMatrices.mirrorLower(factorA.get(i), sideA(i));
        return FlatMatrices.unflatten(factorA.get(i), sideA(i), sideA(i));
    }

    /** The current (averaged) output-gradient factor G of layer {@code i}, out x out. */
    public double[][] factorG(int i) {
        return FlatMatrices.unflatten(factorG.get(i), sideG(i), sideG(i));
    }

    private int sideA(int i) {
        return layers.get(i).cols();
    }

    private int sideG(int i) {
        return layers.get(i).out();
    }

    /**
     * The approximate Fisher block G (x) A of layer {@code i}, reordered to the layer's parameter
     * order (weight row-major, then bias), so it compares with blocks of dense matrices at
     * {@link #blockIndices}.
     */
    public double[][] fisherBlock(int i) {
        double[][] k = DenseMatrices.kron(factorG(i), factorA(i));
        int[] order = augmentedToParameterOrder(layers.get(i));
        double[][] out = new double[k.length][k.length];
        for (int a = 0; a < k.length; a++) {
            for (int b = 0; b < k.length; b++) {
                out[order[a]][order[b]] = k[a][b];
            }
        }
        return out;
    }

    /** The positions of layer {@code i}'s parameters (weight row-major, then bias) in the problem's flat vector. */
    public int[] blockIndices(int i) {
        Layer l = layers.get(i);
        int off = 0;
        int weightAt = -1;
        int biasAt = -1;
        for (Parameter p : problem.parameters()) {
            if (p == l.weight()) {
                weightAt = off;
            }
            if (p == l.bias()) {
                biasAt = off;
            }
            off += p.numel();
        }
        int nw = l.weight().numel();
        int[] idx = new int[nw + (l.bias() == null ? 0 : l.out())];
        for (int j = 0; j < nw; j++) {
            idx[j] = weightAt + j;
        }
        for (int j = nw; j < idx.length; j++) {
            idx[j] = biasAt + j - nw;
        }
        return idx;
    }

    /** Where element (o, c) of the augmented [W | b] matrix lives in [weight..., bias...] order. */
    private static int[] augmentedToParameterOrder(Layer l) {
        int in = l.in();
        int cols = l.cols();
        int[] order = new int[l.out() * cols];
        for (int o = 0; o < l.out(); o++) {
            for (int c = 0; c < cols; c++) {
                order[o * cols + c] = c < in ? o * in + c : l.weight().numel() + o;
            }
        }
        return order;
    }

    /** One forward pass that keeps each layer's input and output (pre-activation) tensors. */
    private record Forward(Tensor z, Tensor[] inputs, Tensor[] preActivations) {}

    /**
     * The problem's outputs, with each preconditioned layer's input and output captured wherever it
     * sits in the model; each must run exactly once.
     */
    private Forward forward() {
        Tensor z;
        ForwardCapture capture = ForwardCapture.of(layers());
        try (capture) {
            z = problem.outputs();
        }
        Tensor[] ins = new Tensor[layers.size()];
        Tensor[] pre = new Tensor[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            List<ForwardCapture.Call> calls = capture.calls(layer.module());
            if (calls.size() != 1) {
                throw new UsageException("kfac: " + layer.describe() + " ran " + calls.size() + " times in one forward "
                        + "pass; K-FAC needs each Linear and Conv2d layer to run exactly once");
            }
            Tensor x = calls.getFirst().input();
            if (layer.window() == null && x.rank() != 2) {
                throw new UsageException("kfac: " + layer.describe() + " got input " + x.describe()
                        + "; K-FAC needs Linear inputs of shape [batch, features]");
            }
            ins[i] = x;
            pre[i] = calls.getFirst().output();
        }
        return new Forward(z, ins, pre);
    }

    /**
     * Computes fresh factors for the current batch and parameters and folds them into the moving
     * averages (the first estimate is taken as is); returns the loss tensor.
     */
    public Tensor updateFactors() {
        Forward f = forward();
        Tensor loss = problem.loss(f.z());
        updateFactors(paramGroups().get(0), f, loss);
        return loss;
    }

    private void updateFactors(ParamGroup g, Forward f, Tensor loss) {
        FisherType type = FisherType.parse("fisher", String.valueOf(g.get("fisher")));
        double decay = g.getDouble("factor_decay");
        int n = f.z().size(0);
        int k = f.z().size(1);
        for (KFACFactors.Gram gram : grams) {
            gram.clear();
        }
        double scale;
        if (type == FisherType.TRUE) {
            double[] z = f.z().toDoubleArray();
            for (double[] q : problem.kind().outputHessianFactors(z, n, k)) {
                Tensor seed = Tensor.fromArray(q, f.z().shape()).to(f.z().dtype());
                addAll(Autograd.grad(new Tensor[] {f.z()}, new Tensor[] {seed}, f.preActivations(), false));
            }
            scale = 1;
        } else {
            Tensor l = type == FisherType.EMPIRICAL ? loss : sampledLoss(f.z());
            scale = problem.kind().normaliser(n, k);
            addAll(Autograd.grad(l, f.preActivations(), false));
        }
        for (int i = 0; i < layers.size(); i++) {
            boolean first = factorA.get(i) == null;
            if (first) {
                factorA.set(i, new double[sideA(i) * sideA(i)]);
            }
            Layer l = layers.get(i);
            if (l.window() == null) {
                KFACFactors.blendInputFactor(f.inputs()[i], l.bias() != null, factorA.get(i), first ? 0 : decay,
                        work.get(i));
            } else {
                KFACFactors.blendPatchFactor(f.inputs()[i], l.window(), l.bias() != null, factorA.get(i),
                        first ? 0 : decay, work.get(i));
            }
            factorG.set(i, grams.get(i).blendInto(factorG.get(i), scale, decay));
        }
    }

    private void addAll(Tensor[] grads) {
        for (int i = 0; i < grads.length; i++) {
            grams.get(i).add(grads[i]);
        }
    }

    private Tensor sampledLoss(Tensor z) {
        Object sampled = problem.sampleTargets(z, rng);
        try (GradMode.Scope _ = GradMode.set(true)) {
            if (sampled instanceof int[] labels) {
                return problem.kind().loss(z, null, labels);
            }
            double[] y = (double[]) sampled;
            Tensor t = Tensor.fromArray(y, z.shape()).to(z.dtype());
            return problem.kind().loss(z, t, null);
        }
    }

    /**
     * A layer's preconditioner, built when the inverses are refreshed: it maps the gradient V
     * (out x cols, row-major) to the update. GEMMs in float64, or in float32 for a float32 model.
     */
    private interface Preconditioner {
        double[] apply(double[] v, int rows, int cols);
    }

    /**
     * (G (x) A + damping I)^-1 through A = Qa La Qa^T and G = Qg Lg Qg^T: Qg ((Qg^T V Qa) / (lg la^T +
     * damping)) Qa^T.
     */
    private record EigenPreconditioner(FlatMatrices.Eigen a, FlatMatrices.Eigen g, double damping, float[] qa32,
                                       float[] qg32) implements Preconditioner {
        static EigenPreconditioner of(FlatMatrices.Eigen a, FlatMatrices.Eigen g, double damping, boolean single) {
            return new EigenPreconditioner(a, g, damping, single ? FlatMatrices.toFloat(a.vectors()) : null,
                    single ? FlatMatrices.toFloat(g.vectors()) : null);
        }

        @Override
        public double[] apply(double[] v, int rows, int cols) {
            double[] la = a.values();
            double[] lg = g.values();
            if (qa32 != null) {
                float[] r = FlatMatrices.multiply(false, false, rows, cols, cols,
                        FlatMatrices.multiply(true, false, rows, cols, rows, qg32, FlatMatrices.toFloat(v)), qa32);
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        r[i * cols + j] /= (float) (lg[i] * la[j] + damping);
                    }
                }
                float[] d = FlatMatrices.multiply(false, true, rows, cols, cols,
                        FlatMatrices.multiply(false, false, rows, cols, rows, qg32, r), qa32);
                double[] out = new double[d.length];
                for (int i = 0; i < d.length; i++) {
                    out[i] = d[i];
                }
                return out;
            }
            double[] r = FlatMatrices.multiply(false, false, rows, cols, cols,
                    FlatMatrices.multiply(true, false, rows, cols, rows, g.vectors(), v), a.vectors());
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    r[i * cols + j] /= lg[i] * la[j] + damping;
                }
            }
            return FlatMatrices.multiply(false, true, rows, cols, cols,
                    FlatMatrices.multiply(false, false, rows, cols, rows, g.vectors(), r), a.vectors());
        }
    }

    /**
     * Gi V Ai with Gi and Ai the inverses of the (damped) factors. In a step V is the gradient
     * [dW | db] = delta^T [x 1] of a mean loss, with delta the [N, out] gradients at the layer's
     * pre-activations, so the update is also (delta Gi)^T ([x 1] Ai): N (in^2 + out^2 + in out)
     * multiply-adds against out in (in + out). With a batch smaller than the layer is wide that is
     * the cheaper order (113 million multiply-adds instead of 209 million for the first layer of
     * mlp:784-256-10 at batch 128); {@link #lowRankIsCheaper} picks per layer.
     */
    private static final class FactoredPreconditioner implements Preconditioner {
        private final double[] ai;
        private final double[] gi;
        private final float[] ai32;
        private final float[] gi32;
        /**
         * For a float32 model, the right operands of the low-rank update packed once per refresh:
         * the first {@code in} rows of Ai (the bias row is added apart) and Gi, rather than 2.4 MB
         * repacked on every step: 15% of [x 1] Ai on one thread, within the noise on two (JMH
         * PackedMatmulBench).
         */
        private PackedB aiPacked;
        private PackedB giPacked;

        private FactoredPreconditioner(double[] ai, double[] gi, float[] ai32, float[] gi32) {
            this.ai = ai;
            this.gi = gi;
            this.ai32 = ai32;
            this.gi32 = gi32;
        }

        static FactoredPreconditioner of(double[] ai, double[] gi) {
            return new FactoredPreconditioner(ai, gi, null, null);
        }

        static FactoredPreconditioner allocate(int na, int ng, boolean single) {
            return new FactoredPreconditioner(new double[na * na], new double[ng * ng],
                    single ? new float[na * na] : null, single ? new float[ng * ng] : null);
        }

        boolean fits(int na, int ng, boolean single) {
            return ai.length == na * na && gi.length == ng * ng && (ai32 != null) == single;
        }

        /**
         * Overwrites the inverses with those of A + shiftA I and G + shiftG I, allocating no
         * n-square arrays; false when one is not positive definite.
         */
        boolean refresh(double[] a, int na, double shiftA, double[] g, int ng, double shiftG, int in, LayerWork w) {
            double[] scratch = w.inverseWork(Math.max(na * na, ng * ng));
            if (!FlatMatrices.spdInverse(a, na, shiftA, ai, scratch)
                    || !FlatMatrices.spdInverse(g, ng, shiftG, gi, scratch)) {
                return false;
            }
            derive(in, na, ng);
            return true;
        }

        /**
         * The preconditioner of inverses saved from a refresh (na and ng square), with the float32
         * copies and packed operands that refresh derived from them.
         */
        static FactoredPreconditioner restore(double[] ai, int na, double[] gi, int ng, int in, boolean single) {
            FactoredPreconditioner fp = allocate(na, ng, single);
            System.arraycopy(ai, 0, fp.ai, 0, na * na);
            System.arraycopy(gi, 0, fp.gi, 0, ng * ng);
            fp.derive(in, na, ng);
            return fp;
        }

        /** For a float32 model: the inverses' float32 copies and the packed operands of the low-rank update. */
        private void derive(int in, int na, int ng) {
            if (ai32 != null) {
                FlatMatrices.toFloat(ai, ai32);
                FlatMatrices.toFloat(gi, gi32);
                Gemm gemm = Kernels.gemm();
                aiPacked = gemm.packB(false, in, na, ai32, 0, na, aiPacked);
                giPacked = gemm.packB(false, ng, ng, gi32, 0, ng, giPacked);
            }
        }

        @Override
        public double[] apply(double[] v, int rows, int cols) {
            if (ai32 != null) {
                float[] d = FlatMatrices.multiply(false, false, rows, cols, cols,
                        FlatMatrices.multiply(false, false, rows, cols, rows, gi32, FlatMatrices.toFloat(v)), ai32);
                double[] out = new double[d.length];
                for (int i = 0; i < d.length; i++) {
                    out[i] = d[i];
                }
                return out;
            }
            return FlatMatrices.multiply(false, false, rows, cols, cols,
                    FlatMatrices.multiply(false, false, rows, cols, rows, gi, v), ai);
        }

        /** The update of one layer into {@code w}, in float32 when the factors' inverses are (a float32 model). */
        void apply(LayerGradient lg, LayerWork w, boolean lowRank) {
            int rows = lg.rows();
            int cols = lg.cols();
            int in = lg.in();
            Gemm gemm = Kernels.gemm();
            if (ai32 != null) {
                float[] d = w.d32(rows * cols);
                if (lowRank) {
                    int n = lg.delta().size(0);
                    float[] p = w.p32(n * rows);
                    float[] q = w.q32(n * cols);
                    gemm.sgemm(false, n, lg.delta().floatData(), 0, rows, giPacked, p, 0, rows, false);
                    gemm.sgemm(false, n, lg.input().floatData(), 0, in, aiPacked, q, 0, cols, false);
                    if (cols > in) {
                        // the bias column of [x 1] picks Ai's last row. Split by columns, as the GEMM
                        // split q, so each core adds to what it wrote (with the scalar loop, reading
                        // the other core's half serially cost more than the adds; vectorised, one
                        // thread took 22-24 us against 29-40 on two, within the next product's noise)
                        Blas1 blas = Kernels.blas1();
                        Parallel.forRange(cols, 64, (from, to) -> {
                            for (int r = 0; r < n; r++) {
                                blas.axpy(to - from, 1f, ai32, in * cols + from, q, r * cols + from);
                            }
                        });
                    }
                    gemm.sgemm(true, false, rows, cols, n, p, 0, rows, q, 0, cols, d, 0, cols, false);
                } else {
                    float[] v = w.p32(rows * cols);
                    float[] t = w.q32(rows * cols);
                    lg.gatherFloat(v);
                    gemm.sgemm(false, false, rows, cols, rows, gi32, 0, rows, v, 0, cols, t, 0, cols, false);
                    gemm.sgemm(false, false, rows, cols, cols, t, 0, cols, ai32, 0, cols, d, 0, cols, false);
                }
                return;
            }
            double[] d = w.d64(rows * cols);
            if (lowRank) {
                int n = lg.delta().size(0);
                double[] p = w.p64(n * rows);
                double[] q = w.q64(n * cols);
                double[] delta = lg.delta().toDoubleArray();
                double[] x = lg.input().toDoubleArray();
                gemm.dgemm(false, false, n, rows, rows, delta, 0, rows, gi, 0, rows, p, 0, rows, false);
                gemm.dgemm(false, false, n, cols, in, x, 0, in, ai, 0, cols, q, 0, cols, false);
                if (cols > in) {
                    for (int r = 0; r < n; r++) {
                        for (int c = 0; c < cols; c++) {
                            q[r * cols + c] += ai[in * cols + c];
                        }
                    }
                }
                gemm.dgemm(true, false, rows, cols, n, p, 0, rows, q, 0, cols, d, 0, cols, false);
            } else {
                double[] v = w.p64(rows * cols);
                double[] t = w.q64(rows * cols);
                lg.gatherDouble(v);
                gemm.dgemm(false, false, rows, cols, rows, gi, 0, rows, v, 0, cols, t, 0, cols, false);
                gemm.dgemm(false, false, rows, cols, cols, t, 0, cols, ai, 0, cols, d, 0, cols, false);
            }
        }
    }

    /** Whether (delta Gi)^T ([x 1] Ai) costs fewer multiply-adds than Gi V Ai for a batch of n. */
    static boolean lowRankIsCheaper(int n, int rows, int cols) {
        long lowRank = (long) n * ((long) cols * cols + (long) rows * rows + (long) rows * cols);
        long direct = (long) rows * cols * (rows + cols);
        return lowRank < direct;
    }

    /**
     * One Linear layer's gradient in the two forms the update can use: the parameters' gradients
     * (weight [out, in] row-major, bias [out] or null), and the pre-activation gradients delta [N,
     * out] with the layer's input x [N, in], of which they are delta^T [x 1].
     */
    record LayerGradient(Tensor weight, Tensor bias, Tensor delta, Tensor input) {
        int rows() {
            return weight.size(0);
        }

        /** Columns of the weight as a matrix: [O, C, kh, kw] is [O, C kh kw]. */
        int in() {
            return weight.numel() / weight.size(0);
        }

        int cols() {
            return in() + (bias == null ? 0 : 1);
        }

        /** V = [dW | db], rows x cols row-major. */
        void gatherFloat(float[] v) {
            float[] gw = weight.floatData();
            float[] gb = bias == null ? null : bias.floatData();
            int in = in();
            int cols = cols();
            for (int o = 0; o < rows(); o++) {
                System.arraycopy(gw, o * in, v, o * cols, in);
                if (gb != null) {
                    v[o * cols + in] = gb[o];
                }
            }
        }

        void gatherDouble(double[] v) {
            double[] gw = weight.toDoubleArray();
            double[] gb = bias == null ? null : bias.toDoubleArray();
            int in = in();
            int cols = cols();
            for (int o = 0; o < rows(); o++) {
                System.arraycopy(gw, o * in, v, o * cols, in);
                if (gb != null) {
                    v[o * cols + in] = gb[o];
                }
            }
        }
    }

    /** Per-layer buffers of the update, kept from step to step so a step allocates no large arrays. */
    static final class LayerWork {
        private float[] d32 = new float[0];
        private float[] p32 = new float[0];
        private float[] q32 = new float[0];
        private double[] d64 = new double[0];
        private double[] p64 = new double[0];
        private double[] q64 = new double[0];
        /** x^T x of a factor update. */
        private float[] product32 = new float[0];
        private double[] product64 = new double[0];
        /** A convolution's patch rows, a chunk of images at a time, and the sum of their chunks' products. */
        private float[] patches32 = new float[0];
        private double[] patches64 = new double[0];
        private double[] sum64 = new double[0];
        /** Scratch of an inverse refresh. */
        private double[] inverseWork = new double[0];
        private double[] rowSums = new double[0];
        /** Which of d32 and d64 holds the last update. */
        private boolean single;

        float[] d32(int size) {
            single = true;
            return d32 = d32.length >= size ? d32 : new float[size];
        }

        float[] p32(int size) {
            return p32 = p32.length >= size ? p32 : new float[size];
        }

        float[] q32(int size) {
            return q32 = q32.length >= size ? q32 : new float[size];
        }

        double[] d64(int size) {
            single = false;
            return d64 = d64.length >= size ? d64 : new double[size];
        }

        double[] p64(int size) {
            return p64 = p64.length >= size ? p64 : new double[size];
        }

        double[] q64(int size) {
            return q64 = q64.length >= size ? q64 : new double[size];
        }

        double[] rowSums(int size) {
            return rowSums = rowSums.length >= size ? rowSums : new double[size];
        }

        float[] product32(int size) {
            return product32 = product32.length >= size ? product32 : new float[size];
        }

        double[] product64(int size) {
            return product64 = product64.length >= size ? product64 : new double[size];
        }

        float[] patches32(int size) {
            return patches32 = patches32.length >= size ? patches32 : new float[size];
        }

        double[] patches64(int size) {
            return patches64 = patches64.length >= size ? patches64 : new double[size];
        }

        double[] sum64(int size) {
            return sum64 = sum64.length >= size ? sum64 : new double[size];
        }

        double[] inverseWork(int size) {
            return inverseWork = inverseWork.length >= size ? inverseWork : new double[size];
        }

        /** Element j of the last update. */
        double update(int j) {
            return single ? d32[j] : d64[j];
        }

        void set(double[] d) {
            single = false;
            d64 = d;
        }
    }

    /**
     * vec((G (x) A + damping I)^-1 vec(V)) for V of shape [rows of G, rows of A], row-major, by
     * eigendecompositions.
     */
    public static double[][] eigenDampedSolve(double[][] a, double[][] g, double[][] v, double damping) {
        int na = a.length;
        int ng = g.length;
        EigenPreconditioner pre = EigenPreconditioner.of(FlatMatrices.symmetricEigen(FlatMatrices.flatten(a), na),
                FlatMatrices.symmetricEigen(FlatMatrices.flatten(g), ng), damping, false);
        return FlatMatrices.unflatten(pre.apply(FlatMatrices.flatten(v), ng, na), ng, na);
    }

    /** G^-1 V A^-1 for positive definite factors: vec of it is (G (x) A)^-1 vec(V) with row-major vec. */
    public static double[][] factoredSolve(double[][] a, double[][] g, double[][] v) {
        int na = a.length;
        int ng = g.length;
        double[] ai = FlatMatrices.spdInverse(FlatMatrices.flatten(a), na, 0);
        double[] gi = FlatMatrices.spdInverse(FlatMatrices.flatten(g), ng, 0);
        if (ai == null || gi == null) {
            throw new IllegalArgumentException("factoredSolve needs positive definite factors");
        }
        double[] d = FactoredPreconditioner.of(ai, gi).apply(FlatMatrices.flatten(v), ng, na);
        return FlatMatrices.unflatten(d, ng, na);
    }

    private boolean singlePrecision() {
        return problem.parameters().get(0).dtype() == DType.FLOAT32;
    }

    private void refreshInverses(ParamGroup g) {
        double damping = g.getDouble("damping");
        boolean eigen = g.get("damping_mode").equals("eigen");
        boolean single = singlePrecision();
        for (int i = 0; i < layers.size(); i++) {
            double[] a = factorA.get(i);
            double[] gg = factorG.get(i);
            int na = sideA(i);
            int ng = sideG(i);
            FlatMatrices.mirrorLower(a, na); // G is kept symmetric by Gram.blendInto
            if (eigen) {
                inverses.set(i, EigenPreconditioner.of(FlatMatrices.symmetricEigen(a, na),
                        FlatMatrices.symmetricEigen(gg, ng), damping, single));
            } else {
                double ta = Math.max(FlatMatrices.trace(a, na) / na, 1e-300);
                double tg = Math.max(FlatMatrices.trace(gg, ng) / ng, 1e-300);
                double pi = Math.sqrt(ta / tg);
                double root = Math.sqrt(damping);
                FactoredPreconditioner fp = inverses.get(i) instanceof FactoredPreconditioner old
                        && old.fits(na, ng, single) ? old : FactoredPreconditioner.allocate(na, ng, single);
                inverses.set(i, null); // until the refresh succeeds: its arrays are overwritten
                if (!fp.refresh(a, na, pi * root, gg, ng, root / pi, layers.get(i).in(), work.get(i))) {
                    throw new ArithmeticException("kfac: a damped factor of " + layers.get(i).describe() + " is not positive definite "
                            + "(non-finite activations or gradients?)");
                }
                inverses.set(i, fp);
            }
        }
    }

    // ------------------------------------------------------------------ state dict

    /** The state dict's keys (see the class comment). */
    private static final String STEP = "step";
    private static final String FACTOR_A = "factor_A";
    private static final String FACTOR_G = "factor_G";
    private static final String A_INV = "A_inv";
    private static final String G_INV = "G_inv";
    private static final String A_EIGENVALUES = "A_eigenvalues";
    private static final String A_EIGENVECTORS = "A_eigenvectors";
    private static final String G_EIGENVALUES = "G_eigenvalues";
    private static final String G_EIGENVECTORS = "G_eigenvectors";
    private static final String EIGEN_DAMPING = "eigen_damping";
    private static final String MOMENTUM_BUFFER = "momentum_buffer";
    private static final List<String> EIGEN_KEYS = List.of(A_EIGENVALUES, A_EIGENVECTORS, G_EIGENVALUES,
            G_EIGENVECTORS, EIGEN_DAMPING);

    /**
     * The hyperparameters and everything a new K-FAC needs to continue exactly as this one would:
     * the step count and the Monte-Carlo generator, each layer's factors and the inverses of its
     * last refresh (saved, not recomputed on load, so a run resumed with another number of threads
     * is still exact), and the momentum buffers; keys as in the class comment, tensors float64.
     */
    @Override
    public StateDict stateDict() {
        StateDict base = super.stateDict();
        Map<Parameter, Map<String, Object>> own = new IdentityHashMap<>();
        Map<String, Object> first = own.computeIfAbsent(paramGroups().get(0).params().get(0), k -> new LinkedHashMap<>());
        first.put(STEP, steps);
        first.put(SecondOrderSupport.GENERATOR, rng.state());
        for (int i = 0; i < layers.size(); i++) {
            Map<String, Object> layer = own.computeIfAbsent(layers.get(i).weight(), k -> new LinkedHashMap<>());
            int na = sideA(i);
            int ng = sideG(i);
            if (factorA.get(i) != null) {
                double[] a = factorA.get(i).clone();
                FlatMatrices.mirrorLower(a, na); // only the lower triangle is current between refreshes
                layer.put(FACTOR_A, Tensor.fromArray(a, na, na));
            }
            if (factorG.get(i) != null) {
                layer.put(FACTOR_G, Tensor.fromArray(factorG.get(i).clone(), ng, ng));
            }
            if (inverses.get(i) instanceof FactoredPreconditioner fp) {
                layer.put(A_INV, Tensor.fromArray(fp.ai.clone(), na, na));
                layer.put(G_INV, Tensor.fromArray(fp.gi.clone(), ng, ng));
            } else if (inverses.get(i) instanceof EigenPreconditioner ep) {
                layer.put(A_EIGENVALUES, Tensor.fromArray(ep.a().values().clone(), na));
                layer.put(A_EIGENVECTORS, Tensor.fromArray(ep.a().vectors().clone(), na, na));
                layer.put(G_EIGENVALUES, Tensor.fromArray(ep.g().values().clone(), ng));
                layer.put(G_EIGENVECTORS, Tensor.fromArray(ep.g().vectors().clone(), ng, ng));
                layer.put(EIGEN_DAMPING, ep.damping());
            }
        }
        momentum.forEach((p, buf) -> own.computeIfAbsent(p, k -> new LinkedHashMap<>())
                .put(MOMENTUM_BUFFER, Tensor.fromArray(buf.clone(), p.shape())));
        Map<String, Map<String, Object>> state = new LinkedHashMap<>();
        parametersByKey().forEach((key, p) -> {
            Map<String, Object> st = new LinkedHashMap<>(base.state().getOrDefault(key, Map.of()));
            st.putAll(own.getOrDefault(p, Map.of()));
            if (!st.isEmpty()) {
                state.put(key, st);
            }
        });
        return new StateDict(base.optimizer(), base.groups(), state);
    }

    /**
     * Restores a state dict from {@link #stateDict()}: after it this K-FAC steps exactly as the one
     * that saved it. Everything is checked (kind, groups, which state each parameter may hold, the
     * tensors' shapes and dtype) before anything changes.
     */
    @Override
    public void loadStateDict(StateDict dict) {
        requireSameGroups(dict);
        Saved saved = check(dict.state());
        super.loadStateDict(new StateDict(dict.optimizer(), dict.groups(), Map.of()));
        steps = saved.steps();
        rng.setState(saved.generator());
        for (int i = 0; i < layers.size(); i++) {
            factorA.set(i, saved.factorA()[i]);
            factorG.set(i, saved.factorG()[i]);
            inverses.set(i, saved.inverses()[i]);
        }
        momentum.clear();
        momentum.putAll(saved.momentum());
    }

    /** A state dict's content, checked and in the form K-FAC keeps it. */
    private record Saved(int steps, long[] generator, double[][] factorA, double[][] factorG,
                         Preconditioner[] inverses, Map<Parameter, double[]> momentum) {}

    private Saved check(Map<String, Map<String, Object>> state) {
        Map<String, Parameter> byKey = parametersByKey();
        Map<Parameter, String> keyOf = new IdentityHashMap<>();
        byKey.forEach((key, p) -> keyOf.put(p, key));
        Parameter first = paramGroups().get(0).params().get(0);
        Map<Parameter, Integer> layerOf = new IdentityHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            layerOf.put(layers.get(i).weight(), i);
        }
        for (Map.Entry<String, Map<String, Object>> e : state.entrySet()) {
            Parameter p = byKey.get(e.getKey());
            if (p == null) {
                throw new UsageException("state dict has state for unknown parameter '" + e.getKey() + "'");
            }
            List<String> valid = new ArrayList<>();
            if (p == first) {
                valid.addAll(List.of(STEP, SecondOrderSupport.GENERATOR));
            }
            if (layerOf.containsKey(p)) {
                valid.addAll(List.of(FACTOR_A, FACTOR_G, A_INV, G_INV));
                valid.addAll(EIGEN_KEYS);
            }
            valid.add(MOMENTUM_BUFFER);
            for (String item : e.getValue().keySet()) {
                if (!valid.contains(item)) {
                    throw new UsageException("kfac keeps no state '" + item + "' for parameter '" + e.getKey()
                            + "'; valid: " + String.join(", ", valid));
                }
            }
        }
        String firstKey = keyOf.get(first);
        Map<String, Object> global = state.getOrDefault(firstKey, Map.of());
        if (!(global.get(STEP) instanceof Integer count) || count < 0) {
            throw new UsageException("state '" + STEP + "' of parameter '" + firstKey + "' is "
                    + SecondOrderSupport.describe(global.get(STEP)) + ", expected the number of steps taken");
        }
        long[] generator = SecondOrderSupport.savedGenerator(global, firstKey);
        boolean single = singlePrecision();
        int n = layers.size();
        double[][] as = new double[n][];
        double[][] gs = new double[n][];
        Preconditioner[] pre = new Preconditioner[n];
        for (int i = 0; i < n; i++) {
            String key = keyOf.get(layers.get(i).weight());
            Map<String, Object> st = state.getOrDefault(key, Map.of());
            int na = sideA(i);
            int ng = sideG(i);
            as[i] = SecondOrderSupport.savedArray(st, FACTOR_A, key, na, na);
            gs[i] = SecondOrderSupport.savedArray(st, FACTOR_G, key, ng, ng);
            boolean factored = st.containsKey(A_INV) || st.containsKey(G_INV);
            boolean eigen = EIGEN_KEYS.stream().anyMatch(st::containsKey);
            if (factored && eigen) {
                throw new UsageException("parameter '" + key + "' holds both factored (" + A_INV + ", " + G_INV
                        + ") and eigen inverses (" + String.join(", ", EIGEN_KEYS) + "); K-FAC saves one form");
            }
            if (factored) {
                double[] ai = SecondOrderSupport.requireSaved(st, A_INV, key, na, na);
                double[] gi = SecondOrderSupport.requireSaved(st, G_INV, key, ng, ng);
                pre[i] = FactoredPreconditioner.restore(ai, na, gi, ng, layers.get(i).in(), single);
            } else if (eigen) {
                double[] la = SecondOrderSupport.requireSaved(st, A_EIGENVALUES, key, na);
                double[] qa = SecondOrderSupport.requireSaved(st, A_EIGENVECTORS, key, na, na);
                double[] lg = SecondOrderSupport.requireSaved(st, G_EIGENVALUES, key, ng);
                double[] qg = SecondOrderSupport.requireSaved(st, G_EIGENVECTORS, key, ng, ng);
                if (!(st.get(EIGEN_DAMPING) instanceof Double damping)) {
                    throw new UsageException("state '" + EIGEN_DAMPING + "' of parameter '" + key + "' is "
                            + SecondOrderSupport.describe(st.get(EIGEN_DAMPING))
                            + ", expected the damping of the eigen inverses");
                }
                pre[i] = EigenPreconditioner.of(new FlatMatrices.Eigen(la, qa, na), new FlatMatrices.Eigen(lg, qg, ng),
                        damping, single);
            }
            if (count > 0 && (as[i] == null || gs[i] == null || pre[i] == null)) {
                throw new UsageException("parameter '" + key + "' has no " + (as[i] == null ? FACTOR_A
                        : gs[i] == null ? FACTOR_G : "inverses (" + A_INV + " and " + G_INV + ", or the eigen form)")
                        + ", which K-FAC holds for each layer after its first step (this dict is after step " + count
                        + ")");
            }
        }
        Map<Parameter, double[]> buffers = new IdentityHashMap<>();
        state.forEach((key, st) -> {
            Parameter p = byKey.get(key);
            double[] buf = SecondOrderSupport.savedArray(st, MOMENTUM_BUFFER, key, p.shape());
            if (buf != null) {
                buffers.put(p, buf);
            }
        });
        return new Saved(count, generator, as, gs, pre, buffers);
    }

    @Override
    public CurvatureProblem problem() {
        return problem;
    }

    /**
     * One K-FAC step on the problem's current batch; returns the loss before it. The closure (may be
     * null) is told of the gradients through {@link Optimizer.Closure#afterGradients} before anything
     * changes; its {@code evaluate()} is not called.
     */
    @Override
    public double step(Closure closure) {
        ParamGroup g = SecondOrderSupport.onlyGroup(this);
        if (closure instanceof ShardedClosure sharded) {
            return stepSharded(g, sharded);
        }
        Forward f = forward();
        Tensor loss = problem.loss(f.z());
        double value = loss.item();
        // one backward pass for the parameters' gradients and the pre-activation gradients
        List<Parameter> ps = g.params();
        int layerCount = layers.size();
        Tensor[] wrt = new Tensor[ps.size() + layerCount];
        for (int i = 0; i < ps.size(); i++) {
            wrt[i] = ps.get(i);
        }
        System.arraycopy(f.preActivations(), 0, wrt, ps.size(), layerCount);
        Tensor[] grads = Autograd.grad(loss, wrt, false);
        for (int i = 0; i < ps.size(); i++) {
            ps.get(i).setGrad(grads[i]);
        }
        // the caller's checks, before the factors, inverses, momentum or weights change; a caller that
        // changed the gradients (clipping) gets the update from them, not from the untouched delta
        boolean changed = closure != null && closure.afterGradients(value);
        Map<Parameter, Tensor> gradOf = new IdentityHashMap<>();
        for (int i = 0; i < ps.size(); i++) {
            gradOf.put(ps.get(i), changed ? ps.get(i).grad() : grads[i]);
        }
        if (steps % (int) g.getDouble("factor_update_period") == 0) {
            updateFactors(g, f, loss);
        }
        Tensor[] deltas = new Tensor[layerCount];
        System.arraycopy(grads, ps.size(), deltas, 0, layerCount);
        precondition(g, gradOf, changed ? null : deltas, f.inputs());
        return value;
    }

    /**
     * The step of {@link ShardedClosure}: the gradient (and on factor-update steps the factor sums)
     * come from the closure, the factors are blended from the sums, and the update is the direct
     * product G^-1 V A^-1 of the preconditioning that follows.
     */
    private double stepSharded(ParamGroup g, ShardedClosure closure) {
        boolean refresh = steps % (int) g.getDouble("factor_update_period") == 0;
        long[] before = rng.state();
        FactorRequest request = refresh
                ? new FactorRequest(FisherType.parse("fisher", String.valueOf(g.get("fisher"))), rng.nextLong()) : null;
        BatchSums sums;
        try {
            sums = closure.gradients(request);
        } catch (RuntimeException e) {
            rng.setState(before); // a refused step changes nothing but the grads
            throw e;
        }
        if (refresh) {
            blendFactors(g, sums.factors());
        }
        Map<Parameter, Tensor> gradOf = new IdentityHashMap<>();
        for (Parameter p : g.params()) {
            gradOf.put(p, p.grad());
        }
        precondition(g, gradOf, null, null);
        return sums.loss();
    }

    /**
     * What K-FAC asks of the shards of a batch on a step that updates its factors: the Fisher's kind
     * (the fisher option) and the seed of the step's sampled targets, drawn from K-FAC's generator;
     * shard s samples its examples' targets from {@code new Rng(seed + s)}.
     */
    public record FactorRequest(FisherType fisher, long seed) implements java.io.Serializable {}

    /**
     * Sums over examples from which K-FAC's factors are taken, per preconditioned layer in the
     * order of the model's modules, as full row-major squares:
     * <pre>
     *   a[i] = sum_r [x_r; 1] [x_r; 1]^T     over the layer's rows[i] input rows (examples for a
     *                                        Linear layer, examples and output positions for a Conv2d)
     *   g[i] = sum_n E[d_n d_n^T]            over the examples, d_n = d(-log p(y | x_n)) / d s_n summed
     *                                        over a convolution's positions
     * </pre>
     * (the 1 only with a bias; y as the fisher option says), so that A = a / rows and G = g / examples
     * are the factors of the class comment. Sums of disjoint shards add.
     */
    public record FactorSums(double[][] a, double[][] g, long[] rows, int examples) implements java.io.Serializable {
        /**
         * The sums of several shards, added element by element in the list's order (the caller's
         * fixed order makes the result's bits a function of the shards alone).
         */
        public static FactorSums sum(List<FactorSums> inOrder) {
            FactorSums first = inOrder.getFirst();
            int layers = first.a().length;
            double[][] a = new double[layers][];
            double[][] g = new double[layers][];
            long[] rows = first.rows().clone();
            int examples = first.examples();
            for (int i = 0; i < layers; i++) {
                a[i] = first.a()[i].clone();
                g[i] = first.g()[i].clone();
            }
            for (FactorSums s : inOrder.subList(1, inOrder.size())) {
                for (int i = 0; i < layers; i++) {
                    add(a[i], s.a()[i]);
                    add(g[i], s.g()[i]);
                    rows[i] += s.rows()[i];
                }
                examples += s.examples();
            }
            return new FactorSums(a, g, rows, examples);
        }

        private static void add(double[] to, double[] x) {
            for (int j = 0; j < to.length; j++) {
                to[j] += x[j];
            }
        }
    }

    /** A batch's mean loss and, on a factor-update step, the factor sums of its shards combined. */
    public record BatchSums(double loss, FactorSums factors) {}

    /**
     * A closure for data-parallel training: it computes the batch's gradient (and K-FAC's factor
     * sums) in shards, on this machine or a cluster, instead of K-FAC computing them from its
     * problem. {@link #step} with such a closure asks it for the gradient, with a
     * {@link FactorRequest} on the steps that update the factors (every factor_update_period), blends
     * {@code FactorSums} into the moving averages, and takes the direct update G^-1 V A^-1. The
     * problem's batch is not read.
     */
    public interface ShardedClosure extends Closure {
        /**
         * Sets every parameter's grad to the batch's mean gradient (checked, and clipped as the
         * caller clips, before it returns) and returns the mean loss, with the shards' factor sums
         * when {@code request} is not null. Throwing stops the step with nothing changed but the grads.
         */
        BatchSums gradients(FactorRequest request);

        @Override
        default double evaluate() {
            return gradients(null).loss();
        }
    }

    /**
     * One shard's {@link FactorSums} for {@code model}'s Linear and Conv2d layers at its current
     * weights, on the examples {@code input} with their {@code labels}, under cross-entropy: one
     * forward pass with the layers captured and one backward pass from the sampled loss (K from the
     * output Hessian's factors with fisher=true) to their outputs. Runs on the calling thread's
     * kernels as they are; data-parallel callers wrap it in {@link Parallel#serially}.
     *
     * @throws UsageException for a layer K-FAC cannot precondition or one that runs other than once
     */
    public static FactorSums factorSums(Module model, Tensor input, int[] labels, FactorRequest request, int shard) {
        List<Layer> ls = new ArrayList<>();
        model.namedModules().forEach((path, m) -> {
            Layer l = Layer.of(path, m);
            if (l != null) {
                ls.add(l);
            }
        });
        int count = ls.size();
        Tensor z;
        ForwardCapture capture = ForwardCapture.of(ls.stream().map(Layer::module).toList());
        try (capture) {
            z = model.forward(input);
        }
        Tensor[] ins = new Tensor[count];
        Tensor[] pre = new Tensor[count];
        for (int i = 0; i < count; i++) {
            List<ForwardCapture.Call> calls = capture.calls(ls.get(i).module());
            if (calls.size() != 1) {
                throw new UsageException("kfac: " + ls.get(i).describe() + " ran " + calls.size() + " times in one"
                        + " forward pass; K-FAC needs each Linear and Conv2d layer to run exactly once");
            }
            ins[i] = calls.getFirst().input();
            pre[i] = calls.getFirst().output();
            if (ls.get(i).window() == null && ins[i].rank() != 2) {
                throw new UsageException("kfac: " + ls.get(i).describe() + " got input " + ins[i].describe()
                        + "; K-FAC needs Linear inputs of shape [batch, features]");
            }
        }
        int n = z.size(0);
        int k = z.size(1);
        KFACFactors.Gram[] grams = new KFACFactors.Gram[count];
        for (int i = 0; i < count; i++) {
            grams[i] = new KFACFactors.Gram(ls.get(i).out());
        }
        double scale = 1;
        switch (request.fisher()) {
            case TRUE -> {
                for (double[] q : LossKind.CROSS_ENTROPY.outputHessianFactors(z.toDoubleArray(), n, k)) {
                    Tensor seed = Tensor.fromArray(q, z.shape()).to(z.dtype());
                    addTo(grams, Autograd.grad(new Tensor[] {z}, new Tensor[] {seed}, pre, false));
                }
                scale = n; // the factors are those of the shard's mean loss: sum = n times theirs
            }
            case MONTE_CARLO -> {
                int[] sampled = (int[]) LossKind.CROSS_ENTROPY.sampleTargets(z.toDoubleArray(), n, k,
                        new Rng(request.seed() + shard));
                addTo(grams, Autograd.grad(Losses.crossEntropySum(z, sampled), pre, false));
            }
            case EMPIRICAL -> addTo(grams, Autograd.grad(Losses.crossEntropySum(z, labels), pre, false));
        }
        double[][] a = new double[count][];
        double[][] g = new double[count][];
        long[] rows = new long[count];
        LayerWork w = new LayerWork();
        for (int i = 0; i < count; i++) {
            Layer l = ls.get(i);
            int side = l.cols();
            a[i] = new double[side * side];
            if (l.window() == null) {
                KFACFactors.sumInputFactor(ins[i], l.bias() != null, a[i], w);
                rows[i] = n;
            } else {
                Tensor x = ins[i];
                KFACFactors.sumPatchFactor(x, l.window(), l.bias() != null, a[i], w);
                rows[i] = (long) n * l.window().outputHeight(x.size(2)) * l.window().outputWidth(x.size(3));
            }
            FlatMatrices.mirrorLower(a[i], side);
            g[i] = grams[i].blendInto(null, scale, 0);
        }
        return new FactorSums(a, g, rows, n);
    }

    private static void addTo(KFACFactors.Gram[] grams, Tensor[] grads) {
        for (int i = 0; i < grads.length; i++) {
            grams[i].add(grads[i]);
        }
    }

    /** Folds the shards' sums into the moving averages: A = a / rows, G = g / examples (the first taken as is). */
    private void blendFactors(ParamGroup g, FactorSums sums) {
        if (sums == null || sums.a().length != layers.size()) {
            throw new IllegalStateException("the sharded closure returned " + (sums == null ? "no factor sums"
                    : "factor sums of " + sums.a().length + " layers") + " for K-FAC's " + layers.size());
        }
        double decay = g.getDouble("factor_decay");
        for (int i = 0; i < layers.size(); i++) {
            if (sums.a()[i].length != sideA(i) * sideA(i) || sums.g()[i].length != sideG(i) * sideG(i)) {
                throw new IllegalStateException("the factor sums of " + layers.get(i).describe()
                        + " have the wrong size");
            }
            factorA.set(i, blend(factorA.get(i), sums.a()[i], sums.rows()[i], decay));
            factorG.set(i, blend(factorG.get(i), sums.g()[i], sums.examples(), decay));
        }
    }

    private static double[] blend(double[] target, double[] sum, double count, double decay) {
        double[] t = target == null ? new double[sum.length] : target;
        for (int j = 0; j < sum.length; j++) {
            double fresh = sum[j] / count;
            t[j] = target == null ? fresh : decay * t[j] + (1 - decay) * fresh;
        }
        return t;
    }

    /**
     * Refreshes the inverses when due, counts the step, and updates every parameter from its
     * gradient in {@code gradOf}: the preconditioned layers by G^-1 V A^-1 (kl_clip and momentum as
     * in the class comment), the others by SGD. {@code deltas} and {@code inputs}, when given, are
     * the Linear layers' pre-activation gradients and inputs of the gradient, for the low-rank order.
     */
    private void precondition(ParamGroup g, Map<Parameter, Tensor> gradOf, Tensor[] deltas, Tensor[] inputs) {
        double lr = g.getDouble("lr");
        int layerCount = layers.size();
        if (steps % (int) g.getDouble("inv_update_period") == 0 || inverses.contains(null)) {
            refreshInverses(g);
        }
        steps++;
        double gradDotUpdate = 0;
        for (int i = 0; i < layerCount; i++) {
            Layer l = layers.get(i);
            boolean lowRankable = l.window() == null && deltas != null;
            LayerGradient lg = new LayerGradient(gradOf.get(l.weight()), l.bias() == null ? null : gradOf.get(l.bias()),
                    lowRankable ? deltas[i] : null, lowRankable ? inputs[i] : null);
            LayerWork w = work.get(i);
            if (inverses.get(i) instanceof FactoredPreconditioner fp) {
                // the low-rank order needs the rows of [x 1], which a convolution has N |T| of
                fp.apply(lg, w, lowRankable && lowRankIsCheaper(lg.delta().size(0), lg.rows(), lg.cols()));
            } else {
                double[] v = new double[lg.rows() * lg.cols()];
                lg.gatherDouble(v);
                w.set(inverses.get(i).apply(v, lg.rows(), lg.cols()));
            }
            gradDotUpdate += dot(lg, w);
        }
        double klClip = g.getDouble("kl_clip");
        double nu = 1;
        if (klClip > 0 && lr > 0 && gradDotUpdate > 0) {
            nu = Math.min(1, Math.sqrt(klClip / (lr * lr * gradDotUpdate)));
        }
        double mom = g.getDouble("momentum");
        try (GradMode.Scope _ = GradMode.noGrad()) {
            for (int i = 0; i < layerCount; i++) {
                Layer l = layers.get(i);
                int in = l.in();
                int cols = l.cols();
                LayerWork w = work.get(i);
                update(l.weight(), in, cols, 0, w, nu, mom, lr);
                if (l.bias() != null) {
                    update(l.bias(), 1, cols, in, w, nu, mom, lr);
                }
            }
            for (Parameter p : plain) {
                plainUpdate(p, gradOf.get(p), mom, lr);
            }
        }
    }

    /**
     * SGD for a parameter outside the preconditioned layers: p -= lr buf with buf = mom buf + grad
     * (p -= lr grad without momentum), with K-FAC's lr and momentum and without kl_clip's scale.
     */
    private void plainUpdate(Parameter p, Tensor grad, double mom, double lr) {
        double[] buf = mom == 0 ? null : momentum.computeIfAbsent(p, k -> new double[p.numel()]);
        float[] wf = p.dtype() == DType.FLOAT32 ? p.floatData() : null;
        double[] wd = wf == null ? p.doubleData() : null;
        float[] gf = grad.dtype() == DType.FLOAT32 ? grad.floatData() : null;
        double[] gd = gf == null ? grad.doubleData() : null;
        for (int j = 0; j < p.numel(); j++) {
            double step = gf != null ? gf[j] : gd[j];
            if (buf != null) {
                step = buf[j] = mom * buf[j] + step;
            }
            if (wf != null) {
                wf[j] = (float) (wf[j] - lr * step);
            } else {
                wd[j] -= lr * step;
            }
        }
    }

    /** The gradient's inner product with the update before kl_clip scales it, summed over one layer. */
    private static double dot(LayerGradient lg, LayerWork w) {
        int in = lg.in();
        int cols = lg.cols();
        int rows = lg.rows();
        double sum = 0;
        if (w.single && lg.weight().dtype() == DType.FLOAT32) {
            float[] d = w.d32;
            float[] gw = lg.weight().floatData();
            float[] gb = lg.bias() == null ? null : lg.bias().floatData();
            double[] rowSums = w.rowSums(rows);
            Blas1 blas = Kernels.blas1();
            // rows split as the update's GEMM split them, so each core mostly reads what it wrote;
            // the row sums are added in order afterwards, the same sum on any number of threads
            Parallel.forRange(rows, Math.max(1, ElementLoops.GRAIN / Math.max(1, cols)), (from, to) -> {
                for (int o = from; o < to; o++) {
                    double s = blas.dot(in, gw, o * in, d, o * cols);
                    rowSums[o] = gb == null ? s : s + gb[o] * d[o * cols + in];
                }
            });
            for (int o = 0; o < rows; o++) {
                sum += rowSums[o];
            }
            return sum;
        }
        double[] gw = lg.weight().toDoubleArray();
        double[] gb = lg.bias() == null ? null : lg.bias().toDoubleArray();
        for (int o = 0; o < rows; o++) {
            for (int c = 0; c < in; c++) {
                sum += gw[o * in + c] * w.update(o * cols + c);
            }
            if (gb != null) {
                sum += gb[o] * w.update(o * cols + in);
            }
        }
        return sum;
    }

    /**
     * p -= lr * buf with buf = mom buf + nu d, for p laid out as rows of {@code width} elements
     * that sit at column {@code at} of the [W | b] update (width in for the weight, 1 for the bias).
     */
    private void update(Parameter p, int width, int cols, int at, LayerWork w, double nu, double mom, double lr) {
        double[] buf = mom == 0 ? null : momentum.computeIfAbsent(p, k -> new double[p.numel()]);
        float[] wf = p.dtype() == DType.FLOAT32 ? p.floatData() : null;
        double[] wd = wf == null ? p.doubleData() : null;
        int rows = p.numel() / width;
        if (buf == null && wf != null && w.single) {
            // the common case (float32, no momentum): p -= (lr nu) d, a row at a time
            float scale = (float) (lr * nu);
            float[] d = w.d32;
            Blas1 blas = Kernels.blas1();
            Parallel.forRange(rows, Math.max(1, ElementLoops.GRAIN / Math.max(1, width)), (from, to) -> {
                for (int o = from; o < to; o++) {
                    blas.axpy(width, -scale, d, o * cols + at, wf, o * width);
                }
            });
            return;
        }
        for (int o = 0; o < rows; o++) {
            for (int c = 0; c < width; c++) {
                int j = o * width + c;
                double step = nu * w.update(o * cols + at + c);
                if (buf != null) {
                    step = buf[j] = mom * buf[j] + step;
                }
                if (wf != null) {
                    wf[j] = (float) (wf[j] - lr * step);
                } else {
                    wd[j] -= lr * step;
                }
            }
        }
    }

    /** A builder with torch's defaults: one typed method per option of {@link #OPTIONS}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Typed settings of {@link KFAC}, with torch's defaults and checks (run when built); see
     * {@link OptimizerBuilder} for groups.
     */
    public static final class Builder extends OptimizerBuilder<Builder, KFAC> {
        private Builder() {
            super("KFAC", OPTIONS, Builder::new, (s, groups) -> KFAC.withGroups(groups));
        }

        /** Sets {@code lr}: the learning rate; default 0.1. */
        public Builder lr(double value) {
            return set(LR, value);
        }

        /** Sets {@code damping}: the Tikhonov damping of the factors; default 1e-3. */
        public Builder damping(double value) {
            return set(DAMPING, value);
        }

        /** Sets {@code damping_mode}: factored or eigen: how the damping enters the inverse; default "factored". */
        public Builder dampingMode(String value) {
            return set(DAMPING_MODE, value);
        }

        /** Sets {@code factor_decay}: the decay of the running factor averages; default 0.95. */
        public Builder factorDecay(double value) {
            return set(FACTOR_DECAY, value);
        }

        /** Sets {@code factor_update_period}: steps between factor updates; default 10. */
        public Builder factorUpdatePeriod(int value) {
            return set(FACTOR_UPDATE_PERIOD, value);
        }

        /** Sets {@code inv_update_period}: steps between refreshes of the inverses; default 100. */
        public Builder invUpdatePeriod(int value) {
            return set(INV_UPDATE_PERIOD, value);
        }

        /** Sets {@code momentum}: the momentum of the preconditioned update; default 0. */
        public Builder momentum(double value) {
            return set(MOMENTUM, value);
        }

        /** Sets {@code kl_clip}: the bound on the update's KL change; default 1e-3. */
        public Builder klClip(double value) {
            return set(KL_CLIP, value);
        }

        /** Sets {@code fisher}: mc, true or empirical: the targets of G; default "mc". */
        public Builder fisher(String value) {
            return set(FISHER, value);
        }

        /** Sets {@code seed}: the generator of the sampled targets; default 0. */
        public Builder seed(int value) {
            return set(SEED, value);
        }

        /**
         * Builds the optimizer on a curvature problem (the model, its loss kind and a batch), with
         * the builder's settings; it takes no further groups.
         */
        public KFAC build(CurvatureProblem problem) {
            requireSingleGroup("kfac");
            return new KFAC(problem, settings());
        }
    }
}
