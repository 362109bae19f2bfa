package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.UsageException;
import dev.kobai.nn.Losses;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.Sequential;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** L-BFGS against PyTorch 1.13 (tools/golden_lbfgs.py), its convergence, state dict and validation. */
class LBFGSTest {
    private static final Tensor X = Tensor.randn(new Rng(3), DType.FLOAT64, 10, 4);
    private static final int[] Y = {0, 1, 2, 1, 0, 2, 2, 1, 0, 0};

    private static double minimize(Optimizer opt, Parameter xy, Function<Tensor, Tensor> f) {
        return opt.step(() -> {
            opt.zeroGrad();
            Tensor l = f.apply(xy);
            l.backward();
            return l.item();
        });
    }

    private static Sequential model() {
        return Models.fromSpec("mlp:4-5-3", new Rng(7), DType.FLOAT64);
    }

    private static double train(Sequential m, Optimizer opt, int steps) {
        double loss = Double.NaN;
        for (int i = 0; i < steps; i++) {
            loss = opt.step(() -> {
                opt.zeroGrad();
                Tensor l = Losses.crossEntropy(m.forward(X), Y);
                l.backward();
                return l.item();
            });
        }
        return loss;
    }

    private static double[] flat(List<Parameter> ps) {
        return ps.stream().flatMapToDouble(p -> java.util.Arrays.stream(p.toDoubleArray())).toArray();
    }

    @Test
    void matchesPyTorchOnTheNetworkWithAndWithoutLineSearch() {
        assertEquals(10, Golden.checkMlpCases(Golden.load("/golden/lbfgs.json")));
    }

    @Test
    void matchesPyTorchOnRosenbrockAndBealeWithStrongWolfe() {
        assertEquals(10, Golden.checkSurfaceCases(Golden.load("/golden/lbfgs.json"), Golden::surface));
    }

    @Test
    void reachesTheMinimumOfRosenbrockInFewSteps() {
        Parameter xy = new Parameter(Tensor.of(-1.5, 2.0));
        LBFGS opt = new LBFGS(List.of(xy), Map.of("line_search_fn", "strong_wolfe", "tolerance_change", 1e-14));
        Function<Tensor, Tensor> f = Golden.surface("rosenbrock");
        double first = minimize(opt, xy, f);
        assertEquals(12.5, first, 1e-12); // step returns the loss at the start
        for (int s = 0; s < 3; s++) {
            minimize(opt, xy, f);
        }
        assertEquals(1.0, xy.getFlat(0), 1e-6);
        assertEquals(1.0, xy.getFlat(1), 1e-6);
        // The iterations and evaluations are counted across steps in the first parameter's state.
        Map<String, Object> st = opt.state().get(xy);
        assertTrue((Integer) st.get("n_iter") > 20, st.toString());
        assertTrue((Integer) st.get("func_evals") <= 4 * 25, st.toString());
    }

    @Test
    void fixedStepWithoutLineSearchAlsoWorksInFloat32() {
        Parameter xy = new Parameter(Tensor.fromArray(new float[] {-4f, 6f}, 2));
        LBFGS opt = new LBFGS(List.of(xy), Map.of("max_iter", 10));
        for (int s = 0; s < 5; s++) {
            minimize(opt, xy, Golden.surface("booth"));
        }
        assertEquals(DType.FLOAT32, ((Tensor) opt.state().get(xy).get("d")).dtype());
        assertEquals(1.0, xy.getFlat(0), 1e-4);
        assertEquals(3.0, xy.getFlat(1), 1e-4);
    }

