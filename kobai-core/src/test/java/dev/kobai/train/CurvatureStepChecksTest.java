package dev.kobai.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.data.Batch;
import dev.kobai.data.DataLoader;
import dev.kobai.data.Dataset;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.optim.CurvatureClosureHookTest;
import dev.kobai.optim.KFAC;
import dev.kobai.optim.Optimizer;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trainer's non-finite checks for the curvature optimizers, which compute the loss and the
 * gradients themselves (through their CurvatureProblem) instead of calling the trainer's closure:
 * a NaN batch or parameter stops training with the numerical-fault message, or with
 * skip-nonfinite skips the step leaving the parameters and the optimizer's state as they were.
 */
class CurvatureStepChecksTest {
    /** Every optimizer the trainer builds on a curvature problem, with options under which a skipped step would show. */
    static final String[] SPECS = {"kfac:factor_update_period=1,inv_update_period=1,momentum=0.5",
        "newton:curvature=gauss-newton,adapt_damping=true,line_search=true", "hessian-free", "natural:fisher=mc"};
    static final int FEATURES = 4;
    static final int CLASSES = 3;
    static final int BATCH = 16;

    static Sequential model() {
        return Models.fromSpec("mlp:4-8-3:tanh", new Rng(3), DType.FLOAT32);
    }

