package dev.kobai.nn;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Normalization;
import dev.kobai.tensor.Tensor;
import java.util.Arrays;

/**
 * Layer normalisation, torch.nn.LayerNorm (Ba, Kiros and Hinton 2016): over the trailing
 * dimensions D = normalized_shape of each leading index,
 * <pre>
 *   y = (x - mean) / sqrt(var + eps) * weight + bias
 * </pre>
 * with the mean and biased variance of the prod(D) elements, and weight and bias of shape D applied
 * element by element. The same in training and evaluation: there are no running statistics.
 *
 * <p>Shapes: input [*, D], output the same; weight and bias D.
 *
 * <p>Arguments as torch's, with its defaults: normalized_shape (an int for one dimension); eps
 * 1e-5; elementwise_affine true.
 *
 * <p>Initialisation as torch's: weight ones, bias zeros.
 *
 * {@snippet :
 * LayerNorm norm = new LayerNorm(512, DType.FLOAT32);
 * Tensor y = norm.forward(tokens); // [N, T, 512] -> [N, T, 512], each token normalised over its 512 features
 * }
 */
public final class LayerNorm extends Module {
    public static final double DEFAULT_EPS = 1e-5;

    private final int[] normalizedShape;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /** Over the last dimension, of size {@code normalizedShape}, with torch's defaults. */
    public LayerNorm(int normalizedShape, DType dtype) {
        this(new int[] {normalizedShape}, DEFAULT_EPS, true, dtype);
    }

    /** Over the trailing dimensions {@code normalizedShape}, with torch's defaults. */
    public LayerNorm(int[] normalizedShape, DType dtype) {
        this(normalizedShape, DEFAULT_EPS, true, dtype);
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, DType dtype) {
        if (normalizedShape.length == 0 || Arrays.stream(normalizedShape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("LayerNorm: normalized_shape must be one or more positive sizes, got "
                    + Arrays.toString(normalizedShape));
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("LayerNorm: eps must be finite and non-negative, got " + eps);
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine
                ? registerParameter("weight", new Parameter(Tensor.ones(dtype, normalizedShape))) : null;
        this.bias = elementwiseAffine
                ? registerParameter("bias", new Parameter(Tensor.zeros(dtype, normalizedShape))) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        int k = normalizedShape.length;
        int[] shape = x.shape();
        if (shape.length < k || !Arrays.equals(Arrays.copyOfRange(shape, shape.length - k, shape.length),
                normalizedShape)) {
            throw new IllegalArgumentException(this + ": Given normalized_shape=" + Arrays.toString(normalizedShape)
                    + ", expected input with shape [*, " + Arrays.toString(normalizedShape).substring(1)
                    + ", but got input of size" + Arrays.toString(shape));
        }
        return Normalization.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    /** A copy of the normalised trailing shape. */
    public int[] normalizedShape() {
        return normalizedShape.clone();
    }

    public double eps() {
        return eps;
    }

    /** Of shape normalized_shape, or null without elementwise affine. */
    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    @Override
    public String toString() {
        return "LayerNorm(" + Repr.tuple(normalizedShape) + ", eps=" + Repr.number(eps) + ", elementwise_affine="
                + Repr.bool(weight != null) + ")";
    }
}
