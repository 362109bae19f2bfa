package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import dev.kobai.optim.Optimizer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The common part of the schedulers' typed builders ({@code StepLR.builder().stepSize(30).gamma(0.1)
 * .build(optimizer)}): values keyed by the scheduler's {@link Option} constants, whose table is also
 * the one the command line's spec ({@code steplr:step_size=30,gamma=0.1}) is parsed with, so both
 * get the same names and defaults; the scheduler's constructor checks the values, with the same
 * messages either way.
 *
 * @param <B> the concrete builder
 * @param <S> the scheduler it builds
 */
public abstract class SchedulerBuilder<B extends SchedulerBuilder<B, S>, S extends LRScheduler> {
    private final String owner;
    private final OptionTable table;
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final BiFunction<Map<String, Object>, Optimizer, S> create;

    /**
     * {@code owner} names the scheduler in messages, {@code table} holds its arguments, and
     * {@code create} builds it from every argument (given or default; null for an optional one left
     * out), as the spec parser does.
     */
    protected SchedulerBuilder(String owner, OptionTable table, BiFunction<Map<String, Object>, Optimizer, S> create) {
        this.owner = owner;
        this.table = table;
        this.create = create;
    }

    /** This builder as its concrete type (B is the class that extends this one). */
    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Sets an argument by its typed key, which must be one of this scheduler's. */
    public final <T> B set(Option<T> option, T value) {
        if (!table.contains(option)) {
            throw new IllegalArgumentException(owner + " has no argument " + option.name() + "; arguments: "
                    + table.describe());
        }
        values.put(option.name(), option.from(Map.of(option.name(), Objects.requireNonNull(value, option.name()))));
        return self();
    }

    /** Builds the scheduler over {@code optimizer} (which it steps once, as torch's constructor does). */
    public final S build(Optimizer optimizer) {
        Map<String, Object> all = new LinkedHashMap<>();
        for (Option<?> o : table.options()) {
            if (values.containsKey(o.name())) {
                all.put(o.name(), values.get(o.name()));
            } else if (o.required()) {
                throw new UsageException(owner + " needs " + o.name() + "; arguments: " + table.describe());
            } else {
                all.put(o.name(), o.defaultValue());
            }
        }
        return create.apply(Collections.unmodifiableMap(all), optimizer);
    }

    /** The table of this scheduler's arguments, the one its spec is parsed with. */
    public final OptionTable optionTable() {
        return table;
    }

    /** The arguments given so far, by torch's names. */
    public final Map<String, Object> values() {
        return Collections.unmodifiableMap(values);
    }
}
