package dev.kobai.surface;

import dev.kobai.UsageException;
import dev.kobai.surface.Surface.Domain;
import dev.kobai.surface.Surface.Point;
import dev.kobai.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * The standard two-dimensional test surfaces, by name. Each formula is written once, as tensor
 * operations on x and y, in the same order of operations as tools/golden_common.py writes it for
 * PyTorch, so that golden trajectories agree to the last few bits.
 *
 * <p>Ackley's function has a cone tip at its minimum: sqrt(x^2+y^2) has no derivative at the
 * origin, and its autograd gradient there is NaN, as PyTorch's is.
 */
public final class Surfaces {
    private static final Map<String, Surface> REGISTRY = new LinkedHashMap<>();

    static {
        add("rosenbrock", "(1-x)^2 + 100(y-x^2)^2",
                (x, y) -> x.rsub(1).square().add(y.sub(x.square()).square().mul(100)),
                List.of(new Point(1, 1)), 0, new Domain(-2, 2, -1, 3), new Point(-1.2, 1));
        add("beale", "(1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2",
                (x, y) -> x.rsub(1.5).add(x.mul(y)).square()
                        .add(x.rsub(2.25).add(x.mul(y.square())).square())
                        .add(x.rsub(2.625).add(x.mul(y.pow(3))).square()),
                List.of(new Point(3, 0.5)), 0, new Domain(-4.5, 4.5, -4.5, 4.5), new Point(1, 1.5));
        add("himmelblau", "(x^2+y-11)^2 + (x+y^2-7)^2",
                (x, y) -> x.square().add(y).sub(11).square().add(x.add(y.square()).sub(7).square()),
                List.of(new Point(3, 2),
                        new Point(-2.805118086952745, 3.131312518250573),
                        new Point(-3.779310253377747, -3.2831859912861696),
                        new Point(3.5844283403304917, -1.8481265269644034)),
                0, new Domain(-5, 5, -5, 5), new Point(-0.27, -0.9));
        add("booth", "(x+2y-7)^2 + (2x+y-5)^2",
                (x, y) -> x.add(y.mul(2)).sub(7).square().add(x.mul(2).add(y).sub(5).square()),
                List.of(new Point(1, 3)), 0, new Domain(-10, 10, -10, 10), new Point(-6, 8));
        add("saddle", "x^2 - y^2",
                (x, y) -> x.square().sub(y.square()),
                List.of(), Double.NEGATIVE_INFINITY, new Domain(-2, 2, -2, 2), new Point(-1.5, 1e-3));
        add("monkey-saddle", "x^3 - 3xy^2",
                (x, y) -> x.pow(3).sub(x.mul(3).mul(y.square())),
                List.of(), Double.NEGATIVE_INFINITY, new Domain(-2, 2, -2, 2), new Point(1, 1e-3));
        add("rastrigin", "20 + x^2 - 10cos(2 pi x) + y^2 - 10cos(2 pi y)",
                (x, y) -> x.square().add(20).sub(x.mul(2 * Math.PI).cos().mul(10))
                        .add(y.square()).sub(y.mul(2 * Math.PI).cos().mul(10)),
                List.of(new Point(0, 0)), 0, new Domain(-5.12, 5.12, -5.12, 5.12), new Point(-2, 3.5));
        add("ackley", "-20 exp(-0.2 sqrt(0.5(x^2+y^2))) - exp(0.5(cos 2 pi x + cos 2 pi y)) + e + 20",
                (x, y) -> x.square().add(y.square()).mul(0.5).sqrt().mul(-0.2).exp().mul(-20)
                        .sub(x.mul(2 * Math.PI).cos().add(y.mul(2 * Math.PI).cos()).mul(0.5).exp())
                        .add(Math.E).add(20),
                List.of(new Point(0, 0)), 0, new Domain(-5, 5, -5, 5), new Point(-3.5, 3));
        add("goldstein-price",
                "[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]"
                        + " [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]",
                (x, y) -> {
                    Tensor xy = x.mul(y);
                    Tensor a = x.add(y).add(1).square().mul(x.mul(14).rsub(19).add(x.square().mul(3))
                            .sub(y.mul(14)).add(xy.mul(6)).add(y.square().mul(3))).add(1);
                    Tensor b = x.mul(2).sub(y.mul(3)).square().mul(x.mul(32).rsub(18).add(x.square().mul(12))
                            .add(y.mul(48)).sub(xy.mul(36)).add(y.square().mul(27))).add(30);
                    return a.mul(b);
                },
                List.of(new Point(0, -1)), 3, new Domain(-2, 2, -2, 2), new Point(0.5, 1));
        add("long-valley", "0.5(x^2 + 100y^2)",
                (x, y) -> x.square().add(y.square().mul(100)).mul(0.5),
                List.of(new Point(0, 0)), 0, new Domain(-10, 10, -2, 2), new Point(-9, -1));
    }

    private Surfaces() {}

    /** A surface given by a formula in x and y, each a 1-element slice of the point. */
    private record Formula(String name, String formula, BinaryOperator<Tensor> f, List<Point> minima,
                           double minimumValue, Domain domain, Point start) implements Surface {
        @Override
        public Tensor value(Tensor xy) {
            Surface.requirePoint(xy);
            return f.apply(xy.slice(0, 0, 1), xy.slice(0, 1, 2)).reshape();
        }

        @Override
        public String toString() {
            return name + ": " + formula;
        }
    }

    private static void add(String name, String formula, BinaryOperator<Tensor> f, List<Point> minima,
                            double minimumValue, Domain domain, Point start) {
        REGISTRY.put(name, new Formula(name, formula, f, List.copyOf(minima), minimumValue, domain, start));
    }

    /** The names, in the order the documentation lists them. */
    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    /** Every surface, in the order of {@link #names()}. */
    public static List<Surface> all() {
        return List.copyOf(REGISTRY.values());
    }

    /**
     * The surface called {@code name} (case-insensitive), or, for {@code expr:FORMULA}, the
     * {@link Expression} FORMULA over its default domain; an unknown name lists the valid ones.
     */
    public static Surface byName(String name) {
        if (name != null && name.regionMatches(true, 0, Expression.PREFIX, 0, Expression.PREFIX.length())) {
            return Expression.parse(name.substring(Expression.PREFIX.length())).toSurface(null, null);
        }
        Surface s = name == null ? null : REGISTRY.get(name.trim().toLowerCase(Locale.ROOT));
        if (s == null) {
            throw new UsageException("unknown surface '" + name + "'; valid: " + String.join(", ", names())
                    + ", or expr:FORMULA in x and y");
        }
        return s;
    }
}
