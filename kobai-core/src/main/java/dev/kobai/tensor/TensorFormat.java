package dev.kobai.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@link Tensor#toString()} as torch 1.13 prints a tensor (torch/_tensor_str.py with its default
 * print options): one format for all elements, chosen from the non-zero finite values shown
 * (whole numbers as {@code 1.}; otherwise 4 decimals, or {@code 1.0000e-05} notation when the
 * largest is over 1e8 or 1000 times the smallest, or the smallest under 1e-4), right-aligned to
 * one width; rows nested and indented, wrapped at 80 columns; more than 1000 elements summarised
 * as the first and last 3 along each axis around {@code ...}; the dtype named when it is not the
 * default float32, then {@code grad_fn} or {@code requires_grad}.
 */
final class TensorFormat {
    /** Elements beyond which a tensor is summarised (torch's threshold). */
    static final int THRESHOLD = 1000;
    /** Elements kept at each end of a summarised axis (torch's edgeitems). */
    static final int EDGE = 3;
    static final int LINE_WIDTH = 80;
    private static final String PREFIX = "tensor(";

    private final Tensor t;
    private final boolean summarize;
    private boolean intMode = true;
    private boolean sciMode;
    private int width = 1;

    private TensorFormat(Tensor t) {
        this.t = t;
        this.summarize = t.numel() > THRESHOLD;
        List<Double> shown = new ArrayList<>();
        collect(0, 0, shown);
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        boolean any = false;
        for (double v : shown) {
            if (Double.isFinite(v) && v != 0) {
                any = true;
                min = Math.min(min, Math.abs(v));
                max = Math.max(max, Math.abs(v));
                intMode &= v == Math.ceil(v);
            }
        }
        if (!any) {
            return;
        }
        sciMode = max / min > 1000 || max > 1e8 || !intMode && min < 1e-4;
        for (double v : shown) {
            if (Double.isFinite(v) && v != 0) {
                String s = sciMode ? sci(v) : intMode ? String.format(Locale.ROOT, "%.0f", v) + "." : fixed(v);
                width = Math.max(width, s.length());
            }
        }
    }

    static String format(Tensor t) {
        StringBuilder sb = new StringBuilder(PREFIX);
        int[] shape = t.shape();
        if (t.numel() == 0) {
            sb.append("[]");
            if (shape.length != 1) {
                sb.append(", size=(");
                for (int i = 0; i < shape.length; i++) {
                    sb.append(i == 0 ? "" : ", ").append(shape[i]);
                }
                sb.append(shape.length == 1 ? ",)" : ")");
            }
        } else {
            TensorFormat f = new TensorFormat(t);
            if (shape.length == 0) {
                sb.append(f.element(t.getFlat(0)));
            } else {
                f.block(sb, 0, 0, PREFIX.length());
            }
        }
        if (t.dtype() != DType.FLOAT32) {
            sb.append(", dtype=").append(t.dtype());
        }
        if (t.gradFn() != null) {
            sb.append(", grad_fn=<").append(t.gradFn()).append('>');
        } else if (t.requiresGrad()) {
            sb.append(", requires_grad=True");
        }
        return sb.append(')').toString();
    }

    /** The indices shown along an axis of {@code n}: all, or the first and last EDGE with -1 for "...". */
    private int[] shownIndices(int n) {
        if (!summarize || n <= 2 * EDGE) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] out = new int[2 * EDGE + 1];
        for (int i = 0; i < EDGE; i++) {
            out[i] = i;
            out[EDGE + 1 + i] = n - EDGE + i;
        }
        out[EDGE] = -1;
        return out;
    }

    private int stride(int axis) {
        int s = 1;
        for (int a = axis + 1; a < t.rank(); a++) {
            s *= t.size(a);
        }
        return s;
    }

    private void collect(int axis, int offset, List<Double> out) {
        if (t.rank() == 0) {
            out.add(t.getFlat(0));
            return;
        }
        for (int i : shownIndices(t.size(axis))) {
            if (i < 0) {
                continue;
            }
            if (axis == t.rank() - 1) {
                out.add(t.getFlat(offset + i));
            } else {
                collect(axis + 1, offset + i * stride(axis), out);
            }
        }
    }

    private void block(StringBuilder sb, int axis, int offset, int indent) {
        int[] shown = shownIndices(t.size(axis));
        if (axis == t.rank() - 1) {
            int perLine = Math.max(1, (LINE_WIDTH - indent) / (width + 2));
            List<String> data = new ArrayList<>();
            for (int i : shown) {
                data.add(i < 0 ? " ..." : element(t.getFlat(offset + i)));
            }
            sb.append('[');
            for (int k = 0; k < data.size(); k++) {
                if (k > 0) {
                    sb.append(k % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
                }
                sb.append(data.get(k));
            }
            sb.append(']');
            return;
        }
        String separator = "," + "\n".repeat(t.rank() - axis - 1) + " ".repeat(indent + 1);
        sb.append('[');
        for (int k = 0; k < shown.length; k++) {
            if (k > 0) {
                sb.append(separator);
            }
            if (shown[k] < 0) {
                sb.append("...");
            } else {
                block(sb, axis + 1, offset + shown[k] * stride(axis), indent + 1);
            }
        }
        sb.append(']');
    }

    private String element(double v) {
        String s;
        if (Double.isNaN(v)) {
            s = "nan";
        } else if (Double.isInfinite(v)) {
            s = v > 0 ? "inf" : "-inf";
        } else if (sciMode) {
            s = sci(v);
        } else if (intMode) {
            s = String.format(Locale.ROOT, "%.0f", v) + ".";
        } else {
            s = fixed(v);
        }
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    private static String fixed(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%.4e", v);
    }
}
