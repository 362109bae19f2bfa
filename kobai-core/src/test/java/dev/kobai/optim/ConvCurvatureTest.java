package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.curvature.CurvatureProblem;
import dev.kobai.curvature.FisherType;
import dev.kobai.curvature.LossKind;
import dev.kobai.nn.Models;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Natural gradient and Hessian-free on a convolutional network: their Gauss-Newton and Fisher
 * products go through the double backward of convolution and max pooling (the double-vjp J v),
 * and agree with the dense matrices built from the Jacobian's rows; each method's step lowers the
 * loss.
 */
class ConvCurvatureTest {
    static final String TINY = "conv2d(1,2,3,padding=1),tanh,maxpool2d(2),flatten,linear(8,3)";

    static CurvatureProblem problem() {
        Sequential m = Models.fromSpec(TINY, new Rng(80), DType.FLOAT64);
        Tensor x = Tensor.randn(new Rng(81), DType.FLOAT64, 6, 1, 4, 4);
        return CurvatureProblem.of(m, LossKind.CROSS_ENTROPY, x, new int[] {0, 1, 2, 2, 1, 0});
    }

    /** G v by double-vjp products against the dense J^T H J from reverse-mode Jacobian rows. */
    @Test
    void gaussNewtonAndFisherProductsMatchTheDenseMatrices() {
        CurvatureProblem prob = problem();
        int p = prob.parameterCount();
        double[] v = Tensor.randn(new Rng(82), DType.FLOAT64, p).toDoubleArray();
        double[][] ggn = prob.gaussNewton();
        double[] dense = new double[p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                dense[i] += ggn[i][j] * v[j];
            }
        }
        double[] product = prob.gaussNewtonVector(v);
        double[] fisher = prob.fisherVector(prob.outputs(), FisherType.TRUE, null, v);
        double scale = 0;
        double err = 0;
        for (int i = 0; i < p; i++) {
            scale = Math.max(scale, Math.abs(dense[i]));
            err = Math.max(err, Math.max(Math.abs(dense[i] - product[i]), Math.abs(dense[i] - fisher[i])));
        }
        assertTrue(scale > 0 && err < 1e-10 * scale, "error " + err + " at scale " + scale);
    }

    @Test
    void naturalGradientAndHessianFreeStepsLowerTheLoss() {
        for (String spec : new String[] {"natural:lr=0.5,damping=0.01", "natural:lr=0.5,damping=0.01,solver=cg",
            "natural:lr=0.5,damping=0.1,fisher=mc,mc_samples=8", "hessian-free", "hessian-free:cg_max_iters=5"}) {
            CurvatureProblem prob = problem();
            double before = prob.lossValue();
            Optimizer opt = Optimizers.create(spec, prob);
            double reported = opt.step(null);
            double after = prob.lossValue();
            assertTrue(Math.abs(reported - before) < 1e-12, spec + ": step returned " + reported + ", loss was " + before);
            assertTrue(after < 0.98 * before, spec + ": loss " + before + " -> " + after);
        }
    }
}
