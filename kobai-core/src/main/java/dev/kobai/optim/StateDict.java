package dev.kobai.optim;

import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An optimizer's saved state: its hyperparameters per group and each parameter's state, keyed by
 * parameter name. Values are tensors (copied, detached), numbers, booleans, strings, double,
 * int and long arrays (a generator's state), or lists of those (L-BFGS keeps histories).
 *
 * @param optimizer the optimizer's class name, checked on load
 * @param groups    per group: the names of its parameters and its options
 * @param state     per parameter name: its state entries
 */
public record StateDict(String optimizer, List<Group> groups, Map<String, Map<String, Object>> state) {
    /** One parameter group as saved. */
    public record Group(List<String> params, Map<String, Object> options) {
        public Group {
            params = List.copyOf(params);
            options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        }
    }

    public StateDict {
        groups = List.copyOf(groups);
        state = Collections.unmodifiableMap(new LinkedHashMap<>(state));
    }

    /** A copy in which every tensor is a fresh detached copy, so later steps cannot change it. */
    static Map<String, Object> deepCopy(Map<String, Object> in) {
        Map<String, Object> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, copyValue(v)));
        return out;
    }

    private static Object copyValue(Object v) {
        if (v instanceof Tensor t) {
            return t.copy();
        }
        if (v instanceof double[] a) {
            return a.clone();
        }
        if (v instanceof int[] a) {
            return a.clone();
        }
        if (v instanceof long[] a) {
            return a.clone();
        }
        if (v instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            for (Object o : list) {
                copy.add(copyValue(o));
            }
            return copy;
        }
        return v;
    }
}
