package dev.kobai.optim;

import dev.kobai.curvature.Curvature;
import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.FisherType;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.GradMode;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * Curvature of a minibatch's mean cross-entropy computed in fixed shards, for Newton, Hessian-free
 * and natural gradient under data-parallel training ({@code kobai train --shards N} or
 * {@code --spark}). Every quantity these methods need besides the gradient is a mean over the
 * batch's examples, so each shard computes its sum and the driver adds the shards' sums in shard
 * index order and divides by the batch size once, as it does for gradients:
 * <pre>
 *   loss        (1/b) sum_s sum_{n in s} l_n
 *   product     (1/b) sum_s n_s C_s v        C_s the shard's mean Hessian, Gauss-Newton matrix or Fisher
 *   matrix      (1/b) sum_s n_s C_s          dense, row-major, for exact Newton and dense natural gradient
 * </pre>
 * in float64. A Monte-Carlo Fisher's targets of shard s are drawn from {@code new Rng(seed + s)}
 * with the step's seed, so every product of one step sees the same targets. The shards run the
 * model in training mode from the driver's buffers, which these evaluations leave unchanged (only
 * the gradient pass updates batch norm's running statistics).
 */
public final class ShardedCurvature {
    private ShardedCurvature() {}

    /** What a request computes. */
    public enum Op {
        /** The mean loss alone (line searches, backtracking, damping adaptation). */
        LOSS,
        /** The mean curvature times a vector. */
        PRODUCT,
        /** The dense mean curvature matrix. */
        MATRIX
    }

    /** Which curvature. */
    public enum Kind {
        /** The Hessian of the loss (double backward). */
        HESSIAN,
        /** The generalised Gauss-Newton matrix J^T H_z J. */
        GAUSS_NEWTON,
        /** The Fisher of {@link Request#fisher()} ({@link CurvatureProblem#fisherVector}, {@link CurvatureProblem#fisher}). */
        FISHER
    }

    /**
     * A request to every shard: the operation, the curvature kind, the Fisher's type (FISHER only),
     * the vector of a product (null otherwise), the step's seed of sampled targets and the draws of a
     * dense Monte-Carlo Fisher.
     */
    public record Request(Op op, Kind kind, FisherType fisher, double[] vector, long seed, int samples)
            implements Serializable {
        /** The mean loss. */
        public static Request loss() {
            return new Request(Op.LOSS, null, null, null, 0, 0);
        }

        /** The mean Hessian or Gauss-Newton matrix times {@code v}. */
        public static Request product(Kind kind, double[] v) {
            return new Request(Op.PRODUCT, kind, null, v, 0, 0);
        }

        /** The mean Fisher of {@code type} times {@code v}, with the step's {@code seed} for sampled targets. */
        public static Request fisherProduct(FisherType type, long seed, double[] v) {
            return new Request(Op.PRODUCT, Kind.FISHER, type, v, seed, 0);
        }

        /** The dense mean Hessian or Gauss-Newton matrix. */
        public static Request matrix(Kind kind) {
            return new Request(Op.MATRIX, kind, null, null, 0, 0);
        }

        /** The dense mean Fisher of {@code type} ({@code samples} draws a shard when Monte-Carlo). */
        public static Request fisherMatrix(FisherType type, long seed, int samples) {
            return new Request(Op.MATRIX, Kind.FISHER, type, null, seed, samples);
        }
    }

    /** One shard's sums: its index, sample count, loss sum (LOSS) and the sum of products or matrices (else null). */
    public record Sum(int shard, int count, double loss, double[] values) implements Serializable {}

    /** A batch's means: the loss (LOSS; NaN otherwise) and the product or row-major matrix (null for LOSS). */
    public record Mean(double loss, double[] values) {
        /** The matrix of a MATRIX request, as rows of {@code n}. */
        public double[][] matrix(int n) {
            double[][] m = new double[n][];
            for (int i = 0; i < n; i++) {
                m[i] = Arrays.copyOfRange(values, i * n, (i + 1) * n);
            }
            return m;
        }
    }

