package dev.kobai.nn;

import dev.kobai.tensor.Tensor;
import java.util.Locale;
import java.util.function.UnaryOperator;

/** Parameter-free element-wise layers: ReLU, Tanh, Sigmoid, and Softmax over the last axis. */
public final class Activation extends Module {
    private final String name;
    private final UnaryOperator<Tensor> fn;

    private Activation(String name, UnaryOperator<Tensor> fn) {
        this.name = name;
        this.fn = fn;
    }

    public static Activation relu() {
        return new Activation("ReLU", Tensor::relu);
    }

    public static Activation tanh() {
        return new Activation("Tanh", Tensor::tanh);
    }

    public static Activation sigmoid() {
        return new Activation("Sigmoid", Tensor::sigmoid);
    }

    /** Softmax over the last axis. */
    public static Activation softmax() {
        return new Activation("Softmax", x -> x.softmax(-1));
    }

    /** The names {@code relu}, {@code tanh}, {@code sigmoid} used in model specs. */
    public static Activation byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "relu" -> relu();
            case "tanh" -> tanh();
            case "sigmoid" -> sigmoid();
            default -> throw new dev.kobai.UsageException("unknown activation '" + name
                    + "': valid are relu, tanh, sigmoid");
        };
    }

    @Override
    public Tensor forward(Tensor x) {
        return fn.apply(x);
    }

    /** Whether this is ReLU (which commutes with max pooling, see {@link Sequential}). */
    public boolean isRelu() {
        return name.equals("ReLU");
    }

    @Override
    public String toString() {
        return name + "()";
    }
}