    /** Row-major features of n samples in [-1, 1] and labels from the seed. */
    static float[] features(long seed, int n) {
        Rng rng = new Rng(seed);
        float[] x = new float[n * FEATURES];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.uniform(-1, 1);
        }
        return x;
    }

    static int[] labels(long seed, int n) {
        Rng rng = new Rng(seed + 1000);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(CLASSES);
        }
        return y;
    }

    static Batch batch(long seed, boolean nanFeature) {
        float[] x = features(seed, BATCH);
        if (nanFeature) {
            x[5] = Float.NaN;
        }
        return new Batch(Tensor.fromArray(x, BATCH, FEATURES), labels(seed, BATCH));
    }

    static Trainer trainer(String spec, Sequential m, Batch first) {
        return new Trainer(m, Training.classifierOptimizer(spec, m, () -> first));
    }

    static List<float[]> values(Sequential m) {
        List<float[]> out = new ArrayList<>();
        for (Parameter p : m.parameters()) {
            out.add(p.floatData().clone());
        }
        return out;
    }

    static void assertSameValues(List<float[]> expected, List<float[]> actual, String what) {
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + ", parameter " + i);
        }
    }

    /** Three batches of BATCH samples; a NaN feature in the second when asked. */
    static Dataset dataset(boolean nanInSecondBatch) {
        float[] x = features(21, 3 * BATCH);
        if (nanInSecondBatch) {
            x[(BATCH + 2) * FEATURES + 1] = Float.NaN;
        }
        return new Dataset("checks", x, labels(21, 3 * BATCH), new int[] {FEATURES}, CLASSES, List.of());
    }

    @Test
    void aNonFiniteBatchStopsEveryCurvatureOptimizerNamingTheStep() {
        for (String spec : SPECS) {
            Dataset train = dataset(true);
            Sequential m = model();
            Trainer t = trainer(spec, m, batch(1, false));
            NumericalFaultException e = assertThrows(NumericalFaultException.class,
                    () -> t.fit(DataLoader.unshuffled(train, BATCH), dataset(false), 1, new TrainingListener() {}),
                    spec);
            assertEquals(2, e.step(), spec);
            assertEquals(null, e.parameter(), spec);
            assertTrue(e.getMessage().startsWith("numerical fault at step 2 (epoch 1, batch 2): the loss is NaN though "
                    + "every parameter is finite") && e.getMessage().contains("the last finite loss was"),
                    spec + ": " + e.getMessage());
            for (Parameter p : m.parameters()) {
                assertTrue(allFinite(p), spec + ": the faulty step changed the parameters");
            }
        }
    }

    @Test
    void aNonFiniteParameterIsNamed() {
        for (String spec : SPECS) {
            Sequential m = model();
            Trainer t = trainer(spec, m, batch(1, false));
            String name = m.namedParameters().keySet().iterator().next();
            m.namedParameters().get(name).setFlat(3, Double.NaN);
            NumericalFaultException e = assertThrows(NumericalFaultException.class,
                    () -> t.fit(DataLoader.unshuffled(dataset(false), BATCH), dataset(false), 1,
                            new TrainingListener() {}), spec);
            assertEquals(1, e.step(), spec);
            assertEquals(name, e.parameter(), spec);
            assertTrue(e.getMessage().startsWith("numerical fault at step 1 (epoch 1, batch 1): the loss is NaN and "
                    + "parameter '" + name + "' holds NaN values"), spec + ": " + e.getMessage());
        }
    }

    /**
     * With skip-nonfinite, good, NaN, good gives the same parameters as good, good: the skipped
     * step changed neither the parameters nor anything the optimizer keeps (K-FAC's factors,
     * momentum, step count and sampling generator; Newton's and Hessian-free's damping and CG
     * state; natural gradient's generator).
     */
    @Test
    void aSkippedStepLeavesTheParametersAndTheOptimizerAlone() {
        for (String spec : SPECS) {
            Sequential skipping = model();
            Trainer a = trainer(spec, skipping, batch(1, false)).skipNonFinite(true);
            Sequential plain = model();
            Trainer b = trainer(spec, plain, batch(1, false));
            assertTrue(Double.isFinite(a.step(batch(1, false))) && Double.isFinite(b.step(batch(1, false))), spec);
            List<float[]> before = values(skipping);
            List<double[][]> factors = spec.startsWith("kfac")
                    ? CurvatureClosureHookTest.factors((KFAC) a.optimizer()) : null;
            assertTrue(Double.isNaN(a.step(batch(2, true))), spec + ": the NaN batch was not skipped");
            assertSameValues(before, values(skipping), spec + " after the skipped step");
            for (Parameter p : skipping.parameters()) {
                assertEquals(null, p.grad(), spec + ": the skipped step's gradients were kept");
            }
            if (factors != null) {
                List<double[][]> after = CurvatureClosureHookTest.factors((KFAC) a.optimizer());
                for (int i = 0; i < factors.size(); i++) {
                    assertTrue(java.util.Arrays.deepEquals(factors.get(i), after.get(i)),
                            "kfac: factor " + i + " changed in the skipped step");
                }
            }
            a.step(batch(3, false));
            b.step(batch(3, false));
            assertSameValues(values(plain), values(skipping), spec + " after the next step");
        }
    }

    /** A wide first layer against a batch of 4, where K-FAC's update takes the low-rank order. */
    static final String WIDE = "mlp:30-20-4:tanh";

    static Batch wideBatch(long seed, DType dtype) {
        Tensor x = Tensor.uniform(new Rng(seed), dtype, -1, 1, 4, 30);
        return new Batch(x, new int[] {0, 3, 1, 3});
    }

    /** A convolutional model on 1x4x4 images, where K-FAC's update is G^-1 V A^-1 on patch factors. */
    static final String CONV = "conv2d(1,3,3,padding=1),tanh,maxpool2d(2),flatten,linear(12,4)";

    static Batch convBatch(long seed, DType dtype) {
        Tensor x = Tensor.uniform(new Rng(seed), dtype, -1, 1, 4, 1, 4, 4);
        return new Batch(x, new int[] {0, 3, 1, 3});
    }

    static Batch batchFor(String model, long seed, DType dtype) {
        return model.equals(CONV) ? convBatch(seed, dtype) : wideBatch(seed, dtype);
    }

    /** Through the trainer (checks on, no clipping) K-FAC takes exactly the steps a direct step(closure) does. */
    @Test
    void kfacThroughTheTrainerStepsAsADirectCallDoes() {
        String spec = "kfac:factor_update_period=2,inv_update_period=3,momentum=0.9";
        Sequential viaTrainer = Models.fromSpec(WIDE, new Rng(5), DType.FLOAT32);
        Trainer t = trainer(spec, viaTrainer, wideBatch(0, DType.FLOAT32));
        Sequential direct = Models.fromSpec(WIDE, new Rng(5), DType.FLOAT32);
        KFAC kfac = (KFAC) Training.classifierOptimizer(spec, direct, () -> wideBatch(0, DType.FLOAT32));
        for (int step = 0; step < 7; step++) {
            Batch b = wideBatch(step, DType.FLOAT32);
            double viaLoss = t.step(b);
            kfac.problem().setBatch(b.features(), b.labels());
            double directLoss = kfac.step(() -> {
                throw new AssertionError("K-FAC evaluated the closure");
            });
            assertEquals(directLoss, viaLoss, 0.0, "loss of step " + step);
            assertSameValues(values(direct), values(viaTrainer), "step " + step);
        }
        List<double[][]> expected = CurvatureClosureHookTest.factors(kfac);
        List<double[][]> actual = CurvatureClosureHookTest.factors((KFAC) t.optimizer());
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(java.util.Arrays.deepEquals(expected.get(i), actual.get(i)), "factor " + i);
        }
    }

    /**
     * The trainer's clipping reaches K-FAC's update, also on the low-rank order and on convolutions:
     * a binding clip_grad_norm scales the step by its coefficient (kl_clip and momentum off, so the
     * step is linear in the gradient), a binding clip_grad_value gives the step of the clamped
     * gradient, and bounds that do not bind change nothing.
     */
    @ParameterizedTest
    @ValueSource(strings = {WIDE, CONV})
    void clippingReachesTheKfacUpdate(String model) {
        String spec = "kfac:kl_clip=0";
        Batch b = batchFor(model, 1, DType.FLOAT64);
        Sequential plain = Models.fromSpec(model, new Rng(5), DType.FLOAT64);
        List<double[]> start = doubles(plain);
        Optimizer opt = Training.classifierOptimizer(spec, plain, () -> b);
        opt.step(null);
        double[] full = moved(start, doubles(plain));
        double total = 0;
        double largest = 0;
        for (Parameter p : plain.parameters()) {
            for (double g : p.grad().toDoubleArray()) {
                total += g * g;
                largest = Math.max(largest, Math.abs(g));
            }
        }
        total = Math.sqrt(total);

        double maxNorm = total / 4;
        double[] byNorm = clippedStep(model, spec, b, maxNorm, null);
        double coef = maxNorm / (total + 1e-6);
        double size = 0;
        double err = 0;
        for (int i = 0; i < full.length; i++) {
            size = Math.max(size, Math.abs(full[i]));
            err = Math.max(err, Math.abs(coef * full[i] - byNorm[i]));
        }
        assertTrue(size > 0 && err <= 1e-10 * size, "clip_grad_norm: error " + err + " at scale " + size);
        assertArrayEquals(full, clippedStep(model, spec, b, 10 * total, null), 0.0, "clip_grad_norm that does not bind");
        assertArrayEquals(full, clippedStep(model, spec, b, null, 10 * largest), 0.0,
                "clip_grad_value that does not bind");

        // the step of the clamped gradient, from a direct step whose closure clamps
        double clipValue = largest / 3;
        Sequential clamped = Models.fromSpec(model, new Rng(5), DType.FLOAT64);
        Optimizer direct = Training.classifierOptimizer(spec, clamped, () -> b);
        direct.step(new Optimizer.Closure() {
            @Override
            public double evaluate() {
                throw new AssertionError();
            }

            @Override
            public boolean afterGradients(double loss) {
                return dev.kobai.optim.Clip.gradValue(clamped.parameters(), clipValue);
            }
        });
        double[] expected = moved(start, doubles(clamped));
        double[] byValue = clippedStep(model, spec, b, null, clipValue);
        assertArrayEquals(expected, byValue, 0.0, "clip_grad_value");
        double diff = 0;
        for (int i = 0; i < full.length; i++) {
            diff = Math.max(diff, Math.abs(full[i] - byValue[i]));
        }
        assertTrue(diff > 1e-3 * size, "clip_grad_value did not change the step");
    }

    /** One trainer step of a fresh model with clipping; returns how far the parameters moved. */
    static double[] clippedStep(String model, String spec, Batch b, Double clipNorm, Double clipValue) {
        Sequential m = Models.fromSpec(model, new Rng(5), DType.FLOAT64);
        List<double[]> start = doubles(m);
        new Trainer(m, Training.classifierOptimizer(spec, m, () -> b), null, clipNorm, clipValue).step(b);
        return moved(start, doubles(m));
    }

    static List<double[]> doubles(Sequential m) {
        List<double[]> out = new ArrayList<>();
        for (Parameter p : m.parameters()) {
            out.add(p.toDoubleArray());
        }
        return out;
    }

    static double[] moved(List<double[]> before, List<double[]> after) {
        List<Double> d = new ArrayList<>();
        for (int i = 0; i < before.size(); i++) {
            for (int j = 0; j < before.get(i).length; j++) {
                d.add(after.get(i)[j] - before.get(i)[j]);
            }
        }
        return d.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static boolean allFinite(Tensor t) {
        for (int i = 0; i < t.numel(); i++) {
            if (!Double.isFinite(t.getFlat(i))) {
                return false;
            }
        }
        return true;
    }
}