    /**
     * L-BFGS's float32 vector arithmetic (dot, sums, scaling, the fused axpy) against its float64
     * twin on the same surface: after each step the two stay within float32's rounding, amplified a
     * little by the curvature pairs, while the steps themselves are of order one.
     */
    @Test
    void float32FollowsFloat64WithAndWithoutLineSearch() {
        for (String spec : List.of("lbfgs:max_iter=5", "lbfgs:max_iter=5,lr=0.5,history_size=2",
                "lbfgs:max_iter=5,line_search_fn=strong_wolfe")) {
            for (String surface : List.of("beale", "rosenbrock")) {
                double[] start = surface.equals("beale") ? new double[] {1.0, 1.5} : new double[] {-1.5, 2.0};
                Parameter p64 = new Parameter(Tensor.of(start));
                Parameter p32 = new Parameter(Tensor.fromArray(new float[] {(float) start[0], (float) start[1]}, 2));
                Optimizer o64 = Optimizers.create(spec, List.of(p64));
                Optimizer o32 = Optimizers.create(spec, List.of(p32));
                Function<Tensor, Tensor> f = Golden.surface(surface);
                double moved = 0;
                for (int s = 0; s < 2; s++) {
                    double l64 = minimize(o64, p64, f);
                    double l32 = minimize(o32, p32, f);
                    assertEquals(l64, l32, 1e-5 * Math.max(1, Math.abs(l64)), spec + " on " + surface + " loss " + s);
                    for (int i = 0; i < 2; i++) {
                        moved = Math.max(moved, Math.abs(p64.getFlat(i) - start[i]));
                        assertEquals(p64.getFlat(i), p32.getFlat(i), 1e-4 * Math.max(1, Math.abs(p64.getFlat(i))),
                                spec + " on " + surface + " step " + s + " element " + i);
                    }
                }
                assertTrue(moved > 0.05, spec + " on " + surface + " moved only " + moved);
            }
        }
    }

    @Test
    void stateDictRoundTripContinuesBitForBit() {
        String spec = "lbfgs:max_iter=4,history_size=3,line_search_fn=strong_wolfe";
        Sequential straight = model();
        train(straight, Optimizers.create(spec, straight.parameters()), 5);

        Sequential first = model();
        Optimizer a = Optimizers.create(spec, first.parameters());
        train(first, a, 2);
        StateDict saved = a.stateDict();
        double[] weightsAtSave = flat(first.parameters());
        train(first, a, 1); // must not leak into the saved copy

        Sequential resumed = model();
        List<Parameter> ps = resumed.parameters();
        int offset = 0;
        for (Parameter p : ps) {
            for (int i = 0; i < p.numel(); i++) {
                p.setFlat(i, weightsAtSave[offset++]);
            }
        }
        Optimizer b = Optimizers.create("lbfgs", ps);
        b.loadStateDict(saved);
        assertEquals(3, b.paramGroups().get(0).getDouble("history_size"));
        train(resumed, b, 3);
        assertArrayEquals(flat(straight.parameters()), flat(ps), 0.0);

        Map<String, Object> st = saved.state().get("0.weight");
        assertEquals(List.of("0.weight"), List.copyOf(saved.state().keySet()));
        assertEquals(8, st.get("n_iter"));
        assertEquals(3, ((List<?>) st.get("old_dirs")).size());
        assertEquals(3, ((List<?>) st.get("ro")).size());
    }

