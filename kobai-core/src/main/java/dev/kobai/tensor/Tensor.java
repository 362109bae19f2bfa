package dev.kobai.tensor;

import java.util.Arrays;
import java.util.Locale;

/**
 * An n-dimensional array of float32 or float64 numbers, row-major and contiguous, that records the
 * operations made on it for reverse-mode differentiation.
 *
 * <p>Operations return new tensors; {@link #reshape} shares storage. When any input
 * {@link #requiresGrad() requires a gradient} and {@link GradMode} is on, the result remembers
 * how it was made ({@link #gradFn()}), and {@link #backward()} fills {@link #grad()} of the
 * leaves. {@code backward(seed, true)} records the backward pass itself, which is how gradients of
 * gradients, and so Hessian-vector products, come out of the same engine.
 *
 * <p>Binary operations broadcast as NumPy and PyTorch do; both operands must share a dtype.
 */
public class Tensor {
    final DType dtype;
    final int[] shape;
    final int size;
    final float[] f;
    final double[] d;

    boolean requiresGrad;
    Node gradFn;
    Tensor grad;

    /** Wraps storage without copying; exactly one of {@code f} and {@code d} is non-null. */
    Tensor(int[] shape, float[] f, double[] d) {
        this.shape = shape;
        this.size = Shape.numel(shape);
        this.f = f;
        this.d = d;
        this.dtype = f != null ? DType.FLOAT32 : DType.FLOAT64;
        int length = f != null ? f.length : d.length;
        if (length != size) {
            throw new IllegalArgumentException("data of length " + length + " does not fit shape "
                    + Arrays.toString(shape) + " (" + size + " elements)");
        }
    }

    /** For subclasses such as nn.Parameter: takes over another tensor's storage and shape. */
    protected Tensor(Tensor storage) {
        this(storage.shape.clone(), storage.f, storage.d);
    }

    // ---------------------------------------------------------------- creation

    /** Wraps {@code data} (not copied) as a float32 tensor of the given shape. */
    public static Tensor fromArray(float[] data, int... shape) {
        return new Tensor(shape.clone(), data, null);
    }

    /** Wraps {@code data} (not copied) as a float64 tensor of the given shape. */
    public static Tensor fromArray(double[] data, int... shape) {
        return new Tensor(shape.clone(), null, data);
    }

    /** A 1-D float64 tensor of the given values. */
    public static Tensor of(double... values) {
        return fromArray(values.clone(), values.length);
    }

    /** A 1-D float32 tensor of the given values (copied). */
    public static Tensor of(float[] values) {
        return fromArray(values.clone(), values.length);
    }

    /**
     * A 2-D float64 tensor [rows, columns] of the given rows, as {@code torch.tensor(rows, dtype=torch.float64)}:
     * {@code Tensor.of(new double[][] {{1, 2}, {3, 4}})}. The rows must have one length.
     */
    public static Tensor of(double[][] rows) {
        int m = rows.length == 0 ? 0 : rows[0].length;
        double[] data = new double[rows.length * m];
        copyRows(rows, data, m);
        return fromArray(data, rows.length, m);
    }

    /** A 2-D float32 tensor [rows, columns] of the given rows, as {@code torch.tensor(rows)}; the rows must have one length. */
    public static Tensor of(float[][] rows) {
        int m = rows.length == 0 ? 0 : rows[0].length;
        float[] data = new float[rows.length * m];
        copyRows(rows, data, m);
        return fromArray(data, rows.length, m);
    }

    /** Copies primitive rows of length {@code m} one after another into {@code data}, a primitive array of their type. */
    private static void copyRows(Object[] rows, Object data, int m) {
        for (int i = 0; i < rows.length; i++) {
            requireRowLength(java.lang.reflect.Array.getLength(rows[i]), m, i);
            System.arraycopy(rows[i], 0, data, i * m, m);
        }
    }

    /** A 3-D float64 tensor [a, b, c] of the given blocks of rows; every block and row of one size. */
    public static Tensor of(double[][][] blocks) {
        int a = blocks.length;
        int b = a == 0 ? 0 : blocks[0].length;
        int c = b == 0 ? 0 : blocks[0][0].length;
        double[] data = new double[a * b * c];
        for (int i = 0; i < a; i++) {
            if (blocks[i].length != b) {
                throw new IllegalArgumentException("Tensor.of: block " + i + " has " + blocks[i].length
                        + " rows, block 0 has " + b);
            }
            for (int j = 0; j < b; j++) {
                if (blocks[i][j].length != c) {
                    throw new IllegalArgumentException("Tensor.of: row " + j + " of block " + i + " has "
                            + blocks[i][j].length + " values, row 0 of block 0 has " + c);
                }
                System.arraycopy(blocks[i][j], 0, data, (i * b + j) * c, c);
            }
        }
        return fromArray(data, a, b, c);
    }

