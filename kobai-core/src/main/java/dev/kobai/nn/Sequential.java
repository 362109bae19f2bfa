package dev.kobai.nn;

import dev.kobai.tensor.Tensor;
import java.util.List;

/** Modules applied in order; they are registered as "0", "1", ... as in torch.nn.Sequential. */
public final class Sequential extends Module {
    private final List<Module> layers;

    public Sequential(Module... layers) {
        this.layers = List.of(layers);
        for (int i = 0; i < layers.length; i++) {
            registerModule(Integer.toString(i), layers[i]);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = x;
        for (Module m : layers) {
            y = m.forward(y);
        }
        return y;
    }

    public List<Module> layers() {
        return layers;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Sequential(");
        for (int i = 0; i < layers.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(layers.get(i));
        }
        return sb.append(')').toString();
    }
}
