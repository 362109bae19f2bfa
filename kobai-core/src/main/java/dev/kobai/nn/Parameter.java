package dev.kobai.nn;

import dev.kobai.tensor.Tensor;

/**
 * A tensor a module learns: a leaf that requires a gradient. Its name is the dotted path under the
 * module that owns it ("0.weight"), set by {@link Module#namedParameters()}, so optimizer state and
 * checkpoints can be keyed by name rather than by position.
 */
public final class Parameter extends Tensor {
    private String name;

    public Parameter(Tensor initial) {
        super(initial);
        requiresGrad(true);
    }

    /** The dotted path under its owning module, or null before the module has named it. */
    public String name() {
        return name;
    }

    void setName(String name) {
        this.name = name;
    }
}