    /**
     * A closure for data-parallel training with Newton, Hessian-free or natural gradient: the
     * gradient and the curvature come from the shards instead of the optimizer's problem, whose batch
     * is not read.
     */
    public interface Closure extends Optimizer.Closure {
        /**
         * Sets every parameter's grad to the batch's mean gradient (checked, and clipped as the
         * caller clips, before it returns) and returns the mean loss.
         */
        double gradients();

        /** The batch's means for {@code request} at the current weights. */
        Mean compute(Request request);

        @Override
        default double evaluate() {
            return gradients();
        }
    }

    /**
     * One shard's sums for {@code request}, on the examples {@code input} with their {@code labels},
     * at {@code model}'s current weights, under cross-entropy. Runs on the calling thread's kernels
     * as they are; data-parallel callers wrap it in {@link dev.kobai.tensor.kernel.Parallel#serially}.
     */
    public static Sum shardSum(Module model, Tensor input, int[] labels, Request request, int shard) {
        int n = labels.length;
        if (request.op() == Op.LOSS) {
            try (GradMode.Scope _ = GradMode.noGrad()) {
                return new Sum(shard, n, Losses.crossEntropySum(model.forward(input), labels).item(), null);
            }
        }
        CurvatureProblem p = CurvatureProblem.of(model, LossKind.CROSS_ENTROPY, input, labels);
        List<Parameter> ps = p.parameters();
        double[] values;
        if (request.op() == Op.PRODUCT) {
            double[] v = request.vector();
            values = switch (request.kind()) {
                case HESSIAN -> Curvature.hessianVector(p.loss(), ps, v);
                case GAUSS_NEWTON -> p.gaussNewtonVector(v);
                case FISHER -> {
                    Tensor z = p.outputs();
                    Object sampled = request.fisher() == FisherType.MONTE_CARLO
                            ? p.sampleTargets(z, new Rng(request.seed() + shard)) : null;
                    yield p.fisherVector(z, request.fisher(), sampled, v);
                }
            };
        } else {
            double[][] m = switch (request.kind()) {
                case HESSIAN -> Curvature.hessian(p.loss(), ps);
                case GAUSS_NEWTON -> p.gaussNewton();
                case FISHER -> p.fisher(request.fisher(), new Rng(request.seed() + shard), request.samples());
            };
            int size = m.length;
            values = new double[size * size];
            for (int i = 0; i < size; i++) {
                System.arraycopy(m[i], 0, values, i * size, size);
            }
        }
        // the problem's quantities are the shard's means: n times them are its sums
        for (int i = 0; i < values.length; i++) {
            values[i] *= n;
        }
        return new Sum(shard, n, 0, values);
    }

    /**
     * Adds the shards' sums in shard index order (shards without samples of the batch left out)
     * and divides by the batch size.
     *
     * @param sums one per shard, in any order
     * @throws IllegalArgumentException when no shard held a sample of the batch
     */
    public static Mean combine(List<Sum> sums) {
        Sum[] ordered = sums.toArray(Sum[]::new);
        Arrays.sort(ordered, (a, b) -> Integer.compare(a.shard(), b.shard()));
        double[] total = null;
        double loss = 0;
        long count = 0;
        for (Sum s : ordered) {
            if (s.count() == 0) {
                continue;
            }
            loss += s.loss();
            count += s.count();
            if (s.values() == null) {
                continue;
            }
            if (total == null) {
                total = s.values().clone();
            } else {
                double[] x = s.values();
                for (int i = 0; i < total.length; i++) {
                    total[i] += x[i];
                }
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("no shard held a sample of the batch");
        }
        if (total == null) {
            return new Mean(loss / count, null);
        }
        for (int i = 0; i < total.length; i++) {
            total[i] /= count;
        }
        return new Mean(Double.NaN, total);
    }
}
