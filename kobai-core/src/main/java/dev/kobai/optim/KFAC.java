package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.autograd.Autograd;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.DenseMatrices;
import dev.kobai.curvature.FisherType;
import dev.kobai.nn.Linear;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * K-FAC (Martens and Grosse 2015) for the Linear layers of a {@link Sequential} model: each layer's
 * Fisher block is approximated by a Kronecker product of two small matrices,
 * <pre>
 *   A = E[a_bar a_bar^T]  (layer input with a 1 appended for the bias),
 *   G = E[g g^T]          (g = d loss / d pre-activation, targets from the model: the Fisher),
 * </pre>
 * and with W flattened row-major (weight columns then the bias column) the block is G (x) A, so
 * the preconditioned gradient is G^-1 grad_W A^-1, two small inverses per layer.
 *
 * <p>It needs a {@link CurvatureProblem} built from a Sequential of Linear layers and
 * parameter-free layers (activations, Flatten, Dropout); the registry entry {@code kfac} refuses
 * plain parameters.
 *
 * <p>Options (defaults, after kfac-pytorch): lr=0.1; damping=1e-3; damping_mode=eigen (exact
 * (G (x) A + damping I)^-1 from eigendecompositions of A and G; factored: the pi-adjusted
 * (A + pi sqrt(damping) I) (x) (G + sqrt(damping)/pi I) of the paper, pi^2 = (tr A / dim A) /
 * (tr G / dim G)); factor_decay=0.95 (moving averages of A and G, the first estimate taken as is);
 * inv_update_period=1 (steps between refreshes of the inverses); momentum=0.0; kl_clip=1e-3
 * (scales the update by min(1, sqrt(kl_clip / (lr^2 sum grad . update))); 0 turns it off);
 * fisher=true (G from the exact expectation over the model's predictive distribution: K extra
 * backward passes from the outputs to the layers; mc: one sampled target; empirical: the data's
 * labels); seed=0.
 *
 * <p>Cost per step: one forward and backward pass, K (true), or one (mc) more partial backward
 * passes, and O(in^3 + out^3) per layer when the inverses are refreshed.
 */
public final class KFAC extends Optimizer implements CurvatureOptimizer {
    private final CurvatureProblem problem;
    private final List<Module> layers;
    private final List<Linear> linears = new ArrayList<>();
    private final List<double[][]> factorA = new ArrayList<>();
    private final List<double[][]> factorG = new ArrayList<>();
    private final List<Object[]> inverses = new ArrayList<>();
    private final Map<Parameter, double[]> momentum = new IdentityHashMap<>();
    private final Rng rng;
    private int steps;

    public KFAC(CurvatureProblem problem, Map<String, Object> options) {
        super(single(problem.parameters(), options), defaultOptions());
        SecondOrderSupport.requireSingleGroup("kfac", paramGroups());
        this.problem = problem;
        if (!(problem.model() instanceof Sequential seq)) {
            throw new UsageException("kfac needs a CurvatureProblem made from a Sequential model of Linear layers");
        }
        this.layers = seq.layers();
        for (Module m : layers) {
            if (m instanceof Linear l) {
                linears.add(l);
                factorA.add(null);
                factorG.add(null);
                inverses.add(null);
            } else if (!m.parameters().isEmpty()) {
                throw new UsageException("kfac handles Linear layers only; " + m + " has parameters");
            }
        }
        this.rng = new Rng((long) paramGroups().get(0).getDouble("seed"));
    }

    /** For the registry: K-FAC needs the model's layers and outputs, so plain parameters are refused. */
    public static KFAC withGroups(List<ParamGroup> groups) {
        throw new UsageException("kfac needs the model's Linear layers and a predictive distribution, not plain "
                + "parameters; from Java, construct new KFAC(CurvatureProblem.of(model, lossKind, inputs, targets), "
                + "options)");
    }

