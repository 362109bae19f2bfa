package dev.kobai.surface;

import dev.kobai.UsageException;
import dev.kobai.surface.Surface.Domain;
import dev.kobai.surface.Surface.Point;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.Locale;

/**
 * A surface typed as a formula in x and y, such as {@code x^2 + 10*y^2} or
 * {@code sin(x)*cos(y) + 0.1*(x^2+y^2)}, read by a small recursive-descent parser into a tree that
 * evaluates with {@link Tensor} operations, so that autograd gives its gradient and Hessian.
 *
 * <p>Grammar, loosest binding first ({@code ^} binds tighter than unary minus, so {@code -x^2} is
 * {@code -(x^2)}, and is right-associative, so {@code 2^3^2} is {@code 2^(3^2)}):
 * <pre>
 * sum     = product { ("+" | "-") product }
 * product = unary { ("*" | "/") unary }
 * unary   = ("-" | "+") unary | power
 * power   = atom [ "^" unary ]
 * atom    = number | "x" | "y" | "pi" | "e" | function "(" sum ")" | "(" sum ")"
 * </pre>
 * The functions are sin, cos, exp, log, sqrt and abs. Parts without x or y are folded to numbers
 * when parsed. A mistake is reported as a {@link UsageException} whose message repeats the
 * expression with a caret under the column at fault.
 */
public final class Expression {
    /** The window drawn and the start used when an expression surface is given nothing else. */
    public static final Domain DEFAULT_DOMAIN = new Domain(-2, 2, -2, 2);
    public static final Point DEFAULT_START = new Point(-1.5, 1.5);

    /** The prefix that marks an expression where a surface name is expected. */
    public static final String PREFIX = "expr:";

    private static final List<String> FUNCTIONS = List.of("sin", "cos", "exp", "log", "sqrt", "abs");

    private final String text;
    private final Node root;

    private Expression(String text, Node root) {
        this.text = text;
        this.root = root;
    }

    /** Parses {@code text}; throws a {@link UsageException} pointing at the first error. */
    public static Expression parse(String text) {
        if (text == null) {
            throw new UsageException("empty expression");
        }
        return new Expression(text, new Parser(text).parseAll());
    }

    /** The expression as typed. */
    public String text() {
        return text;
    }

    /** f at x and y, tensors of one shape (or 1-element slices of a point). */
    public Tensor evaluate(Tensor x, Tensor y) {
        Value v = root.eval(x, y);
        return v.tensor != null ? v.tensor : x.mul(0).add(v.number);
    }

    /** f at (x, y) in plain doubles, without building tensors (for drawing contours). */
    public double evaluate(double x, double y) {
        return root.eval(x, y);
    }

    /**
     * The expression as a surface named {@code expr:TEXT}, drawn over {@code domain} and started
     * at {@code start} (each replaced by the default when null); it has no known minima.
     */
    public Surface toSurface(Domain domain, Point start) {
        Domain d = domain != null ? domain : DEFAULT_DOMAIN;
        Point s = start != null ? start : DEFAULT_START;
        Expression self = this;
        return new Surface() {
            @Override
            public String name() {
                return PREFIX + text;
            }

            @Override
            public String formula() {
                return text;
            }

            @Override
            public Tensor value(Tensor xy) {
                Surface.requirePoint(xy);
                return self.evaluate(xy.slice(0, 0, 1), xy.slice(0, 1, 2)).reshape();
            }

            @Override
            public double value(double x, double y) {
                return self.evaluate(x, y);
            }

            @Override
            public List<Point> minima() {
                return List.of();
            }

            @Override
            public double minimumValue() {
                return Double.NaN;
            }

            @Override
            public Domain domain() {
                return d;
            }

            @Override
            public Point start() {
                return s;
            }

            @Override
            public String toString() {
                return name();
            }
        };
    }

    /** A number, or a tensor when the value depends on x or y. */
    private record Value(double number, Tensor tensor) {
        static Value of(double v) {
            return new Value(v, null);
        }

        static Value of(Tensor t) {
            return new Value(Double.NaN, t);
        }
    }

    private sealed interface Node permits Num, Var, Unary, Binary, Call {
        Value eval(Tensor x, Tensor y);

