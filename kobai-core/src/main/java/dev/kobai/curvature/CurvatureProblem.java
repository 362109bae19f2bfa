package dev.kobai.curvature;

import dev.kobai.UsageException;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.function.Function;

/**
 * What the Gauss-Newton and Fisher methods need beyond a loss closure: the parameters, a function
 * computing the model outputs z (logits) of a batch from the current parameters, the kind of loss
 * on z, and the batch's targets. With these it offers gradients, Hessian-, Jacobian-,
 * Gauss-Newton- and Fisher-vector products, and dense matrices for small models.
 *
 * <p>The batch can be replaced between steps ({@link #setBatch}); the parameters are read by the
 * forward function, so optimizers move them in place as usual.
 *
 * <pre>{@code
 * CurvatureProblem problem = CurvatureProblem.of(model, LossKind.CROSS_ENTROPY, x, labels);
 * Optimizer opt = new NaturalGradient(problem, Map.of("lr", 1.0, "damping", 1e-3));
 * opt.step(problem::evaluate);
 * }</pre>
 */
public final class CurvatureProblem {
    private final List<Parameter> params;
    private final Function<Tensor, Tensor> forward;
    private final LossKind kind;
    private final Module model;
    private Tensor inputs;
    private Tensor targets;
    private int[] labels;

    private CurvatureProblem(List<Parameter> params, Function<Tensor, Tensor> forward, LossKind kind, Module model) {
        if (params.isEmpty()) {
            throw new UsageException("a curvature problem needs at least one parameter");
        }
        this.params = List.copyOf(params);
        this.forward = forward;
        this.kind = kind;
        this.model = model;
    }

    /** A model with a regression-style target tensor (MSE, BCE, Poisson). */
    public static CurvatureProblem of(Module model, LossKind kind, Tensor inputs, Tensor targets) {
        CurvatureProblem p = new CurvatureProblem(model.parameters(), model::forward, kind, model);
        p.setBatch(inputs, targets);
        return p;
    }

    /** A classifier with integer labels (cross-entropy). */
    public static CurvatureProblem of(Module model, LossKind kind, Tensor inputs, int[] labels) {
        CurvatureProblem p = new CurvatureProblem(model.parameters(), model::forward, kind, model);
        p.setBatch(inputs, labels);
        return p;
    }

    /** Any differentiable function of {@code params}: {@code forward} maps a batch of inputs to z [N, K]. */
    public static CurvatureProblem of(List<Parameter> params, Function<Tensor, Tensor> forward, LossKind kind,
                                      Tensor inputs, Tensor targets) {
        CurvatureProblem p = new CurvatureProblem(params, forward, kind, null);
        p.setBatch(inputs, targets);
        return p;
    }

    /** As {@link #of(List, Function, LossKind, Tensor, Tensor)} with labels for cross-entropy. */
    public static CurvatureProblem of(List<Parameter> params, Function<Tensor, Tensor> forward, LossKind kind,
                                      Tensor inputs, int[] labels) {
        CurvatureProblem p = new CurvatureProblem(params, forward, kind, null);
        p.setBatch(inputs, labels);
        return p;
    }

    /** Replaces the batch (targets for MSE, BCE and Poisson). */
    public void setBatch(Tensor inputs, Tensor targets) {
        if (kind == LossKind.CROSS_ENTROPY) {
            throw new UsageException("cross-entropy takes integer labels, not a target tensor");
        }
        this.inputs = inputs;
        this.targets = targets;
        this.labels = null;
    }

    /** Replaces the batch (labels for cross-entropy). */
    public void setBatch(Tensor inputs, int[] labels) {
        if (kind != LossKind.CROSS_ENTROPY) {
            throw new UsageException(kind + " takes a target tensor, not integer labels");
        }
        this.inputs = inputs;
        this.labels = labels.clone();
        this.targets = null;
    }

    public List<Parameter> parameters() {
        return params;
    }

    public LossKind kind() {
        return kind;
    }

    /** The module when the problem was made from one, else null. */
    public Module model() {
        return model;
    }

    public Tensor inputs() {
        return inputs;
    }

    public Tensor targets() {
        return targets;
    }

    public int[] labels() {
        return labels == null ? null : labels.clone();
    }

    public int parameterCount() {
        return ParamVectors.size(params);
    }