    private static void requireRowLength(int length, int expected, int row) {
        if (length != expected) {
            throw new IllegalArgumentException("Tensor.of: row " + row + " has " + length + " values, row 0 has "
                    + expected + "; rows must have one length");
        }
    }

    /** A zero-filled tensor; inside an open {@link StepMemory}, a large one reuses an earlier step's storage. */
    public static Tensor zeros(DType dtype, int... shape) {
        int n = Shape.numel(shape);
        return dtype == DType.FLOAT32 ? new Tensor(shape.clone(), StepMemory.floats(n), null)
                : new Tensor(shape.clone(), null, StepMemory.doubles(n));
    }

    /** A tensor filled with {@code value}. */
    public static Tensor full(DType dtype, double value, int... shape) {
        Tensor t = zeros(dtype, shape);
        if (t.f != null) {
            Arrays.fill(t.f, (float) value);
        } else {
            Arrays.fill(t.d, value);
        }
        return t;
    }

    public static Tensor ones(DType dtype, int... shape) {
        return full(dtype, 1, shape);
    }

    /** A 0-dimensional tensor holding one number. */
    public static Tensor scalar(double value, DType dtype) {
        return full(dtype, value, new int[0]);
    }

    /** Uniform in [lo, hi), drawn from {@code rng}. */
    public static Tensor uniform(Rng rng, DType dtype, double lo, double hi, int... shape) {
        Tensor t = zeros(dtype, shape);
        for (int i = 0; i < t.size; i++) {
            t.setFlat(i, rng.uniform(lo, hi));
        }
        return t;
    }

    /** Standard normal, drawn from {@code rng}. */
    public static Tensor randn(Rng rng, DType dtype, int... shape) {
        Tensor t = zeros(dtype, shape);
        for (int i = 0; i < t.size; i++) {
            t.setFlat(i, rng.nextGaussian());
        }
        return t;
    }

    /** A zeroed tensor of this one's dtype. */
    Tensor newZeros(int... newShape) {
        return zeros(dtype, newShape);
    }

    /**
     * A tensor of this one's dtype for an output that a kernel writes in full: inside an open
     * {@link StepMemory} its storage may hold an earlier step's numbers, so it is not zeroed again
     * (zeroing a convolutional network's activations cost a tenth of its training step).
     */
    Tensor newEmpty(int... newShape) {
        int n = Shape.numel(newShape);
        return dtype == DType.FLOAT32 ? new Tensor(newShape.clone(), StepMemory.floats(n, false), null)
                : new Tensor(newShape.clone(), null, StepMemory.doubles(n, false));
    }

    // ---------------------------------------------------------------- properties

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size along {@code axis} (negative counts from the end). */
    public int size(int axis) {
        return shape[Shape.axis(axis, shape.length)];
    }

    public int rank() {
        return shape.length;
    }

    public int numel() {
        return size;
    }

    /** The float32 storage itself (not a copy): optimizers update parameters through it. */
    public float[] floatData() {
        if (f == null) {
            throw new IllegalStateException("tensor is " + dtype + ", not float32");
        }
        return f;
    }

    /** The float64 storage itself (not a copy). */
    public double[] doubleData() {
        if (d == null) {
            throw new IllegalStateException("tensor is " + dtype + ", not float64");
        }
        return d;
    }

    /** Element at a flat row-major index, as a double. */
    public double getFlat(int i) {
        return f != null ? f[i] : d[i];
    }

    /** Sets the element at a flat index (rounding to float32 where the tensor is). */
    public void setFlat(int i, double v) {
        if (f != null) {
            f[i] = (float) v;
        } else {
            d[i] = v;
        }
    }

