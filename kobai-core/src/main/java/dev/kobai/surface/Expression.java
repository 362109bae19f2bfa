package dev.kobai.surface;

import dev.kobai.UsageException;
import dev.kobai.surface.Surface.Domain;
import dev.kobai.surface.Surface.Point;
import dev.kobai.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A surface typed as a formula in x and y, such as {@code x^2 + 10*y^2} or
 * {@code sin(x)*cos(y) + 0.1*(x^2+y^2)}, compiled into a postfix program that evaluates with
 * {@link Tensor} operations, so that autograd gives its gradient and Hessian.
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
 * expression (or, for a long one, the part around the fault) with a caret under the column at fault.
 *
 * <p>Neither parsing nor evaluation recurses: the parser is an operator-precedence (shunting-yard)
 * loop with explicit stacks, and the program runs on a value stack, so formulas of any length and
 * nesting (a sum of 100,000 terms, sin(sin(...)) 100,000 deep) work in the same stack space as
 * {@code x^2}; memory grows with the formula's length only.
 */
public final class Expression {
    /** The window drawn and the start used when an expression surface is given nothing else. */
    public static final Domain DEFAULT_DOMAIN = new Domain(-2, 2, -2, 2);
    public static final Point DEFAULT_START = new Point(-1.5, 1.5);

    /** The prefix that marks an expression where a surface name is expected. */
    public static final String PREFIX = "expr:";

    private static final List<String> FUNCTIONS = List.of("sin", "cos", "exp", "log", "sqrt", "abs");

    /** How much of a long expression an error shows on either side of the column at fault. */
    private static final int SHOWN_AROUND = 40;

    private final String text;
    private final Op[] program;
    private final int depth;

    private Expression(String text, Op[] program, int depth) {
        this.text = text;
        this.program = program;
        this.depth = depth;
    }

    /** Parses {@code text}; throws a {@link UsageException} pointing at the first error. */
    public static Expression parse(String text) {
        if (text == null) {
            throw new UsageException("empty expression");
        }
        Parser p = new Parser(text);
        p.parseAll();
        return new Expression(text, p.program.toArray(Op[]::new), p.maxDepth);
    }

    /** The expression as typed. */
    public String text() {
        return text;
    }

    /** f at x and y, tensors of one shape (or 1-element slices of a point). */
    public Tensor evaluate(Tensor x, Tensor y) {
        Value[] stack = new Value[depth];
        int sp = 0;
        for (Op op : program) {
            switch (op.kind()) {
                case NUMBER -> stack[sp++] = Value.of(op.number());
                case X -> stack[sp++] = Value.of(x);
                case Y -> stack[sp++] = Value.of(y);
                case NEGATE -> stack[sp - 1] = negate(stack[sp - 1]);
                case CALL -> stack[sp - 1] = call(op.function(), stack[sp - 1]);
                case BINARY -> {
                    sp--;
                    stack[sp - 1] = binary(op.operator(), stack[sp - 1], stack[sp]);
                }
            }
        }
        Value v = stack[0];
        return v.tensor != null ? v.tensor : x.mul(0).add(v.number);
    }

