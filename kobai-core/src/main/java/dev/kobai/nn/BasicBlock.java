package dev.kobai.nn;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;

/**
 * ResNet's basic residual block (He, Zhang, Ren and Sun 2016), as torchvision's BasicBlock:
 * <pre>
 *   out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))
 * </pre>
 * where conv1 is 3x3 with the block's stride and conv2 3x3 with stride 1, both padded by 1 and
 * without bias, and the shortcut is x itself when the stride is 1 and the channel count stays, and
 * otherwise {@code downsample} = Sequential(1x1 convolution with the stride and no bias,
 * BatchNorm2d), as torchvision's ResNet builds it.
 *
 * <p>Shapes: input [N, in, H, W], output [N, out, H_out, W_out] with
 * {@code H_out = floor((H - 1) / stride) + 1}, likewise W_out.
 *
 * <p>The children are registered under torchvision's names (conv1, bn1, relu, conv2, bn2,
 * downsample.0, downsample.1), so the parameter and buffer names are its state_dict keys.
 * Initialisation as torch's default for each layer (the convolutions' weights uniform in
 * +-1/sqrt(fan_in), drawn in registration order: conv1, conv2, downsample.0; batch norm weight ones
 * and bias zeros); torchvision's ResNet re-initialises its blocks, this block does not.
 *
 * {@snippet :
 * Rng rng = new Rng(0);
 * BasicBlock block = new BasicBlock(64, 128, 2, rng, DType.FLOAT32);
 * Tensor y = block.forward(x); // [N, 64, 32, 32] -> [N, 128, 16, 16]
 * }
 */
public final class BasicBlock extends Module {
    /** Output channels per {@code planes}: 1 for the basic block (4 for torchvision's bottleneck). */
    public static final int EXPANSION = 1;

    private final int inplanes;
    private final int planes;
    private final int stride;
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Activation relu;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Sequential downsample;

    /** A block of stride 1. */
    public BasicBlock(int inplanes, int planes, Rng rng, DType dtype) {
        this(inplanes, planes, 1, rng, dtype);
    }

    /** A block from {@code inplanes} to {@code planes} channels, with a downsampling shortcut when needed. */
    public BasicBlock(int inplanes, int planes, int stride, Rng rng, DType dtype) {
        if (inplanes < 1 || planes < 1 || stride < 1) {
            throw new IllegalArgumentException("BasicBlock needs positive channels and stride, got inplanes=" + inplanes
                    + ", planes=" + planes + ", stride=" + stride);
        }
        this.inplanes = inplanes;
        this.planes = planes;
        this.stride = stride;
        this.conv1 = registerModule("conv1",
                Conv2d.builder(inplanes, planes, 3).stride(stride).padding(1).bias(false).build(rng, dtype));
        this.bn1 = registerModule("bn1", new BatchNorm2d(planes, dtype));
        this.relu = registerModule("relu", Activation.relu());
        this.conv2 = registerModule("conv2",
                Conv2d.builder(planes, planes, 3).padding(1).bias(false).build(rng, dtype));
        this.bn2 = registerModule("bn2", new BatchNorm2d(planes, dtype));
        this.downsample = stride != 1 || inplanes != planes * EXPANSION
                ? registerModule("downsample", new Sequential(
                        Conv2d.builder(inplanes, planes * EXPANSION, 1).stride(stride).bias(false).build(rng, dtype),
                        new BatchNorm2d(planes * EXPANSION, dtype)))
                : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4 || x.size(1) != inplanes) {
            throw new IllegalArgumentException("BasicBlock(" + inplanes + ", " + planes + ", stride=" + stride
                    + ") got input " + x.describe() + "; expected [batch, " + inplanes + ", height, width]");
        }
        Tensor out = relu.forward(bn1.forward(conv1.forward(x)));
        out = bn2.forward(conv2.forward(out));
        Tensor shortcut = downsample == null ? x : downsample.forward(x);
        return relu.forward(out.add(shortcut));
    }

    public Conv2d conv1() {
        return conv1;
    }

    public BatchNorm2d bn1() {
        return bn1;
    }

    public Conv2d conv2() {
        return conv2;
    }

    public BatchNorm2d bn2() {
        return bn2;
    }

    /** The 1x1 convolution and batch norm of the shortcut, or null for the identity. */
    public Sequential downsample() {
        return downsample;
    }

    /** Input channels. */
    public int inplanes() {
        return inplanes;
    }

    /** Output channels. */
    public int planes() {
        return planes;
    }

    public int stride() {
        return stride;
    }

    /** torch's layout: one child per line. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("BasicBlock(\n");
        children().forEach((name, m) -> sb.append("  (").append(name).append("): ").append(m).append('\n'));
        return sb.append(')').toString();
    }
}
