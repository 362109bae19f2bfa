package dev.kobai.cli;

import dev.kobai.UsageException;
import dev.kobai.optim.OptimizerSpec;
import dev.kobai.optim.Optimizers;
import dev.kobai.surface.Surface.Domain;
import dev.kobai.surface.Surface.Point;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The races of the lecture's animations (Alec Radford's, 2014), redrawn with Kobai's optimizers:
 * Beale's function, a long narrow valley and a saddle, each with SGD, momentum, Nesterov, Adagrad,
 * Adadelta and RMSprop as in the original, plus Adam and the two Newton methods the original
 * never had. No hyperparameters were published with the originals; these were chosen by trying a
 * few on each surface so that each method behaves as the pictures show it (RaceCommandTest checks
 * that it does), and the legend prints them. kobai serve's playground offers the same presets.
 */
public final class RacePresets {
    /** A runner's legend name and optimizer spec. */
    public record Entry(String label, String spec) {}

    /** A surface, a start, a number of steps and the runners. */
    public record Preset(String name, String surface, Point start, Domain domain, int steps, List<Entry> runners,
                  String caption) {}

    private static final Map<String, Preset> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("beale", new Preset("beale", "beale", new Point(1, 1.5), new Domain(-0.5, 4.5, -2, 2.5), 250, List.of(
                new Entry("SGD", "sgd:lr=0.002"),
                new Entry("Momentum", "sgd:lr=0.003,momentum=0.9"),
                new Entry("Nesterov", "sgd:lr=0.003,momentum=0.9,nesterov=true"),
                new Entry("Adagrad", "adagrad:lr=0.5"),
                new Entry("Adadelta", "adadelta:lr=10"),
                new Entry("RMSprop", "rmsprop:lr=0.02"),
                new Entry("Adam", "adam:lr=0.05")),
                "Beale's function: the momentum methods overshoot and swing round the bend, the adaptive"
                        + " ones set off towards the minimum at (3, 0.5), plain SGD crawls; Newton's method jumps onto the"
                        + " saddle point at (0, 1), and saddle-free Newton runs off along the plateau where f tends to"
                        + " 0.45."));
        PRESETS.put("long-valley", new Preset("long-valley", "long-valley", new Point(-9, -1), new Domain(-10, 4, -1.5, 1.5), 150,
                List.of(
                new Entry("SGD", "sgd:lr=0.019"),
                new Entry("Momentum", "sgd:lr=0.01,momentum=0.9"),
                new Entry("Nesterov", "sgd:lr=0.01,momentum=0.9,nesterov=true"),
                new Entry("Adagrad", "adagrad:lr=1"),
                new Entry("Adadelta", "adadelta:lr=15"),
                new Entry("RMSprop", "rmsprop:lr=0.1"),
                new Entry("Adam", "adam:lr=0.3")),
                "A long valley (condition number 100): SGD zig-zags across the steep walls and crawls along"
                        + " the floor, momentum builds speed along it, the adaptive methods rescale each"
                        + " direction by its own gradient history (Adadelta's steps grow only slowly from its tiny"
                        + " start); on a quadratic both Newton methods land on the minimum in one step."));
        PRESETS.put("saddle", new Preset("saddle", "saddle", new Point(-1.5, 1e-3), new Domain(-2, 2, -2, 2), 150, List.of(
                new Entry("SGD", "sgd:lr=0.02"),
                new Entry("Momentum", "sgd:lr=0.02,momentum=0.9"),
                new Entry("Nesterov", "sgd:lr=0.02,momentum=0.9,nesterov=true"),
                new Entry("Adagrad", "adagrad:lr=0.2"),
                new Entry("Adadelta", "adadelta:lr=10"),
                new Entry("RMSprop", "rmsprop:lr=0.02"),
                new Entry("Adam", "adam:lr=0.05")),
                "A saddle, started just off the ridge: the gradient across the ridge is tiny, so plain SGD"
                        + " sits at the saddle point while the methods that rescale by the gradient's size"
                        + " escape at once; Newton's method jumps onto the saddle point in one step, and saddle-free Newton"
                        + " leaves it fastest of all."));
    }

    private RacePresets() {}

    public static List<String> names() {
        return List.copyOf(PRESETS.keySet());
    }

    /**
     * The preset called {@code name}. Every preset ends with the two Newton methods the lecture's
     * picture never had: plain Newton, which is drawn to any stationary point, saddles included, and
     * saddle-free Newton (|H| in place of H, Dauphin et al. 2014), which is pushed away from them.
     */
    public static Preset byName(String name) {
        Preset p = name == null ? null : PRESETS.get(name.trim().toLowerCase(Locale.ROOT));
        if (p == null) {
            throw new UsageException("unknown preset '" + name + "'; valid: " + String.join(", ", names()));
        }
        List<Entry> runners = new ArrayList<>(p.runners());
        runners.add(new Entry("Newton", "newton"));
        runners.add(new Entry("Saddle-free Newton", "newton:indefinite=saddle-free"));
        return new Preset(p.name(), p.surface(), p.start(), p.domain(), p.steps(), List.copyOf(runners), p.caption());
    }

    /** {@code LABEL=SPEC} or {@code SPEC}, checked; the label defaults to the optimizer's name. */
    public static Entry parseEntry(String text) {
        String label = null;
        String body = text.trim();
        int eq = body.indexOf('=');
        int colon = body.indexOf(':');
        if (eq > 0 && (colon < 0 || eq < colon)) {
            label = body.substring(0, eq).trim();
            body = body.substring(eq + 1).trim();
        }
        OptimizerSpec parsed = OptimizerSpec.parse(body);
        Optimizers.options(parsed);
        return new Entry(label == null || label.isEmpty() ? parsed.name() : label, body);
    }

    /** Where two runs would share a label, each is labelled with its whole spec instead. */
    public static List<Entry> distinctLabels(List<Entry> entries) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            long same = entries.stream().filter(x -> x.label().equals(e.label())).count();
            out.add(same > 1 ? new Entry(e.spec(), e.spec()) : e);
        }
        return out;
    }

}
