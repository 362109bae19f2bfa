package dev.kobai.optim.scheduler;

import dev.kobai.UsageException;
import dev.kobai.optim.Option;
import dev.kobai.optim.OptionTable;
import dev.kobai.optim.Optimizer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

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

    protected SchedulerBuilder(String owner, OptionTable table) {
        this.owner = owner;
        this.table = table;
    }

    /** This builder as its concrete type. */
    protected abstract B self();

    /** Builds the scheduler from every argument (given or default; null for an optional one left out). */
    protected abstract S create(Map<String, Object> arguments, Optimizer optimizer);

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
        return create(Collections.unmodifiableMap(all), optimizer);
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