    /** f at (x, y) in plain doubles, without building tensors (for drawing contours). */
    public double evaluate(double x, double y) {
        double[] stack = new double[depth];
        int sp = 0;
        for (Op op : program) {
            switch (op.kind()) {
                case NUMBER -> stack[sp++] = op.number();
                case X -> stack[sp++] = x;
                case Y -> stack[sp++] = y;
                case NEGATE -> stack[sp - 1] = -stack[sp - 1];
                case CALL -> stack[sp - 1] = apply(op.function(), stack[sp - 1]);
                case BINARY -> {
                    sp--;
                    stack[sp - 1] = apply(op.operator(), stack[sp - 1], stack[sp]);
                }
            }
        }
        return stack[0];
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

    private enum Kind { NUMBER, X, Y, NEGATE, BINARY, CALL }

    /**
     * One instruction of the postfix program: push a number, x or y; or replace the top value by
     * its negation or a function of it; or the top two by an operator applied to them.
     */
    private record Op(Kind kind, double number, char operator, String function) {
        static Op number(double v) {
            return new Op(Kind.NUMBER, v, ' ', null);
        }

        static Op of(Kind kind) {
            return new Op(kind, Double.NaN, ' ', null);
        }

        static Op binary(char operator) {
            return new Op(Kind.BINARY, Double.NaN, operator, null);
        }

        static Op call(String function) {
            return new Op(Kind.CALL, Double.NaN, ' ', function);
        }
    }

    private static Value negate(Value v) {
        return v.tensor == null ? Value.of(-v.number) : Value.of(v.tensor.neg());
    }

    private static Value binary(char op, Value a, Value b) {
        if (a.tensor == null && b.tensor == null) {
            return Value.of(apply(op, a.number, b.number));
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

    private static double apply(char op, double a, double b) {
        return switch (op) {
            case '+' -> a + b;
            case '-' -> a - b;
            case '*' -> a * b;
            case '/' -> a / b;
            case '^' -> Math.pow(a, b);
            default -> throw new IllegalStateException("operator " + op);
        };
    }

    private static Value call(String function, Value v) {
        if (v.tensor == null) {
            return Value.of(apply(function, v.number));
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

    private static double apply(String function, double a) {
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

    /**
     * One left-to-right pass (shunting-yard): operands go straight into the program, operators
     * wait on a stack until one that binds more loosely, a closing parenthesis or the end comes.
     * The state is whether an operand or an operator is expected next.
     */
    private static final class Parser {
        /** Binding strength: sums, products, unary minus, powers. */
        private static final int SUM = 1;
        private static final int PRODUCT = 2;
        private static final int UNARY = 3;
        private static final int POWER = 4;

        /** An operator or an open parenthesis waiting on the stack; a function call is a parenthesis that names one. */
        private record Pending(char op, int strength, int column, String function) {
            boolean isParenthesis() {
                return op == '(';
            }
        }

        private final String s;
        private int pos;
        final List<Op> program = new ArrayList<>();
        /** Per value the program leaves on the stack, bottom first: whether it is a number (then its last instruction pushes it). */
        private boolean[] constant = new boolean[16];
        private int height;
        int maxDepth;
        private final List<Pending> pending = new ArrayList<>();

        Parser(String s) {
            this.s = s;
        }

        void parseAll() {
            skipBlanks();
            if (pos == s.length()) {
                throw error(pos, "empty expression");
            }
            boolean operand = true;
            while (true) {
                skipBlanks();
                if (operand) {
                    operand = operand();
                    continue;
                }
                if (pos == s.length()) {
                    break;
                }
                char c = s.charAt(pos);
                switch (c) {
                    case '+', '-' -> binary(c, SUM);
                    case '*', '/' -> binary(c, PRODUCT);
                    case '^' -> binary(c, POWER);
                    case ')' -> close();
                    default -> throw error(pos, openParenthesis() != null ? "expected ')'" : "unexpected '" + c + "'");
                }
                operand = c != ')';
            }
            while (!pending.isEmpty()) {
                Pending p = pending.removeLast();
                if (p.isParenthesis()) {
                    // the innermost parenthesis left open, as the stack pops it first
                    throw error(p.column(), "'(' is never closed");
                }
                emit(p);
            }
        }

        /** Reads what may stand where an operand is expected; true if an operand is still expected after it. */
        private boolean operand() {
            if (pos == s.length()) {
                throw error(pos, "expression ends too early: expected a number, x, y, a function or '('");
            }
            char c = s.charAt(pos);
            if (c == '-') {
                pos++;
                pending.add(new Pending('u', UNARY, pos - 1, null));
                return true;
            }
            if (c == '+') {
                pos++; // unary plus changes nothing
                return true;
            }
            if (c == '(') {
                pending.add(new Pending('(', 0, pos++, null));
                return true;
            }
            if (Character.isDigit(c) || c == '.') {
                push(Op.number(number()), true);
                return false;
            }
            if (Character.isLetter(c)) {
                int start = pos;
                while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                    pos++;
                }
                String word = s.substring(start, pos).toLowerCase(Locale.ROOT);
                switch (word) {
                    case "x" -> push(Op.of(Kind.X), false);
                    case "y" -> push(Op.of(Kind.Y), false);
                    case "pi" -> push(Op.number(Math.PI), true);
                    case "e" -> push(Op.number(Math.E), true);
                    default -> {
                        if (!FUNCTIONS.contains(word)) {
                            throw error(start, "unknown name '" + s.substring(start, pos) + "' (variables x and y,"
                                    + " constants pi and e, functions " + String.join(", ", FUNCTIONS) + ")");
                        }
                        skipBlanks();
                        if (pos == s.length() || s.charAt(pos) != '(') {
                            throw error(pos, "expected '(' after " + word);
                        }
                        pending.add(new Pending('(', 0, pos++, word));
                        return true;
                    }
                }
                return false;
            }
            throw error(pos, "unexpected '" + c + "': expected a number, x, y, a function or '('");
        }

        /** A binary operator: first the waiting ones that bind at least as tightly (more tightly, for right-associative ^). */
        private void binary(char op, int strength) {
            while (!pending.isEmpty()) {
                Pending top = pending.getLast();
                if (top.isParenthesis() || top.strength() < strength || (top.strength() == strength && op == '^')) {
                    break;
                }
                emit(pending.removeLast());
            }
            pending.add(new Pending(op, strength, pos++, null));
        }

        /** A closing parenthesis: everything back to the matching '(', then the function it names. */
        private void close() {
            while (!pending.isEmpty() && !pending.getLast().isParenthesis()) {
                emit(pending.removeLast());
            }
            if (pending.isEmpty()) {
                throw error(pos, "unmatched ')'");
            }
            Pending open = pending.removeLast();
            if (open.function() != null) {
                operate(Op.call(open.function()), 1);
            }
            pos++;
        }

        private Pending openParenthesis() {
            for (int i = pending.size() - 1; i >= 0; i--) {
                if (pending.get(i).isParenthesis()) {
                    return pending.get(i);
                }
            }
            return null;
        }

        private void emit(Pending p) {
            if (p.op() == 'u') {
                operate(Op.of(Kind.NEGATE), 1);
            } else {
                operate(Op.binary(p.op()), 2);
            }
        }

        private void push(Op op, boolean isNumber) {
            program.add(op);
            if (height == constant.length) {
                constant = Arrays.copyOf(constant, 2 * height);
            }
            constant[height++] = isNumber;
            maxDepth = Math.max(maxDepth, height);
        }

        /**
         * Appends an operation on the top {@code arity} values; when they are all numbers, the
         * instructions that pushed them (the last {@code arity} ones) become the one number they give.
         */
        private void operate(Op op, int arity) {
            boolean folds = true;
            for (int k = 1; k <= arity; k++) {
                folds &= constant[height - k];
            }
            height -= arity;
            if (!folds) {
                program.add(op);
                constant[height++] = false;
                return;
            }
            double b = program.removeLast().number();
            double v = switch (op.kind()) {
                case NEGATE -> -b;
                case CALL -> Expression.apply(op.function(), b);
                default -> Expression.apply(op.operator(), program.removeLast().number(), b);
            };
            push(Op.number(v), true);
        }

        private double number() {
            int start = pos;
            while (pos < s.length() && (Character.isDigit(s.charAt(pos)) || s.charAt(pos) == '.')) {
                pos++;
            }
            // An exponent: 'e', an optional sign, digits. 'e' after a number with no digits to follow
            // ("2e", "2e+") is a mistake, not 2 times e, which is written 2*e.
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                int p = pos + 1;
                if (p < s.length() && (s.charAt(p) == '+' || s.charAt(p) == '-')) {
                    p++;
                }
                if (p == s.length() || !Character.isDigit(s.charAt(p))) {
                    throw error(start, "bad number '" + s.substring(start, p) + "': no digits after its exponent's"
                            + " 'e' (for a number times e, write " + s.substring(start, pos) + "*e)");
                }
                pos = p;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                    pos++;
                }
            }
            String literal = s.substring(start, pos);
            try {
                return Double.parseDouble(literal);
            } catch (NumberFormatException e) {
                throw error(start, "bad number '" + literal + "'");
            }
        }

        private void skipBlanks() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private UsageException error(int column, String message) {
            return new UsageException("bad expression at column " + (column + 1) + ": " + message + "\n"
                    + pointer(s, column));
        }
    }

    /**
     * Two lines, each indented by two spaces: the expression, or for a long one the part around
     * {@code column} with "..." where it is cut, with control characters shown escaped; and a caret
     * under the column.
     */
    static String pointer(String s, int column) {
        int from = 0;
        int to = s.length();
        if (s.length() > 2 * SHOWN_AROUND + 10) {
            from = Math.max(0, column - SHOWN_AROUND);
            to = Math.min(s.length(), column + SHOWN_AROUND);
        }
        StringBuilder line = new StringBuilder(from > 0 ? "..." : "");
        int caret = -1;
        for (int i = from; i < to; i++) {
            if (i == column) {
                caret = line.length();
            }
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                line.append(c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : String.format("\\u%04x", (int) c));
            } else {
                line.append(c);
            }
        }
        if (caret < 0) {
            caret = line.length();
        }
        if (to < s.length()) {
            line.append("...");
        }
        return "  " + line + "\n  " + " ".repeat(caret) + "^";
    }
}