    /** z for the current batch and parameters, recorded; must be 2-D [N, K]. */
    public Tensor outputs() {
        try (GradMode.Scope _ = GradMode.set(true)) {
            Tensor z = forward.apply(inputs);
            if (z.rank() != 2) {
                throw new UsageException("a curvature problem needs outputs of shape [N, K], got " + z.describe());
            }
            return z;
        }
    }

    /** The loss of outputs z on this batch's targets. */
    public Tensor loss(Tensor z) {
        try (GradMode.Scope _ = GradMode.set(true)) {
            return kind.loss(z, targets, labels);
        }
    }

    /** The loss on outputs z with other targets (doubles [N*K], or labels for cross-entropy). */
    Tensor lossWith(Tensor z, Object sampled) {
        try (GradMode.Scope _ = GradMode.set(true)) {
            if (sampled instanceof int[] l) {
                return kind.loss(z, null, l);
            }
            Tensor y = Tensor.zeros(z.dtype(), z.shape());
            double[] v = (double[]) sampled;
            for (int i = 0; i < v.length; i++) {
                y.setFlat(i, v[i]);
            }
            return kind.loss(z, y, null);
        }
    }

    /** The recorded loss at the current parameters. */
    public Tensor loss() {
        return loss(outputs());
    }

    /** The loss value, without recording. */
    public double lossValue() {
        try (GradMode.Scope _ = GradMode.noGrad()) {
            return kind.loss(forward.apply(inputs), targets, labels).item();
        }
    }

    /**
     * A closure for {@link dev.kobai.optim.Optimizer#step}: clears the gradients, computes the loss,
     * backpropagates into the parameters' grad, returns the loss.
     */
    public double evaluate() {
        for (Parameter p : params) {
            p.setGrad(null);
        }
        Tensor l = loss();
        l.backward();
        return l.item();
    }

    public double[] gradient() {
        return Curvature.gradient(loss(), params);
    }

    public double[] hessianVector(double[] v) {
        return Curvature.hessianVector(loss(), params, v);
    }

    /** J v with J = dz/dw. */
    public double[] jacobianVector(double[] v) {
        return Curvature.jacobianVector(outputs(), params, v);
    }

    /** G v = J^T H_z J v (Schraudolph 2002), with H_z in closed form. */
    public double[] gaussNewtonVector(double[] v) {
        Tensor z = outputs();
        return gaussNewtonVector(z, v);
    }

    /** G v on outputs already computed (the graph is reused across products). */
    public double[] gaussNewtonVector(Tensor z, double[] v) {
        double[] jv = Curvature.jacobianVector(z, params, v);
        double[] hjv = kind.outputHessianTimes(z.toDoubleArray(), z.size(0), z.size(1), jv);
        return Curvature.vectorJacobian(z, params, hjv);
    }

    /**
     * F v for the chosen Fisher. TRUE is the GGN product (exact for these losses); MONTE_CARLO and
     * EMPIRICAL are (1/M) sum_n J_n^T r_n (r_n . J_n v) with r_n the negative log-likelihood
     * gradient at sampled or at the data's targets ({@code sampled}: from {@link #sampleTargets},
     * ignored otherwise).
     */
    public double[] fisherVector(Tensor z, FisherType type, Object sampled, double[] v) {
        if (type == FisherType.TRUE) {
            return gaussNewtonVector(z, v);
        }
        int n = z.size(0);
        int k = z.size(1);
        double[] zv = z.toDoubleArray();
        double[] r = residuals(zv, n, k, type, sampled);
        double[] jv = Curvature.jacobianVector(z, params, v);
        double inv = 1.0 / kind.normaliser(n, k);
        double[] w = new double[r.length];
        for (int row = 0; row < n; row++) {
            double s = 0;
            for (int c = 0; c < k; c++) {
                s += r[row * k + c] * jv[row * k + c];
            }
            for (int c = 0; c < k; c++) {
                w[row * k + c] = inv * r[row * k + c] * s;
            }
        }
        return Curvature.vectorJacobian(z, params, w);
    }

    /** Targets drawn from the model's predictive distribution at outputs z. */
    public Object sampleTargets(Tensor z, Rng rng) {
        return kind.sampleTargets(z.toDoubleArray(), z.size(0), z.size(1), rng);
    }