    @Test
    void stateDictLoadsIntoParametersListedInAnotherOrder() {
        String spec = "lbfgs:max_iter=3,history_size=4";
        Sequential straight = model();
        train(straight, Optimizers.create(spec, straight.parameters()), 4);

        Sequential first = model();
        Optimizer a = Optimizers.create(spec, first.parameters());
        train(first, a, 2);
        List<Parameter> reversed = new ArrayList<>(first.parameters());
        Collections.reverse(reversed);
        Optimizer b = Optimizers.create(spec, reversed);
        b.loadStateDict(a.stateDict());
        // The flat history now follows the reversed order: the last bias comes first.
        Tensor savedGrad = (Tensor) a.state().get(first.parameters().get(0)).get("prev_flat_grad");
        Tensor loadedGrad = (Tensor) b.state().get(reversed.get(0)).get("prev_flat_grad");
        assertEquals(savedGrad.getFlat(savedGrad.numel() - 1), loadedGrad.getFlat(2), 0.0);
        train(first, b, 2);
        double[] expected = flat(straight.parameters());
        double[] got = flat(first.parameters());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 1e-9 * Math.max(1, Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void stateDictOfASingleMatrixParameterLoads() {
        Parameter w = new Parameter(Tensor.randn(new Rng(1), DType.FLOAT64, 3, 4));
        Tensor target = Tensor.randn(new Rng(2), DType.FLOAT64, 3, 4);
        Function<Tensor, Tensor> f = p -> p.sub(target).pow(2).sum();
        LBFGS a = new LBFGS(List.of(w), Map.of("max_iter", 2));
        minimize(a, w, f);
        StateDict saved = a.stateDict();
        Parameter v = new Parameter(w.copy());
        LBFGS b = new LBFGS(List.of(v), Map.of("max_iter", 2));
        b.loadStateDict(saved); // flat [12] history next to a [3, 4] parameter is not a shape mismatch
        minimize(a, w, f);
        minimize(b, v, f);
        assertArrayEquals(w.toDoubleArray(), v.toDoubleArray(), 0.0);
    }

    @Test
    void maxEvalDefaultsToMaxIterTimesFiveQuarters() {
        List<Parameter> ps = model().parameters();
        assertEquals(25, Optimizers.create("lbfgs", ps).paramGroups().get(0).getDouble("max_eval"));
        assertEquals(10, Optimizers.create("lbfgs:max_iter=8", ps).paramGroups().get(0).getDouble("max_eval"));
        assertEquals(3, Optimizers.create("lbfgs:max_iter=3", ps).paramGroups().get(0).getDouble("max_eval"));
        assertEquals(7, Optimizers.create("lbfgs:max_iter=8,max_eval=7", ps).paramGroups().get(0).getDouble("max_eval"));
        Map<String, Object> withNulls = new HashMap<>();
        withNulls.put("max_iter", 12);
        withNulls.put("max_eval", null);
        withNulls.put("line_search_fn", null);
        LBFGS opt = new LBFGS(ps, withNulls);
        assertEquals(15, opt.paramGroups().get(0).getDouble("max_eval"));
        assertEquals("none", opt.paramGroups().get(0).get("line_search_fn"));
        assertTrue(Optimizers.names().contains("lbfgs"));
    }

    @Test
    void maxEvalBoundsTheEvaluationsOfOneStep() {
        Sequential m = model();
        Optimizer opt = Optimizers.create("lbfgs:max_iter=50,max_eval=7", m.parameters());
        int[] calls = {0};
        opt.step(() -> {
            calls[0]++;
            opt.zeroGrad();
            Tensor l = Losses.crossEntropy(m.forward(X), Y);
            l.backward();
            return l.item();
        });
        assertEquals(7, calls[0]);
    }

    @Test
    void badOptionsGiveTorchsMessages() {
        List<Parameter> ps = model().parameters();
        assertTrue(message(() -> Optimizers.create("lbfgs:line_search_fn=backtracking", ps))
                .startsWith("only 'strong_wolfe' is supported"));
        assertEquals("Invalid learning rate: -1.0", message(() -> Optimizers.create("lbfgs:lr=-1", ps)));
        assertTrue(message(() -> Optimizers.create("lbfgs:history_size=0", ps)).startsWith("Invalid history_size value: 0"));
        assertTrue(message(() -> new LBFGS(ps, Map.of("max_iter", 2.5))).startsWith("Invalid max_iter value: 2.5"));
        assertTrue(message(() -> Optimizers.create("lbfgs:max_eval=0", ps)).startsWith("Invalid max_eval value: 0"));
        assertEquals("Invalid tolerance_grad value: -1.0E-5",
                message(() -> Optimizers.create("lbfgs:tolerance_grad=-1e-5", ps)));
        assertEquals("Invalid tolerance_change value: -1.0",
                message(() -> Optimizers.create("lbfgs:tolerance_change=-1", ps)));
        assertTrue(message(() -> Optimizers.create("lbfgs:momentum=0.9", ps)).contains("momentum"));
        // "" and "none" both mean no line search
        new LBFGS(ps, Map.of("line_search_fn", ""));
        new LBFGS(ps, Map.of("line_search_fn", "none"));
    }

    @Test
    void onlyOneParameterGroupAndAClosureAreAccepted() {
        List<Parameter> ps = model().parameters();
        assertEquals("LBFGS doesn't support per-parameter options (parameter groups)",
                message(() -> LBFGS.withGroups(List.of(new ParamGroup(ps.subList(0, 2)), new ParamGroup(ps.subList(2, 4))))));
        assertEquals("LBFGS doesn't support per-parameter options (parameter groups)",
                message(() -> Optimizers.createWithGroups("lbfgs",
                        List.of(new ParamGroup(ps.subList(0, 1)), new ParamGroup(ps.subList(1, 4))))));
        LBFGS opt = new LBFGS(ps);
        for (Parameter p : ps) {
            p.setGrad(Tensor.ones(p.dtype(), p.shape()));
        }
        double[] before = flat(ps);
        assertTrue(message(opt::step).contains("closure"));
        assertArrayEquals(before, flat(ps), 0.0);
        assertTrue(opt.state().isEmpty());
    }

    @Test
    void aStepAtAStationaryPointEvaluatesOnceAndMovesNothing() {
        Parameter xy = new Parameter(Tensor.of(1.0, 1.0));
        LBFGS opt = new LBFGS(List.of(xy), Map.of("line_search_fn", "strong_wolfe"));
        assertEquals(0.0, minimize(opt, xy, Golden.surface("rosenbrock")), 0.0);
        assertArrayEquals(new double[] {1, 1}, xy.toDoubleArray(), 0.0);
        assertEquals(1, opt.state().get(xy).get("func_evals"));
        assertEquals(0, opt.state().get(xy).get("n_iter"));
    }

    @Test
    void loadingAStateDictReplacesTheWholeHistory() {
        // A state saved at a stationary point holds only the counters; loading it into an optimizer
        // that has a history leaves no direction, step or pairs from before.
        Parameter still = new Parameter(Tensor.of(1.0, 1.0));
        LBFGS atMinimum = new LBFGS(List.of(still), Map.of("max_iter", 3));
        minimize(atMinimum, still, Golden.surface("rosenbrock"));
        StateDict saved = atMinimum.stateDict();
        assertEquals(java.util.Set.of("func_evals", "n_iter"), saved.state().values().iterator().next().keySet());

        Parameter xy = new Parameter(Tensor.of(-1.5, 2.0));
        LBFGS busy = new LBFGS(List.of(xy), Map.of("max_iter", 3));
        minimize(busy, xy, Golden.surface("rosenbrock"));
        assertTrue(busy.state().get(xy).containsKey("old_dirs"));
        busy.loadStateDict(saved);
        assertEquals(java.util.Set.of("func_evals", "n_iter"), busy.state().get(xy).keySet());
        assertEquals(1, busy.state().get(xy).get("func_evals"));
        assertEquals(0, busy.state().get(xy).get("n_iter"));
    }

    @Test
    void anEmptyLineSearchNameStepsAsNone() {
        double[][] ends = new double[2][];
        String[] names = {"", "none"};
        for (int k = 0; k < 2; k++) {
            Parameter xy = new Parameter(Tensor.of(-1.5, 2.0));
            LBFGS opt = new LBFGS(List.of(xy), Map.of("max_iter", 5, "line_search_fn", names[k]));
            for (int s = 0; s < 3; s++) {
                minimize(opt, xy, Golden.surface("rosenbrock"));
            }
            // Without a line search each iteration evaluates once: 3 steps of 5 iterations.
            assertEquals(15, opt.state().get(xy).get("func_evals"), "line_search_fn='" + names[k] + "'");
            ends[k] = xy.toDoubleArray();
        }
        assertArrayEquals(ends[1], ends[0], 0.0);
    }

    @Test
    void aGroupWithoutMaxIterGetsTheDefaultMaxEval() {
        assertEquals(25, new LBFGS(model().parameters(), Map.of()).paramGroups().get(0).getDouble("max_eval"));
    }

    /**
     * The stopping tests exactly at their thresholds on f = x^2 from x = 2 (every value exact in
     * binary), against torch 1.13 (tools/golden_lbfgs_edges.py): tolerance_grad and the step's size stop at
     * equality ({@code <=}), the slope at -tolerance_change and a loss change of exactly
     * tolerance_change do not. Each case is (evaluations, x) after one step.
     */
    @Test
    void theStoppingTestsAtTheirThresholdsAreTorchs() {
        assertArrayEquals(new double[] {1, 2}, stepOnSquare(false, Map.of("tolerance_grad", 4.0, "max_iter", 10)), 0.0);
        assertArrayEquals(new double[] {2, 1}, stepOnSquare(false, Map.of("tolerance_grad", 2.0, "max_iter", 10)), 0.0);
        assertArrayEquals(new double[] {2, 1}, stepOnSquare(false, Map.of("tolerance_change", 16.0, "max_iter", 10)), 0.0);
        assertArrayEquals(new double[] {2, 2},
                stepOnSquare(false, Map.of("lr", 0.0, "tolerance_change", 0.0, "max_iter", 4)), 0.0);
        // A closure that reports a constant loss: no change stops the step, unless the tolerance is 0.
        assertArrayEquals(new double[] {2, 1}, stepOnSquare(true, Map.of("max_iter", 10)), 0.0);
        assertArrayEquals(new double[] {3, 0}, stepOnSquare(true, Map.of("tolerance_change", 0.0, "max_iter", 10)), 0.0);
    }

    private static double[] stepOnSquare(boolean constantLoss, Map<String, Object> options) {
        Parameter x = new Parameter(Tensor.of(2.0));
        LBFGS opt = new LBFGS(List.of(x), options);
        int[] calls = {0};
        opt.step(() -> {
            calls[0]++;
            opt.zeroGrad();
            Tensor l = x.mul(x).sum();
            l.backward();
            return constantLoss ? 1.0 : l.item();
        });
        return new double[] {calls[0], x.getFlat(0)};
    }

    @Test
    void aFloat32StateDictLoadsIntoParametersListedInAnotherOrder() {
        Tensor x32 = X.to(DType.FLOAT32);
        String spec = "lbfgs:max_iter=3,history_size=4";
        Sequential straight = Models.fromSpec("mlp:4-5-3", new Rng(7), DType.FLOAT32);
        Optimizer s = Optimizers.create(spec, straight.parameters());
        for (int i = 0; i < 4; i++) {
            step32(straight, s, x32);
        }
        Sequential first = Models.fromSpec("mlp:4-5-3", new Rng(7), DType.FLOAT32);
        Optimizer a = Optimizers.create(spec, first.parameters());
        for (int i = 0; i < 2; i++) {
            step32(first, a, x32);
        }
        List<Parameter> reversed = new ArrayList<>(first.parameters());
        Collections.reverse(reversed);
        Optimizer b = Optimizers.create(spec, reversed);
        b.loadStateDict(a.stateDict());
        for (int i = 0; i < 2; i++) {
            step32(first, b, x32);
        }
        double[] expected = flat(straight.parameters());
        double[] got = flat(first.parameters());
        double moved = 0;
        double[] start = flat(Models.fromSpec("mlp:4-5-3", new Rng(7), DType.FLOAT32).parameters());
        for (int i = 0; i < expected.length; i++) {
            // float32 sums the flat vectors' dot products in another order after the reorder
            assertEquals(expected[i], got[i], 1e-4 * Math.max(1, Math.abs(expected[i])), "element " + i);
            moved = Math.max(moved, Math.abs(expected[i] - start[i]));
        }
        assertTrue(moved > 0.05, "moved only " + moved);
    }

    private static void step32(Sequential m, Optimizer opt, Tensor x) {
        opt.step(() -> {
            opt.zeroGrad();
            Tensor l = Losses.crossEntropy(m.forward(x), Y);
            l.backward();
            return l.item();
        });
    }

    private static String message(Runnable r) {
        return assertThrows(UsageException.class, r::run).getMessage();
    }
}