        double eval(double x, double y);
    }

    private record Num(double v) implements Node {
        public Value eval(Tensor x, Tensor y) {
            return Value.of(v);
        }

        public double eval(double x, double y) {
            return v;
        }
    }

    private record Var(boolean isX) implements Node {
        public Value eval(Tensor x, Tensor y) {
            return Value.of(isX ? x : y);
        }

        public double eval(double x, double y) {
            return isX ? x : y;
        }
    }

    private record Unary(Node operand) implements Node {
        public Value eval(Tensor x, Tensor y) {
            Value v = operand.eval(x, y);
            return v.tensor == null ? Value.of(-v.number) : Value.of(v.tensor.neg());
        }

        public double eval(double x, double y) {
            return -operand.eval(x, y);
        }
    }

    private record Binary(char op, Node left, Node right) implements Node {
        public Value eval(Tensor x, Tensor y) {
            Value a = left.eval(x, y);
            Value b = right.eval(x, y);
            if (a.tensor == null && b.tensor == null) {
                return Value.of(apply(a.number, b.number));
            }
            return Value.of(switch (op) {
                case '+' -> a.tensor == null ? b.tensor.add(a.number)
                        : b.tensor == null ? a.tensor.add(b.number) : a.tensor.add(b.tensor);
                case '-' -> a.tensor == null ? b.tensor.rsub(a.number)
                        : b.tensor == null ? a.tensor.sub(b.number) : a.tensor.sub(b.tensor);
                case '*' -> a.tensor == null ? b.tensor.mul(a.number)
                        : b.tensor == null ? a.tensor.mul(b.number) : a.tensor.mul(b.tensor);
                case '/' -> a.tensor == null ? b.tensor.pow(-1).mul(a.number)
                        : b.tensor == null ? a.tensor.div(b.number) : a.tensor.div(b.tensor);
                case '^' -> b.tensor == null ? a.tensor.pow(b.number)
                        // c^t = exp(t log c); t^u = exp(u log t), defined where t > 0.
                        : a.tensor == null ? b.tensor.mul(Math.log(a.number)).exp()
                        : a.tensor.log().mul(b.tensor).exp();
                default -> throw new IllegalStateException("operator " + op);
            });
        }

        public double eval(double x, double y) {
            return apply(left.eval(x, y), right.eval(x, y));
        }

        private double apply(double a, double b) {
            return switch (op) {
                case '+' -> a + b;
                case '-' -> a - b;
                case '*' -> a * b;
                case '/' -> a / b;
                case '^' -> Math.pow(a, b);
                default -> throw new IllegalStateException("operator " + op);
            };
        }
    }

    private record Call(String function, Node argument) implements Node {
        public Value eval(Tensor x, Tensor y) {
            Value v = argument.eval(x, y);
            if (v.tensor == null) {
                return Value.of(apply(v.number));
            }
            Tensor t = v.tensor;
            return Value.of(switch (function) {
                case "sin" -> t.sin();
                case "cos" -> t.cos();
                case "exp" -> t.exp();
                case "log" -> t.log();
                case "sqrt" -> t.sqrt();
                case "abs" -> t.abs();
                default -> throw new IllegalStateException("function " + function);
            });
        }

        public double eval(double x, double y) {
            return apply(argument.eval(x, y));
        }

        private double apply(double a) {
            return switch (function) {
                case "sin" -> Math.sin(a);
                case "cos" -> Math.cos(a);
                case "exp" -> Math.exp(a);
                case "log" -> Math.log(a);
                case "sqrt" -> Math.sqrt(a);
                case "abs" -> Math.abs(a);
                default -> throw new IllegalStateException("function " + function);
            };
        }
    }

    /** One pass over the text with one character of look-ahead after blanks. */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        Node parseAll() {
            skipBlanks();
            if (pos == s.length()) {
                throw error(pos, "empty expression");
            }
            Node n = sum();
            skipBlanks();
            if (pos < s.length()) {
                char c = s.charAt(pos);
                throw error(pos, c == ')' ? "unmatched ')'" : "unexpected '" + c + "'");
            }
            return n;
        }