    private double[] residuals(double[] z, int n, int k, FisherType type, Object sampled) {
        if (type == FisherType.EMPIRICAL) {
            return kind.nllGradient(z, n, k, targets == null ? null : targets.toDoubleArray(), labels);
        }
        if (sampled == null) {
            throw new IllegalArgumentException("a Monte-Carlo Fisher needs sampled targets");
        }
        return kind.nllGradient(z, n, k, sampled instanceof double[] d ? d : null,
                sampled instanceof int[] l ? l : null);
    }

    // ---------------------------------------------------------------- dense matrices

    /** The dense Hessian of the loss (P backward passes). */
    public double[][] hessian() {
        return Curvature.hessian(loss(), params);
    }

    /** The dense Jacobian dz/dw, [N*K][P]. */
    public double[][] jacobian() {
        return Curvature.jacobian(outputs(), params);
    }

    /** The dense generalised Gauss-Newton matrix J^T H_z J. */
    public double[][] gaussNewton() {
        Tensor z = outputs();
        int n = z.size(0);
        int k = z.size(1);
        double[][] j = Curvature.jacobian(z, params);
        double[] zv = z.toDoubleArray();
        int p = parameterCount();
        double[][] g = new double[p][p];
        double[] col = new double[n * k];
        double[][] hj = new double[n * k][];
        // H_z J column by column, then J^T (H_z J)
        double[][] jt = DenseMatrices.transpose(j);
        for (int a = 0; a < p; a++) {
            System.arraycopy(jt[a], 0, col, 0, n * k);
            jt[a] = kind.outputHessianTimes(zv, n, k, col);
        }
        hj = DenseMatrices.transpose(jt);
        for (int a = 0; a < p; a++) {
            for (int b = 0; b < p; b++) {
                double s = 0;
                for (int i = 0; i < n * k; i++) {
                    s += j[i][a] * hj[i][b];
                }
                g[a][b] = s;
            }
        }
        return DenseMatrices.symmetrize(g);
    }

    /**
     * The dense Fisher: TRUE is (1/M) sum_n J_n^T E_y[r r^T] J_n with the expectation taken
     * exactly (an explicit sum over classes for cross-entropy); MONTE_CARLO averages
     * {@code samples} draws of targets from the model; EMPIRICAL uses the data's targets.
     */
    public double[][] fisher(FisherType type, Rng rng, int samples) {
        Tensor z = outputs();
        int n = z.size(0);
        int k = z.size(1);
        double[] zv = z.toDoubleArray();
        double[][] j = Curvature.jacobian(z, params);
        int p = parameterCount();
        double inv = 1.0 / kind.normaliser(n, k);
        double[][] f = new double[p][p];
        if (type == FisherType.TRUE) {
            for (int row = 0; row < n; row++) {
                double[][] m = kind.expectedGradientMoment(zv, row, k);
                for (int a = 0; a < k; a++) {
                    for (int b = 0; b < k; b++) {
                        double w = inv * m[a][b];
                        if (w == 0) {
                            continue;
                        }
                        double[] ja = j[row * k + a];
                        double[] jb = j[row * k + b];
                        for (int x = 0; x < p; x++) {
                            double wx = w * ja[x];
                            for (int y = 0; y < p; y++) {
                                f[x][y] += wx * jb[y];
                            }
                        }
                    }
                }
            }
            return DenseMatrices.symmetrize(f);
        }
        int draws = type == FisherType.EMPIRICAL ? 1 : samples;
        for (int s = 0; s < draws; s++) {
            double[] r = residuals(zv, n, k, type, type == FisherType.MONTE_CARLO ? sampleTargets(z, rng) : null);
            for (int row = 0; row < n; row++) {
                double[] gn = new double[p];
                for (int c = 0; c < k; c++) {
                    double rc = r[row * k + c];
                    if (rc != 0) {
                        DenseMatrices.axpy(rc, j[row * k + c], gn);
                    }
                }
                for (int x = 0; x < p; x++) {
                    double wx = inv * gn[x] / draws;
                    for (int y = 0; y < p; y++) {
                        f[x][y] += wx * gn[y];
                    }
                }
            }
        }
        return DenseMatrices.symmetrize(f);
    }
}