    /** Element at a multi-index. */
    public double get(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index " + Arrays.toString(index) + " for a tensor of shape "
                    + Arrays.toString(shape));
        }
        int flat = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of bounds for shape "
                        + Arrays.toString(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return getFlat(flat);
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (size != 1) {
            throw new IllegalStateException("item() needs a one-element tensor, got shape " + Arrays.toString(shape));
        }
        return getFlat(0);
    }

    /** A copy of the values as doubles. */
    public double[] toDoubleArray() {
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            out[i] = getFlat(i);
        }
        return out;
    }

    /** A copy of the values as floats. */
    public float[] toFloatArray() {
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            out[i] = (float) getFlat(i);
        }
        return out;
    }

    /** A new tensor with a copy of the values, detached from any graph. */
    public Tensor copy() {
        return f != null ? new Tensor(shape.clone(), f.clone(), null) : new Tensor(shape.clone(), null, d.clone());
    }

    /** Copies {@code src}'s values into this tensor's storage (same shape and dtype); records nothing. */
    public void copyFrom(Tensor src) {
        if (!Arrays.equals(shape, src.shape) || dtype != src.dtype) {
            throw new IllegalArgumentException("copyFrom: " + src.describe() + " into " + describe());
        }
        if (f != null) {
            System.arraycopy(src.f, 0, f, 0, size);
        } else {
            System.arraycopy(src.d, 0, d, 0, size);
        }
    }

    /** Sets every element to {@code value} in place; records nothing. */
    public void fill(double value) {
        if (f != null) {
            Arrays.fill(f, (float) value);
        } else {
            Arrays.fill(d, value);
        }
    }

    /**
     * Whether this tensor stands for one of torch's int64 tensors (batch norm's
     * {@code num_batches_tracked}): whole numbers held in float64, exact up to 2^53, which state
     * dicts and files carry as int64. False for every tensor but an integral {@code nn.Buffer}.
     */
    public boolean holdsInt64() {
        return false;
    }

    /** "float32[128, 784]". */
    public String describe() {
        return dtype + Arrays.toString(shape);
    }

    // ---------------------------------------------------------------- autograd

    /** Whether gradients flow to or through this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as one whose gradient {@link #backward()} should compute. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) {
            throw new IllegalStateException("cannot stop a non-leaf tensor from requiring grad; use detach()");
        }
        this.requiresGrad = value;
        return this;
    }

    /** The operation that produced this tensor, or null for a leaf. */
    public Node gradFn() {
        return gradFn;
    }

    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The accumulated gradient of a leaf, or null before any backward pass or after zeroing. */
    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        if (g != null && (!Arrays.equals(g.shape, shape) || g.dtype != dtype)) {
            throw new IllegalArgumentException("gradient " + g.describe() + " does not match tensor " + describe());
        }
        this.grad = g;
    }

    /** The same storage, cut from the graph. */
    public Tensor detach() {
        return new Tensor(shape, f, d);
    }

    /** Backpropagates from a one-element tensor (a loss), accumulating into the leaves' {@link #grad()}. */
    public void backward() {
        if (size != 1) {
            throw new IllegalStateException("backward() without a seed needs a one-element tensor, got "
                    + Arrays.toString(shape) + "; pass the output's gradient explicitly");
        }
        backward(Tensor.full(dtype, 1, shape), false);
    }

    /**
     * Backpropagates {@code seed} (the gradient of some scalar with respect to this tensor). With
     * {@code createGraph} the backward operations are recorded, so the gradients accumulated into
     * the leaves can themselves be differentiated.
     */
    public void backward(Tensor seed, boolean createGraph) {
        Backprop.run(new Tensor[] {this}, new Tensor[] {seed}, null, createGraph);
    }

    // ---------------------------------------------------------------- element-wise arithmetic

    public Tensor add(Tensor o) {
        return Pointwise.binary(Pointwise.Binary.ADD, this, o);
    }

    public Tensor sub(Tensor o) {
        return Pointwise.binary(Pointwise.Binary.SUB, this, o);
    }

    public Tensor mul(Tensor o) {
        return Pointwise.binary(Pointwise.Binary.MUL, this, o);
    }

    public Tensor div(Tensor o) {
        return Pointwise.binary(Pointwise.Binary.DIV, this, o);
    }

    /** Element-wise maximum of two tensors (ties send the gradient to this one). */
    public Tensor maximum(Tensor o) {
        return Pointwise.binary(Pointwise.Binary.MAX, this, o);
    }

    /** Element-wise minimum of two tensors (ties send the gradient to this one). */
    public Tensor minimum(Tensor o) {
        return Pointwise.binary(Pointwise.Binary.MIN, this, o);
    }

    public Tensor add(double c) {
        return Pointwise.unary(Pointwise.Unary.ADD_SCALAR, this, c);
    }

    public Tensor sub(double c) {
        return Pointwise.unary(Pointwise.Unary.ADD_SCALAR, this, -c);
    }

    public Tensor mul(double c) {
        return Pointwise.unary(Pointwise.Unary.MUL_SCALAR, this, c);
    }

    public Tensor div(double c) {
        return Pointwise.unary(Pointwise.Unary.MUL_SCALAR, this, 1.0 / c);
    }

    /** {@code c - this}. */
    public Tensor rsub(double c) {
        return Pointwise.unary(Pointwise.Unary.RSUB_SCALAR, this, c);
    }

    /** {@code this ^ p} element-wise, for a constant exponent. */
    public Tensor pow(double p) {
        return Pointwise.unary(Pointwise.Unary.POW_SCALAR, this, p);
    }

    public Tensor square() {
        return pow(2);
    }

    public Tensor neg() {
        return Pointwise.unary(Pointwise.Unary.NEG, this, 0);
    }

    public Tensor exp() {
        return Pointwise.unary(Pointwise.Unary.EXP, this, 0);
    }

    /** log(1 + e^x), stable for any x; its derivative is the sigmoid. */
    public Tensor softplus() {
        return Pointwise.unary(Pointwise.Unary.SOFTPLUS, this, 0);
    }

    public Tensor log() {
        return Pointwise.unary(Pointwise.Unary.LOG, this, 0);
    }

    /** Sine, in radians. */
    public Tensor sin() {
        return Pointwise.unary(Pointwise.Unary.SIN, this, 0);
    }

    /** Cosine, in radians. */
    public Tensor cos() {
        return Pointwise.unary(Pointwise.Unary.COS, this, 0);
    }

    public Tensor tanh() {
        return Pointwise.unary(Pointwise.Unary.TANH, this, 0);
    }

    public Tensor sigmoid() {
        return Pointwise.unary(Pointwise.Unary.SIGMOID, this, 0);
    }

    public Tensor relu() {
        return Pointwise.unary(Pointwise.Unary.RELU, this, 0);
    }

    public Tensor sqrt() {
        return Pointwise.unary(Pointwise.Unary.SQRT, this, 0);
    }

    public Tensor abs() {
        return Pointwise.unary(Pointwise.Unary.ABS, this, 0);
    }

    /** Element-wise maximum with a constant (clamp from below); gradient 0 where clamped. */
    public Tensor clampMin(double lo) {
        return Pointwise.unary(Pointwise.Unary.CLAMP_MIN, this, lo);
    }

    /** Element-wise minimum with a constant (clamp from above); gradient 0 where clamped. */
    public Tensor clampMax(double hi) {
        return Pointwise.unary(Pointwise.Unary.CLAMP_MAX, this, hi);
    }

    /** -1, 0 or 1 by sign; a constant (no gradient). */
    public Tensor sign() {
        return Pointwise.constantUnary(Pointwise.Unary.SIGN, this, 0);
    }

    /** Converts to another dtype; the gradient converts back. */
    public Tensor to(DType target) {
        return ShapeOps.cast(this, target);
    }

    // ---------------------------------------------------------------- reductions

    /**
     * Whether every element is finite (no NaN, no infinity). One pass at memory speed with the
     * Vector API; the trainer runs it on every gradient of every step.
     */
    public boolean allFinite() {
        return Reduce.allFinite(this);
    }

    /** Sum of all elements, as a 0-dimensional tensor. */
    public Tensor sum() {
        return Reduce.sum(reshape(size), 0, false);
    }

    public Tensor sum(int axis, boolean keepDim) {
        return Reduce.sum(this, axis, keepDim);
    }

    /** Mean of all elements, as a 0-dimensional tensor. */
    public Tensor mean() {
        return sum().mul(1.0 / size);
    }

    public Tensor mean(int axis, boolean keepDim) {
        return sum(axis, keepDim).mul(1.0 / size(axis));
    }

    /** Largest element, as a 0-dimensional tensor. */
    public Tensor max() {
        return Reduce.extreme(reshape(size), 0, false, true);
    }

    /** Largest element along {@code axis}; the gradient goes to the first maximal element. */
    public Tensor max(int axis, boolean keepDim) {
        return Reduce.extreme(this, axis, keepDim, true);
    }

    public Tensor min() {
        return Reduce.extreme(reshape(size), 0, false, false);
    }

    public Tensor min(int axis, boolean keepDim) {
        return Reduce.extreme(this, axis, keepDim, false);
    }

    /** Index of the largest element along the last axis of a 2-D tensor, per row. */
    public int[] argmaxRows() {
        return Reduce.argmaxRows(this);
    }

    /** Sums broadcast dimensions away so the result has {@code target} shape (the adjoint of broadcasting). */
    public Tensor sumTo(int... target) {
        return Reduce.sumTo(this, target);
    }

    // ---------------------------------------------------------------- shape

    /** Same data, new shape (one dimension may be -1); shares storage. */
    public Tensor reshape(int... newShape) {
        return ShapeOps.reshape(this, newShape);
    }

    /** Copies the data into {@code target} shape by broadcasting. */
    public Tensor broadcastTo(int... target) {
        return ShapeOps.broadcastTo(this, target);
    }

    /** Swaps two axes (copies). */
    public Tensor transpose(int axis0, int axis1) {
        return ShapeOps.transpose(this, axis0, axis1);
    }

    /** Transpose of a 2-D tensor. */
    public Tensor t() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("t() needs a 2-D tensor, got " + describe());
        }
        return transpose(0, 1);
    }

    /** Elements [start, end) along {@code axis} (copies). */
    public Tensor slice(int axis, int start, int end) {
        return ShapeOps.slice(this, axis, start, end);
    }

    /** Rows {@code indices} along the first axis, in that order (repeats allowed): a minibatch. */
    public Tensor gatherRows(int[] indices) {
        return ShapeOps.gatherRows(this, indices);
    }

    /** For a 2-D tensor, element {@code [i, columns[i]]} of each row: the logit of each label. */
    public Tensor pick(int[] columns) {
        return ShapeOps.pick(this, columns);
    }

    /** Joins tensors along {@code axis}. */
    public static Tensor concat(int axis, Tensor... parts) {
        return ShapeOps.concat(axis, parts);
    }

    // ---------------------------------------------------------------- linear algebra and softmax

    /** Matrix product of 2-D tensors, or batched over a leading dimension of 3-D ones. */
    public Tensor matmul(Tensor o) {
        return Linalg.matmul(this, o, false, false);
    }

    /** {@code op(this) op(o)} where op transposes the last two axes when asked, without copying. */
    public Tensor matmul(Tensor o, boolean transposeThis, boolean transposeOther) {
        return Linalg.matmul(this, o, transposeThis, transposeOther);
    }

    /** exp(x) / sum exp(x) along {@code axis}, computed after subtracting the maximum. */
    public Tensor softmax(int axis) {
        return Softmax.softmax(this, axis, false);
    }

    /** x - log sum exp(x) along {@code axis}, computed after subtracting the maximum. */
    public Tensor logSoftmax(int axis) {
        return Softmax.softmax(this, axis, true);
    }

    // ---------------------------------------------------------------- printing

    /**
     * The values as torch prints them: {@code tensor([[1., 2.],\n        [3., 4.]])}, with
     * {@code dtype=float64} when not float32, {@code grad_fn=<...>} or {@code requires_grad=True};
     * more than 1000 elements are summarised with {@code ...} (see {@link TensorFormat}). For the
     * dtype and shape alone, {@link #describe()}.
     */
    @Override
    public String toString() {
        return TensorFormat.format(this);
    }

    // ---------------------------------------------------------------- recording

    /** Whether an operation on these inputs must be recorded. */
    static boolean recording(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t.requiresGrad) {
                return true;
            }
        }
        return false;
    }

    /**
     * In a backward function: whether the gradient of input {@code t} is needed by the running
     * backward pass (it requires a gradient, and leads to a tensor whose gradient was asked for).
     */
    static boolean needsGrad(Tensor t) {
        return Backprop.needed(t);
    }

    /** Attaches the record of an operation to its freshly computed output. */
    static Tensor record(Tensor out, String op, Node.Backward backward, Tensor... inputs) {
        if (recording(inputs)) {
            out.requiresGrad = true;
            out.gradFn = new Node(op, inputs, backward);
        }
        return out;
    }

    static void checkSameDtype(String op, Tensor a, Tensor b) {
        if (a.dtype != b.dtype) {
            throw new IllegalArgumentException(op + ": dtypes differ (" + a.describe() + " and " + b.describe()
                    + "); convert one with to(DType)");
        }
    }
}
