package dev.kobai.optim;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The builders' typed setters found by reflection, for the tests that check one setter per option:
 * a setter is named after torch's argument in camelCase ({@code weight_decay} -> {@code weightDecay},
 * {@code T_max} -> {@code tMax}) and takes the option's value as Java types it.
 */
public final class Setters {
    private Setters() {}

    /** torch's name in camelCase, as the setter is named. */
    public static String camel(String name) {
        String[] parts = name.split("_");
        StringBuilder sb = new StringBuilder(parts[0].toLowerCase(Locale.ROOT));
        for (int i = 1; i < parts.length; i++) {
            sb.append(parts[i].substring(0, 1).toUpperCase(Locale.ROOT)).append(parts[i].substring(1));
        }
        return sb.toString();
    }

    /** The names of the public instance methods of {@code builder} that return a builder of {@code kind}. */
    public static Set<String> of(Object builder, Class<?> kind, Set<String> except) {
        Set<String> out = new TreeSet<>();
        for (Method m : builder.getClass().getMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
                    && kind.isAssignableFrom(m.getReturnType()) && !except.contains(m.getName())) {
                out.add(m.getName());
            }
        }
        return out;
    }

    /**
     * Calls the setter named after {@code o} (never the generic {@code set}), so that a missing or
     * misnamed one fails, and checks that it returns its builder: pairs as two doubles, lists as
     * varargs, no_decay's names split at '/'.
     */
    public static void call(Object builder, Option<?> o, Object value) {
        String name = camel(o.name());
        Class<?> c = builder.getClass();
        Object returned;
        try {
            returned = switch (o.kind()) {
                case NUMBER -> c.getMethod(name, double.class).invoke(builder, value);
                case INTEGER -> c.getMethod(name, int.class).invoke(builder, value);
                case BOOLEAN -> c.getMethod(name, boolean.class).invoke(builder, value);
                case PAIR -> c.getMethod(name, double.class, double.class).invoke(builder, ((double[]) value)[0],
                        ((double[]) value)[1]);
                case STRING -> o.name().equals(Optimizer.NO_DECAY)
                        ? c.getMethod(name, String[].class).invoke(builder, (Object) ((String) value).split("/"))
                        : c.getMethod(name, String.class).invoke(builder, value);
                case INTEGERS -> c.getMethod(name, int[].class).invoke(builder, value);
                case NUMBERS -> c.getMethod(name, double[].class).invoke(builder, value);
            };
        } catch (NoSuchMethodException e) {
            throw new AssertionError(c.getName() + " has no setter " + name + " for option " + o.name());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        // Setters chain: each returns the builder it was called on.
        if (returned != builder) {
            throw new AssertionError(c.getSimpleName() + "." + name + " returned " + returned + ", not its builder");
        }
    }
}