    public static Map<String, Object> defaultOptions() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("lr", 0.1);
        d.put("damping", 1e-3);
        d.put("damping_mode", "eigen");
        d.put("factor_decay", 0.95);
        d.put("inv_update_period", 1);
        d.put("momentum", 0.0);
        d.put("kl_clip", 1e-3);
        d.put("fisher", "true");
        d.put("seed", 0);
        return d;
    }

    @Override
    protected void validate(ParamGroup g) {
        SecondOrderSupport.requireNonNegative(g, "lr");
        SecondOrderSupport.requirePositive(g, "damping");
        g.set("damping_mode", SecondOrderSupport.choice(g, "damping_mode", "eigen", "factored"));
        SecondOrderSupport.requireInRange(g, "factor_decay", 0, 1);
        SecondOrderSupport.requireWhole(g, "inv_update_period", 1);
        SecondOrderSupport.requireInRange(g, "momentum", 0, 1);
        SecondOrderSupport.requireNonNegative(g, "kl_clip");
        FisherType.parse("fisher", String.valueOf(g.get("fisher")));
        SecondOrderSupport.requireWhole(g, "seed", 0);
    }

    /** The Linear layers K-FAC preconditions, in order. */
    public List<Linear> linearLayers() {
        return List.copyOf(linears);
    }

    /** The current (averaged) input factor A of layer {@code i}, (in + 1) square with a bias. */
    public double[][] factorA(int i) {
        return DenseMatrices.copy(factorA.get(i));
    }

    /** The current (averaged) output-gradient factor G of layer {@code i}, out x out. */
    public double[][] factorG(int i) {
        return DenseMatrices.copy(factorG.get(i));
    }

    /**
     * The approximate Fisher block G (x) A of layer {@code i}, reordered to the layer's parameter
     * order (weight row-major, then bias), so it compares with blocks of dense matrices at
     * {@link #blockIndices}.
     */
    public double[][] fisherBlock(int i) {
        double[][] k = DenseMatrices.kron(factorG.get(i), factorA.get(i));
        int[] order = augmentedToParameterOrder(linears.get(i));
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
        Linear l = linears.get(i);
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
        int[] idx = new int[nw + (l.bias() == null ? 0 : l.outFeatures())];
        for (int j = 0; j < nw; j++) {
            idx[j] = weightAt + j;
        }
        for (int j = nw; j < idx.length; j++) {
            idx[j] = biasAt + j - nw;
        }
        return idx;
    }

    /** Where element (o, c) of the augmented [W | b] matrix lives in [weight..., bias...] order. */
    private static int[] augmentedToParameterOrder(Linear l) {
        int in = l.inFeatures();
        int cols = in + (l.bias() == null ? 0 : 1);
        int[] order = new int[l.outFeatures() * cols];
        for (int o = 0; o < l.outFeatures(); o++) {
            for (int c = 0; c < cols; c++) {
                order[o * cols + c] = c < in ? o * in + c : l.weight().numel() + o;
            }
        }
        return order;
    }

    /** One forward pass that keeps each Linear layer's input values and output tensor. */
    private record Forward(Tensor z, List<double[][]> inputs, Tensor[] preActivations) {}

    private Forward forward() {
        try (GradMode.Scope ignored = GradMode.set(true)) {
            Tensor x = problem.inputs();
            List<double[][]> ins = new ArrayList<>();
            Tensor[] pre = new Tensor[linears.size()];
            int k = 0;
            for (Module m : layers) {
                if (m instanceof Linear l) {
                    if (x.rank() != 2) {
                        throw new UsageException("kfac needs 2-D inputs to Linear layers, got " + x.describe());
                    }
                    int n = x.size(0);
                    int cols = l.inFeatures() + (l.bias() == null ? 0 : 1);
                    double[][] a = new double[n][cols];
                    for (int r = 0; r < n; r++) {
                        for (int c = 0; c < l.inFeatures(); c++) {
                            a[r][c] = x.get(r, c);
                        }
                        if (l.bias() != null) {
                            a[r][cols - 1] = 1;
                        }
                    }
                    ins.add(a);
                    x = l.forward(x);
                    pre[k++] = x;
                } else {
                    x = m.forward(x);
                }
            }
            if (x.rank() != 2) {
                throw new UsageException("kfac needs model outputs of shape [N, K], got " + x.describe());
            }
            return new Forward(x, ins, pre);
        }
    }

    /**
     * Computes fresh factors for the current batch and parameters and folds them into the moving
     * averages (the first estimate is taken as is); returns the loss tensor.
     */
    public Tensor updateFactors() {
        ParamGroup g = paramGroups().get(0);
        FisherType type = FisherType.parse("fisher", String.valueOf(g.get("fisher")));
        double decay = g.getDouble("factor_decay");
        Forward f = forward();
        Tensor loss = problem.loss(f.z());
        int n = f.z().size(0);
        int k = f.z().size(1);
        double[] z = f.z().toDoubleArray();
        List<double[][]> gs = new ArrayList<>();
        for (Linear l : linears) {
            gs.add(new double[l.outFeatures()][l.outFeatures()]);
        }
        if (type == FisherType.TRUE) {
            for (double[] q : problem.kind().outputHessianFactors(z, n, k)) {
                Tensor seed = Tensor.zeros(f.z().dtype(), f.z().shape());
                for (int i = 0; i < q.length; i++) {
                    seed.setFlat(i, q[i]);
                }
                accumulateOuter(gs, Autograd.grad(new Tensor[] {f.z()}, new Tensor[] {seed}, f.preActivations(), false),
                        1);
            }
        } else {
            Tensor l = type == FisherType.EMPIRICAL ? loss : sampledLoss(f.z());
            double scale = problem.kind().normaliser(n, k);
            accumulateOuter(gs, Autograd.grad(l, f.preActivations(), false), scale);
        }
        for (int i = 0; i < linears.size(); i++) {
            double[][] a = f.inputs().get(i);
            int cols = a[0].length;
            double[][] an = new double[cols][cols];
            for (double[] row : a) {
                for (int r = 0; r < cols; r++) {
                    for (int c = 0; c < cols; c++) {
                        an[r][c] += row[r] * row[c] / n;
                    }
                }
            }
            factorA.set(i, blend(factorA.get(i), an, decay));
            factorG.set(i, blend(factorG.get(i), gs.get(i), decay));
        }
        return loss;
    }

    private Tensor sampledLoss(Tensor z) {
        Object sampled = problem.sampleTargets(z, rng);
        try (GradMode.Scope ignored = GradMode.set(true)) {
            if (sampled instanceof int[] labels) {
                return problem.kind().loss(z, null, labels);
            }
            double[] y = (double[]) sampled;
            Tensor t = Tensor.zeros(z.dtype(), z.shape());
            for (int i = 0; i < y.length; i++) {
                t.setFlat(i, y[i]);
            }
            return problem.kind().loss(z, t, null);
        }
    }

    private static void accumulateOuter(List<double[][]> gs, Tensor[] grads, double scale) {
        for (int i = 0; i < grads.length; i++) {
            Tensor b = grads[i];
            int n = b.size(0);
            int out = b.size(1);
            double[][] gi = gs.get(i);
            for (int r = 0; r < n; r++) {
                for (int p = 0; p < out; p++) {
                    double bp = scale * b.get(r, p);
                    for (int q = 0; q < out; q++) {
                        gi[p][q] += bp * b.get(r, q);
                    }
                }
            }
        }
    }

    private static double[][] blend(double[][] old, double[][] fresh, double decay) {
        if (old == null) {
            return fresh;
        }
        for (int i = 0; i < fresh.length; i++) {
            for (int j = 0; j < fresh.length; j++) {
                fresh[i][j] = decay * old[i][j] + (1 - decay) * fresh[i][j];
            }
        }
        return fresh;
    }

    /** vec((G (x) A + damping I)^-1 vec(V)) for V of shape [rows of G, rows of A], row-major, by eigendecompositions. */
    public static double[][] eigenDampedSolve(double[][] a, double[][] g, double[][] v, double damping) {
        return eigenSolve(DenseMatrices.symmetricEigen(a), DenseMatrices.symmetricEigen(g), v, damping);
    }

    private static double[][] eigenSolve(DenseMatrices.Eigen ea, DenseMatrices.Eigen eg, double[][] v, double damping) {
        double[][] qa = ea.vectors();
        double[][] qg = eg.vectors();
        double[][] rotated = DenseMatrices.multiply(DenseMatrices.multiply(DenseMatrices.transpose(qg), v), qa);
        for (int i = 0; i < rotated.length; i++) {
            for (int j = 0; j < rotated[0].length; j++) {
                rotated[i][j] /= eg.values()[i] * ea.values()[j] + damping;
            }
        }
        return DenseMatrices.multiply(DenseMatrices.multiply(qg, rotated), DenseMatrices.transpose(qa));
    }

    /** G^-1 V A^-1 for positive definite factors: vec of it is (G (x) A)^-1 vec(V) with row-major vec. */
    public static double[][] factoredSolve(double[][] a, double[][] g, double[][] v) {
        double[][] ai = DenseMatrices.spdInverse(a, 0);
        double[][] gi = DenseMatrices.spdInverse(g, 0);
        if (ai == null || gi == null) {
            throw new IllegalArgumentException("factoredSolve needs positive definite factors");
        }
        return DenseMatrices.multiply(DenseMatrices.multiply(gi, v), ai);
    }

    private void refreshInverses(ParamGroup g) {
        double damping = g.getDouble("damping");
        boolean eigen = g.get("damping_mode").equals("eigen");
        for (int i = 0; i < linears.size(); i++) {
            double[][] a = factorA.get(i);
            double[][] gg = factorG.get(i);
            if (eigen) {
                inverses.set(i, new Object[] {DenseMatrices.symmetricEigen(a), DenseMatrices.symmetricEigen(gg)});
            } else {
                double ta = Math.max(DenseMatrices.trace(a) / a.length, 1e-300);
                double tg = Math.max(DenseMatrices.trace(gg) / gg.length, 1e-300);
                double pi = Math.sqrt(ta / tg);
                double root = Math.sqrt(damping);
                inverses.set(i, new Object[] {DenseMatrices.spdInverse(a, pi * root),
                        DenseMatrices.spdInverse(gg, root / pi)});
            }
        }
    }

    @Override
    public CurvatureProblem problem() {
        return problem;
    }

    @Override
    public double step(Closure closure) {
        ParamGroup g = SecondOrderSupport.onlyGroup(this);
        double lr = g.getDouble("lr");
        double damping = g.getDouble("damping");
        boolean eigen = g.get("damping_mode").equals("eigen");
        Tensor loss = updateFactors();
        List<Parameter> ps = g.params();
        Tensor[] grads = Autograd.grad(loss, ps.toArray(new Tensor[0]), false);
        Map<Parameter, Tensor> gradOf = new IdentityHashMap<>();
        for (int i = 0; i < ps.size(); i++) {
            gradOf.put(ps.get(i), grads[i]);
            ps.get(i).setGrad(grads[i]);
        }
        if (steps % (int) g.getDouble("inv_update_period") == 0) {
            refreshInverses(g);
        }
        steps++;
        List<double[][]> updates = new ArrayList<>();
        double gradDotUpdate = 0;
        for (int i = 0; i < linears.size(); i++) {
            Linear l = linears.get(i);
            int in = l.inFeatures();
            int cols = in + (l.bias() == null ? 0 : 1);
            double[][] v = new double[l.outFeatures()][cols];
            Tensor gw = gradOf.get(l.weight());
            Tensor gb = l.bias() == null ? null : gradOf.get(l.bias());
            for (int o = 0; o < l.outFeatures(); o++) {
                for (int c = 0; c < in; c++) {
                    v[o][c] = gw.getFlat(o * in + c);
                }
                if (gb != null) {
                    v[o][in] = gb.getFlat(o);
                }
            }
            Object[] inv = inverses.get(i);
            double[][] d = eigen
                    ? eigenSolve((DenseMatrices.Eigen) inv[0], (DenseMatrices.Eigen) inv[1], v, damping)
                    : DenseMatrices.multiply(DenseMatrices.multiply((double[][]) inv[1], v), (double[][]) inv[0]);
            for (int o = 0; o < v.length; o++) {
                gradDotUpdate += DenseMatrices.dot(v[o], d[o]);
            }
            updates.add(d);
        }
        double klClip = g.getDouble("kl_clip");
        double nu = 1;
        if (klClip > 0 && lr > 0 && gradDotUpdate > 0) {
            nu = Math.min(1, Math.sqrt(klClip / (lr * lr * gradDotUpdate)));
        }
        double mom = g.getDouble("momentum");
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int i = 0; i < linears.size(); i++) {
                Linear l = linears.get(i);
                double[][] d = updates.get(i);
                int in = l.inFeatures();
                apply(l.weight(), (o, c) -> d[o][c], in, nu, mom, lr);
                if (l.bias() != null) {
                    apply(l.bias(), (o, c) -> d[o][in], 1, nu, mom, lr);
                }
            }
        }
        return loss.item();
    }

    private interface Entry {
        double at(int row, int col);
    }

    private void apply(Parameter p, Entry d, int cols, double nu, double mom, double lr) {
        double[] buf = momentum.computeIfAbsent(p, k -> new double[p.numel()]);
        for (int i = 0; i < p.numel(); i++) {
            double u = nu * d.at(i / cols, i % cols);
            buf[i] = mom * buf[i] + u;
            p.setFlat(i, p.getFlat(i) - lr * buf[i]);
        }
    }
}
