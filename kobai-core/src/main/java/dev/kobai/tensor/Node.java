package dev.kobai.tensor;

/**
 * The record of one differentiable operation: its inputs and how to turn the gradient of its
 * output into gradients of its inputs. Backward functions are written with Tensor operations, so
 * when the backward pass itself is recorded (createGraph) its result can be differentiated again.
 */
public final class Node {
    /** Maps the output's gradient to one gradient per input (null where an input needs none). */
    @FunctionalInterface
    public interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    final String op;
    final Tensor[] inputs;
    final Backward backward;

    Node(String op, Tensor[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    /** The operation's name, for messages and graph dumps. */
    public String op() {
        return op;
    }

    @Override
    public String toString() {
        return op + "Backward";
    }
}
