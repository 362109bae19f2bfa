package dev.kobai.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Storage that a training step lends to the large tensors it makes, and takes back when the step
 * is over, so that the next step, which makes tensors of the same sizes, reuses it.
 *
 * <p>Why: a step of a convolutional network makes about 150 MB of activations and gradients at
 * batch 128, all dead when the step ends. Left to the garbage collector they were copied between
 * generations while still live (the serial collector spent a quarter of a cnn epoch in collections
 * and grew the heap past 6 GB) or, with G1, held in the heap until the next collection (1.8 GB
 * resident against PyTorch's 0.8). Reused, they cost neither.
 *
 * <p>Inside {@link #open()}, every array of at least {@value #MIN_ELEMENTS} elements that
 * {@link Tensor#zeros} or a kernel asks for on this thread comes from this memory, zeroed; closing
 * the scope takes them all back, except those that {@link #escape escaped}: a gradient stored in a
 * leaf (a parameter's {@code grad}) outlives the step, and the engine marks it so. Nothing else made
 * in the scope may be kept after it ends; the trainer opens a scope around exactly the forward and
 * backward passes of its closure, whose results it reads as numbers. Sizes not asked for in the
 * last scope are dropped, so the memory holds one step's worth.
 */
public final class StepMemory {
    /** Smaller arrays are left to the young generation, where dying young is cheap. */
    static final int MIN_ELEMENTS = 1 << 14;
    private static final ThreadLocal<StepMemory> CURRENT = new ThreadLocal<>();
    /** Tests fill returned arrays with NaN, so that a tensor used after its step ends shows at once. */
    static volatile boolean poison;
    /** Whether scopes lend reused storage at all; off, every tensor gets a fresh array (for comparisons). */
    private static volatile boolean reuse = true;

    private final Map<Integer, ArrayDeque<float[]>> floats = new HashMap<>();
    private final Map<Integer, ArrayDeque<double[]>> doubles = new HashMap<>();
    private final Map<Integer, ArrayDeque<int[]>> ints = new HashMap<>();
    private final List<Object> lent = new ArrayList<>();
    private final Set<Object> escaped = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Integer> asked = new HashSet<>();
    private StepMemory outer;
    private boolean open;

    /** A scope that gives its arrays back when closed. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Turns reuse on (the default) or off for every step memory; off, scopes lend nothing and every
     * tensor gets a fresh array, which benchmarks and tests compare against.
     */
    public static void setReuse(boolean on) {
        reuse = on;
    }

    /** Fills storage with NaN when it is taken back, so that a tensor used after its step ends is seen at once; for tests. */
    public static void setPoison(boolean on) {
        poison = on;
    }

    /** Lends arrays to this thread's tensors until the returned scope closes. */
    public Scope open() {
        if (open) {
            throw new IllegalStateException("this step memory is already open");
        }
        open = true;
        outer = CURRENT.get();
        CURRENT.set(reuse ? this : null);
        return this::close;
    }

    private void close() {
        CURRENT.set(outer);
        outer = null;
        open = false;
        for (Object a : lent) {
            if (escaped.contains(a)) {
                continue;
            }
            switch (a) {
                case float[] f -> {
                    if (poison) {
                        Arrays.fill(f, Float.NaN);
                    }
                    floats.computeIfAbsent(f.length, k -> new ArrayDeque<>()).push(f);
                }
                case double[] d -> {
                    if (poison) {
                        Arrays.fill(d, Double.NaN);
                    }
                    doubles.computeIfAbsent(d.length, k -> new ArrayDeque<>()).push(d);
                }
                case int[] i -> {
                    if (poison) {
                        Arrays.fill(i, -1);
                    }
                    ints.computeIfAbsent(i.length, k -> new ArrayDeque<>()).push(i);
                }
                default -> throw new IllegalStateException("not an array: " + a);
            }
        }
        lent.clear();
        escaped.clear();
        // one step's worth: sizes this step did not ask for (the last, smaller batch of an epoch) go
        floats.keySet().retainAll(asked);
        doubles.keySet().retainAll(asked);
        ints.keySet().retainAll(asked);
        asked.clear();
    }

    /** Arrays lent and not yet returned, for tests. */
    int lentCount() {
        return lent.size();
    }

    /** Arrays held for the next scope, for tests. */
    int heldCount() {
        int n = 0;
        for (ArrayDeque<float[]> q : floats.values()) {
            n += q.size();
        }
        for (ArrayDeque<double[]> q : doubles.values()) {
            n += q.size();
        }
        for (ArrayDeque<int[]> q : ints.values()) {
            n += q.size();
        }
        return n;
    }

    static float[] floats(int n) {
        return floats(n, true);
    }

    /** As above; without {@code zeroed}, reused storage keeps what it held (for outputs a kernel writes whole). */
    static float[] floats(int n, boolean zeroed) {
        StepMemory m = CURRENT.get();
        if (m == null || n < MIN_ELEMENTS) {
            return new float[n];
        }
        m.asked.add(n);
        ArrayDeque<float[]> q = m.floats.get(n);
        float[] a = q == null || q.isEmpty() ? null : q.pop();
        if (a == null) {
            a = new float[n];
        } else if (zeroed) {
            Arrays.fill(a, 0f);
        }
        m.lent.add(a);
        return a;
    }

    static double[] doubles(int n) {
        return doubles(n, true);
    }

    /** As above; without {@code zeroed}, reused storage keeps what it held (for outputs a kernel writes whole). */
    static double[] doubles(int n, boolean zeroed) {
        StepMemory m = CURRENT.get();
        if (m == null || n < MIN_ELEMENTS) {
            return new double[n];
        }
        m.asked.add(n);
        ArrayDeque<double[]> q = m.doubles.get(n);
        double[] a = q == null || q.isEmpty() ? null : q.pop();
        if (a == null) {
            a = new double[n];
        } else if (zeroed) {
            Arrays.fill(a, 0d);
        }
        m.lent.add(a);
        return a;
    }

    static int[] ints(int n) {
        return ints(n, true);
    }

    /** As above; without {@code zeroed}, reused storage keeps what it held (for outputs a kernel writes whole). */
    static int[] ints(int n, boolean zeroed) {
        StepMemory m = CURRENT.get();
        if (m == null || n < MIN_ELEMENTS) {
            return new int[n];
        }
        m.asked.add(n);
        ArrayDeque<int[]> q = m.ints.get(n);
        int[] a = q == null || q.isEmpty() ? null : q.pop();
        if (a == null) {
            a = new int[n];
        } else if (zeroed) {
            Arrays.fill(a, 0);
        }
        m.lent.add(a);
        return a;
    }

    /** Marks a tensor's storage as outliving the scope it was made in (a gradient stored in a leaf). */
    static void escape(Tensor t) {
        StepMemory m = CURRENT.get();
        for (StepMemory s = m; s != null; s = s.outer) {
            s.escaped.add(t.f != null ? t.f : t.d);
        }
    }
}