        private Node sum() {
            Node n = product();
            while (true) {
                skipBlanks();
                if (eat('+')) {
                    n = fold(new Binary('+', n, product()));
                } else if (eat('-')) {
                    n = fold(new Binary('-', n, product()));
                } else {
                    return n;
                }
            }
        }

        private Node product() {
            Node n = unary();
            while (true) {
                skipBlanks();
                if (eat('*')) {
                    n = fold(new Binary('*', n, unary()));
                } else if (eat('/')) {
                    n = fold(new Binary('/', n, unary()));
                } else {
                    return n;
                }
            }
        }

        private Node unary() {
            skipBlanks();
            if (eat('-')) {
                return fold(new Unary(unary()));
            }
            if (eat('+')) {
                return unary();
            }
            return power();
        }

        private Node power() {
            Node base = atom();
            skipBlanks();
            if (eat('^')) {
                return fold(new Binary('^', base, unary()));
            }
            return base;
        }

        private Node atom() {
            skipBlanks();
            if (pos == s.length()) {
                throw error(pos, "expression ends too early: expected a number, x, y, a function or '('");
            }
            char c = s.charAt(pos);
            if (c == '(') {
                int open = pos++;
                Node inner = sum();
                skipBlanks();
                if (!eat(')')) {
                    throw error(pos == s.length() ? open : pos,
                            pos == s.length() ? "'(' is never closed" : "expected ')'");
                }
                return inner;
            }
            if (Character.isDigit(c) || c == '.') {
                return number();
            }
            if (Character.isLetter(c)) {
                int start = pos;
                while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                    pos++;
                }
                String word = s.substring(start, pos).toLowerCase(Locale.ROOT);
                switch (word) {
                    case "x":
                        return new Var(true);
                    case "y":
                        return new Var(false);
                    case "pi":
                        return new Num(Math.PI);
                    case "e":
                        return new Num(Math.E);
                    default:
                        break;
                }
                if (!FUNCTIONS.contains(word)) {
                    throw error(start, "unknown name '" + s.substring(start, pos) + "' (variables x and y, constants pi"
                            + " and e, functions " + String.join(", ", FUNCTIONS) + ")");
                }
                skipBlanks();
                if (!eat('(')) {
                    throw error(pos, "expected '(' after " + word);
                }
                int open = pos - 1;
                Node arg = sum();
                skipBlanks();
                if (!eat(')')) {
                    throw error(pos == s.length() ? open : pos,
                            pos == s.length() ? "'(' is never closed" : "expected ')'");
                }
                return fold(new Call(word, arg));
            }
            throw error(pos, "unexpected '" + c + "': expected a number, x, y, a function or '('");
        }

        private Node number() {
            int start = pos;
            while (pos < s.length() && (Character.isDigit(s.charAt(pos)) || s.charAt(pos) == '.')) {
                pos++;
            }
            // An exponent, as in 1e-3, only when digits follow; otherwise 'e' is left for the caller.
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                int p = pos + 1;
                if (p < s.length() && (s.charAt(p) == '+' || s.charAt(p) == '-')) {
                    p++;
                }
                if (p < s.length() && Character.isDigit(s.charAt(p))) {
                    pos = p;
                    while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                        pos++;
                    }
                }
            }
            String literal = s.substring(start, pos);
            try {
                return new Num(Double.parseDouble(literal));
            } catch (NumberFormatException e) {
                throw error(start, "bad number '" + literal + "'");
            }
        }

        /** Folds a node whose operands are all numbers into a number. */
        private static Node fold(Node n) {
            boolean constant = switch (n) {
                case Unary u -> u.operand() instanceof Num;
                case Binary b -> b.left() instanceof Num && b.right() instanceof Num;
                case Call c -> c.argument() instanceof Num;
                default -> false;
            };
            return constant ? new Num(n.eval(0, 0)) : n;
        }

        private boolean eat(char c) {
            if (pos < s.length() && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private void skipBlanks() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private UsageException error(int column, String message) {
            return new UsageException("bad expression at column " + (column + 1) + ": " + message + "\n  " + s
                    + "\n  " + " ".repeat(column) + "^");
        }
    }
}
