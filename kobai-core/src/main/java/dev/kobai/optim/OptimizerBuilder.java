package dev.kobai.optim;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The common part of every optimizer's typed builder ({@code Adam.builder()}, {@code SGD.builder()},
 * ...): settings keyed by the optimizer's {@link Option} constants, parameter groups with their own
 * settings, and {@code build}. Each optimizer's Builder adds one typed method per torch argument,
 * named as torch's argument in camelCase; the defaults and checks are those of the optimizer's
 * {@link OptionTable}, the same as its spec's, and the checks run when the optimizer is built, with
 * torch's messages.
 *
 * <p>The settings given to the builder are torch's constructor arguments: they are the defaults
 * of every group, including groups added later with {@link Optimizer#addParamGroup}. A group's own
 * settings are given to a fresh builder of the same kind, as torch's per-group dicts are:
 *
 * {@snippet :
 * SGD sgd = SGD.builder().lr(0.1).momentum(0.9)
 *         .group(biases, g -> g.lr(0.01))      // momentum 0.9 from the builder, lr its own
 *         .build(weights);
 * }
 *
 * @param <B> the concrete builder (its methods return it)
 * @param <O> the optimizer it builds
 */
public abstract class OptimizerBuilder<B extends OptimizerBuilder<B, O>, O extends Optimizer> {
    private final OptionTable table;
    private final String owner;
    private final Map<String, Object> settings = new LinkedHashMap<>();
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Supplier<B> fresh;
    private final BiFunction<Map<String, Object>, List<ParamGroup>, O> create;
    private boolean forGroup;

    /**
     * {@code owner} names the optimizer in messages; {@code table} is its option table;
     * {@code fresh} makes an empty builder of the same kind (for a group's settings) and
     * {@code create} the optimizer from the builder's settings (its defaults) and the groups.
     */
    protected OptimizerBuilder(String owner, OptionTable table, Supplier<B> fresh,
                               BiFunction<Map<String, Object>, List<ParamGroup>, O> create) {
        this.owner = owner;
        this.table = Optimizer.withCommonOptions(table);
        this.fresh = fresh;
        this.create = create;
    }

    /** This builder as its concrete type (B is the class that extends this one). */
    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Sets an option by its typed key ({@code set(Adam.LR, 3e-4)}); the key must be one of this
     * optimizer's options (one of the same name and kind, so that the common
     * {@link Optimizer#DECOUPLED_WEIGHT_DECAY} works for every optimizer that has it).
     */
    public final <T> B set(Option<T> option, T value) {
        Option<?> mine = table.find(option.name());
        if (mine == null || mine.kind() != option.kind()) {
            throw new IllegalArgumentException(owner + " has no option " + option.name() + "; options: "
                    + table.describe());
        }
        settings.put(option.name(), option.cast(Objects.requireNonNull(value, option.name())));
        return self();
    }

    /**
     * Adds a parameter group with its own settings over the builder's: {@code overrides} receives
     * a fresh builder of this kind and calls its setters ({@code g -> g.lr(1e-2).weightDecay(0)}).
     */
    public final B group(List<Parameter> params, Consumer<? super B> overrides) {
        requireBuilder("group");
        B g = fresh.get();
        OptimizerBuilder<B, O> settings = g;
        settings.forGroup = true;
        overrides.accept(g);
        groups.add(new ParamGroup(params, settings.settings));
        return self();
    }

    /** Adds a parameter group that takes every setting from the builder. */
    public final B group(List<Parameter> params) {
        return group(params, g -> {});
    }

    /**
     * Builds the optimizer over {@code params} as its first group, with the groups added by
     * {@link #group} after it; checks every setting of every group, with torch's messages.
     */
    public final O build(List<Parameter> params) {
        requireBuilder("build");
        if (params.isEmpty()) {
            throw new UsageException("optimizer got an empty parameter list");
        }
        List<ParamGroup> all = new ArrayList<>();
        all.add(new ParamGroup(params, settings));
        all.addAll(copies());
        return create.apply(settings, all);
    }

    /** Builds the optimizer over the groups added by {@link #group} alone. */
    public final O build() {
        requireBuilder("build");
        if (groups.isEmpty()) {
            throw new UsageException("optimizer got an empty parameter list");
        }
        return create.apply(settings, copies());
    }

    /** The settings given so far, by torch's names (the defaults fill the rest when built). */
    public final Map<String, Object> settings() {
        return Collections.unmodifiableMap(settings);
    }

    /** The option table behind this builder, with decoupled_weight_decay and no_decay where they apply. */
    public final OptionTable optionTable() {
        return table;
    }

    /** Sets the option named {@code name}, which the table must have (for the options every optimizer shares). */
    final B setNamed(String name, Object value) {
        Option<?> o = table.find(name);
        if (o == null) {
            throw new IllegalArgumentException(owner + " has no option " + name);
        }
        settings.put(name, o.cast(value));
        return self();
    }

    /** For optimizers that work on all parameters at once: refuses groups beyond the first, with their message. */
    protected final void requireSingleGroup(String name) {
        requireBuilder("build");
        if (!groups.isEmpty()) {
            throw new UsageException(name + " works on all parameters at once and takes a single parameter group, got "
                    + (groups.size() + 1));
        }
    }

    private List<ParamGroup> copies() {
        List<ParamGroup> out = new ArrayList<>();
        for (ParamGroup g : groups) {
            out.add(new ParamGroup(g.params(), g.options()));
        }
        return out;
    }

    private void requireBuilder(String what) {
        if (forGroup) {
            throw new IllegalStateException("a group's settings cannot " + what
                    + "; call it on the optimizer's builder");
        }
    }

    /**
     * A builder of an optimizer with weight_decay, which also takes Kobai's decoupled_weight_decay
     * and no_decay.
     */
    public abstract static class WithDecay<B extends WithDecay<B, O>, O extends Optimizer>
            extends OptimizerBuilder<B, O> {
        protected WithDecay(String owner, OptionTable table, Supplier<B> fresh,
                            BiFunction<Map<String, Object>, List<ParamGroup>, O> create) {
            super(owner, table, fresh, create);
        }

        /**
         * Kobai's decoupled_weight_decay (default false; AdamW's is true and must stay so): decay as
         * p = p (1 - lr wd) before the update instead of g += wd p.
         */
        public final B decoupledWeightDecay(boolean value) {
            return setNamed(Optimizer.DECOUPLED, value);
        }

        /**
         * Kobai's no_decay (default none): parameters spared weight decay, each matching a
         * parameter's dotted name or one of its components ({@code noDecay("bias")}).
         */
        public final B noDecay(String... names) {
            return setNamed(Optimizer.NO_DECAY, String.join("/", names));
        }
    }

    /**
     * A builder of the Adam family (Adam, AdamW, Adamax, NAdam, RAdam), whose betas and eps are
     * the same options with the same defaults in each.
     */
    public abstract static class WithBetas<B extends WithBetas<B, O>, O extends Optimizer> extends WithDecay<B, O> {
        protected WithBetas(String owner, OptionTable table, Supplier<B> fresh,
                            BiFunction<Map<String, Object>, List<ParamGroup>, O> create) {
            super(owner, table, fresh, create);
        }

        /**
         * Sets torch's {@code betas}: the decay rates of the averages of the gradient and its square;
         * default (0.9, 0.999).
         */
        public final B betas(double beta1, double beta2) {
            return set(Adam.BETAS, new double[] {beta1, beta2});
        }

        /** Sets torch's {@code eps}: term added to the denominator for numerical stability; default 1e-8. */
        public final B eps(double value) {
            return set(Adam.EPS, value);
        }
    }
}
