package dev.kobai.cli;

import dev.kobai.KobaiException;
import dev.kobai.surface.Surface;
import dev.kobai.surface.Surface.Domain;
import dev.kobai.surface.Trace;
import dev.kobai.tensor.GradMode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws the frames of a race with Java2D: the surface as filled contour bands on a log-scaled
 * colour map with a darker line between bands, the axes with ticks, the known minima as stars,
 * and for each runner its path up to the frame's step, its current point and a legend entry with
 * its settings and its value. The background is drawn once; each frame copies it and adds the paths.
 */
final class RaceRenderer {
    /** Distinct, saturated colours that stand out on the pale colour map, one per runner. */
    static final Color[] RUNNER_COLOURS = {
        new Color(0xD62728), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0x1F77B4),
        new Color(0x9467BD), new Color(0xE377C2), new Color(0x8C564B), new Color(0x111111),
        new Color(0xBCBD22), new Color(0x17BECF), new Color(0x7F7F7F), new Color(0x393B79),
    };

    /** Anchors of the colour map, from the lowest value (pale cream) to the highest (slate blue). */
    private static final int[] RAMP = {0xFFFDE8, 0xEAF4D3, 0xCBE8CC, 0xA9D8D3, 0x8DBFD6, 0x7DA2CC, 0x7487BC};
    private static final int BANDS = 18;
    private static final Color TEXT = new Color(0x222222);
    private static final Color GRID_TEXT = new Color(0x444444);
    private static final Color PANEL = Color.WHITE;
    /** Kept for paths that turned NaN or infinite; one that merely left the window is told in GRID_TEXT. */
    private static final Color DIVERGED = new Color(0xB00020);

    /** One optimizer's run: its legend name, its spec, its colour and its path. */
    record Runner(String label, String spec, Color colour, List<Trace.Sample> path) {
        /**
         * The first step whose point is not finite or lies outside {@code domain}, or -1 when the
         * whole path stays inside.
         */
        int leftAt(Domain domain) {
            for (Trace.Sample s : path) {
                if (!Double.isFinite(s.x()) || !Double.isFinite(s.y()) || !domain.contains(
                        new Surface.Point(s.x(), s.y()))) {
                    return s.step();
                }
            }
            return -1;
        }

        /** The first step whose point or value is NaN or infinite, or -1 when there is none. */
        int divergedAt() {
            for (Trace.Sample s : path) {
                if (!Double.isFinite(s.x()) || !Double.isFinite(s.y()) || !Double.isFinite(s.loss())) {
                    return s.step();
                }
            }
            return -1;
        }

        /**
         * What became of a path that is not drawn to its end, or "" for one that stays inside: on an
         * unbounded surface an optimizer may leave the window with every number finite, which is not
         * divergence, so only NaN or infinity is called "diverged". For example
         * {@code left the plot at step 12}, {@code diverged at step 7 (NaN or infinite)} or
         * {@code left the plot at step 12, NaN or infinite from step 40}.
         */
        String fate(Domain domain) {
            int left = leftAt(domain);
            int diverged = divergedAt();
            if (left < 0) {
                return "";
            }
            if (diverged == left) {
                return "diverged at step " + left + " (NaN or infinite)";
            }
            return "left the plot at step " + left + (diverged < 0 ? "" : ", NaN or infinite from step " + diverged);
        }
    }

    private final Surface surface;
    private final Domain domain;
    private final List<Runner> runners;
    private final int width;
    private final int height;
    private final int trail;
    private final int[] leftAt;
    private final int[] divergedAt;
    private final int plotLeft;
    private final int plotTop;
    private final int plotWidth;
    private final int plotHeight;
    private final int panelLeft;
    private final Font font;
    private final Font bold;
    private final Font small;
    private final List<Integer> bandColours = new ArrayList<>();
    private final BufferedImage background;
    private final int lastStep;

    /**
     * @param trail how many of the latest steps to draw, fading with age; 0 draws the whole path
     */
    RaceRenderer(Surface surface, Domain domain, List<Runner> runners, int width, int height, int trail) {
        this.surface = surface;
        this.domain = domain;
        this.runners = List.copyOf(runners);
        this.width = width;
        this.height = height;
        this.trail = trail;
        this.leftAt = runners.stream().mapToInt(r -> r.leftAt(domain)).toArray();
        this.divergedAt = runners.stream().mapToInt(Runner::divergedAt).toArray();
        this.lastStep = runners.stream().mapToInt(r -> r.path().size() - 1).max().orElse(0);
        int fontSize = Math.max(10, Math.min(14, height / 40));
        this.font = new Font(Font.SANS_SERIF, Font.PLAIN, fontSize);
        this.bold = font.deriveFont(Font.BOLD);
        this.small = font.deriveFont(fontSize - 1f);
        int panelWidth = Math.max(180, Math.min(300, width * 34 / 100));
        this.plotLeft = 58;
        this.plotTop = 34;
        this.panelLeft = width - panelWidth;
        this.plotWidth = panelLeft - plotLeft - 14;
        this.plotHeight = height - plotTop - 44;
        if (plotWidth < 60 || plotHeight < 60) {
            throw new IllegalArgumentException("image " + width + "x" + height + " is too small for a race");
        }
        for (int i = 0; i < BANDS; i++) {
            bandColours.add(ramp(i / (double) (BANDS - 1)));
            bandColours.add(darker(ramp(i / (double) (BANDS - 1))));
        }
        this.background = drawBackground();
    }

    /** The colours the frames draw exactly, for a GIF palette: band fills and lines, runners, text. */
    List<Integer> colours() {
        List<Integer> c = new ArrayList<>();
        c.add(0xFFFFFF);
        c.add(TEXT.getRGB());
        c.add(GRID_TEXT.getRGB());
        c.add(DIVERGED.getRGB());
        c.add(0x000000);
        for (Runner r : runners) {
            c.add(r.colour().getRGB());
        }
        c.addAll(bandColours);
        for (int g = 0; g < 256; g += 16) {
            c.add((g << 16) | (g << 8) | g);
        }
        return c;
    }

    /** The last step any runner reached. */
    int lastStep() {
        return lastStep;
    }

    /** The frame after {@code step} steps. */
    BufferedImage frame(int step) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.drawImage(background, 0, 0, null);
            hints(g);
            for (int i = 0; i < runners.size(); i++) {
                drawPath(g, runners.get(i), leftAt[i], step);
            }
            g.setClip(null);
            drawLegend(g, step);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void hints(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    }

    private double px(double x) {
        return plotLeft + (x - domain.xMin()) / (domain.xMax() - domain.xMin()) * plotWidth;
    }

    private double py(double y) {
        return plotTop + (domain.yMax() - y) / (domain.yMax() - domain.yMin()) * plotHeight;
    }

    private void drawPath(Graphics2D g, Runner r, int left, int step) {
        List<Trace.Sample> path = r.path();
        int upTo = Math.min(step, path.size() - 1);
        int lastInside = left < 0 || upTo < left ? upTo : left - 1;
        g.setClip(plotLeft, plotTop, plotWidth, plotHeight);
        int from = trail > 0 ? Math.max(0, lastInside - trail) : 0;
        g.setStroke(new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        if (lastInside >= 0) {
            if (trail > 0) {
                for (int k = from + 1; k <= lastInside; k++) {
                    float age = (lastInside - k) / (float) trail;
                    g.setColor(withAlpha(r.colour(), 1 - 0.85f * age));
                    g.draw(new Line2D.Double(px(path.get(k - 1).x()), py(path.get(k - 1).y()), px(path.get(k).x()),
                            py(path.get(k).y())));
                }
            } else {
                Path2D.Double line = new Path2D.Double();
                line.moveTo(px(path.get(0).x()), py(path.get(0).y()));
                for (int k = 1; k <= lastInside; k++) {
                    line.lineTo(px(path.get(k).x()), py(path.get(k).y()));
                }
                g.setColor(r.colour());
                g.draw(line);
            }
        }
        boolean gone = left >= 0 && upTo >= left;
        if (gone && left > 0) {
            // The segment on which the path left: drawn to the edge when its far end is a number.
            Trace.Sample a = path.get(left - 1);
            Trace.Sample b = path.get(left);
            if (Double.isFinite(b.x()) && Double.isFinite(b.y())) {
                double[] end = exitPoint(a.x(), a.y(), b.x(), b.y());
                g.setColor(r.colour());
                g.draw(new Line2D.Double(px(a.x()), py(a.y()), px(end[0]), py(end[1])));
            }
        }
        // The start as a hollow ring, the current point as a dot (a cross once the path is gone).
        Trace.Sample start = path.getFirst();
        if (domain.contains(new Surface.Point(start.x(), start.y()))) {
            g.setStroke(new BasicStroke(1.5f));
            g.setColor(r.colour());
            g.draw(new Ellipse2D.Double(px(start.x()) - 4, py(start.y()) - 4, 8, 8));
        }
        if (lastInside >= 0) {
            Trace.Sample now = path.get(lastInside);
            double cx = px(now.x());
            double cy = py(now.y());
            if (gone) {
                g.setStroke(new BasicStroke(2.5f));
                g.setColor(r.colour());
                g.draw(new Line2D.Double(cx - 5, cy - 5, cx + 5, cy + 5));
                g.draw(new Line2D.Double(cx - 5, cy + 5, cx + 5, cy - 5));
            } else {
                g.setColor(Color.WHITE);
                g.fill(new Ellipse2D.Double(cx - 6.5, cy - 6.5, 13, 13));
                g.setColor(r.colour());
                g.fill(new Ellipse2D.Double(cx - 5, cy - 5, 10, 10));
            }
        }
    }

    /** Where the segment from (ax, ay), inside the domain, to (bx, by) crosses the domain's edge. */
    private double[] exitPoint(double ax, double ay, double bx, double by) {
        double t = 1;
        double dx = bx - ax;
        double dy = by - ay;
        if (bx > domain.xMax()) {
            t = Math.min(t, (domain.xMax() - ax) / dx);
        }
        if (bx < domain.xMin()) {
            t = Math.min(t, (domain.xMin() - ax) / dx);
        }
        if (by > domain.yMax()) {
            t = Math.min(t, (domain.yMax() - ay) / dy);
        }
        if (by < domain.yMin()) {
            t = Math.min(t, (domain.yMin() - ay) / dy);
        }
        t = Math.max(0, t);
        return new double[] {ax + t * dx, ay + t * dy};
    }

    private void drawLegend(Graphics2D g, int step) {
        FontMetrics fm = g.getFontMetrics(bold);
        int line = fm.getHeight();
        int x = panelLeft + 4;
        int y = plotTop;
        g.setFont(bold);
        g.setColor(TEXT);
        int shown = Math.min(step, lastStep);
        g.drawString(String.format(Locale.ROOT, "step %d / %d", shown, lastStep), x, y + fm.getAscent());
        y += line + line / 2;
        int panelWidth = width - panelLeft - 8;
        for (int i = 0; i < runners.size(); i++) {
            Runner r = runners.get(i);
            int upTo = Math.min(step, r.path().size() - 1);
            g.setColor(r.colour());
            g.setStroke(new BasicStroke(3f));
            g.drawLine(x, y + fm.getAscent() / 2 + 1, x + 18, y + fm.getAscent() / 2 + 1);
            g.fill(new Ellipse2D.Double(x + 5, y + fm.getAscent() / 2 - 3, 8, 8));
            g.setFont(bold);
            g.setColor(TEXT);
            g.drawString(r.label(), x + 26, y + fm.getAscent());
            boolean gone = leftAt[i] >= 0 && upTo >= leftAt[i];
            String value = gone ? "" : "f = " + compact(r.path().get(upTo).loss());
            g.setFont(small);
            FontMetrics sm = g.getFontMetrics(small);
            g.setColor(GRID_TEXT);
            g.drawString(value, panelLeft + panelWidth - sm.stringWidth(value), y + fm.getAscent());
            y += line;
            for (String part : wrap(r.spec(), sm, panelWidth - 26)) {
                g.drawString(part, x + 26, y + sm.getAscent());
                y += sm.getHeight();
            }
            if (gone) {
                // A frame tells no more than its step has shown: NaN comes up only once it happened.
                boolean nan = divergedAt[i] >= 0 && upTo >= divergedAt[i];
                g.setColor(nan ? DIVERGED : GRID_TEXT);
                g.drawString(nan ? r.fate(domain) : "left the plot at step " + leftAt[i], x + 26, y + sm.getAscent());
                y += sm.getHeight();
            }
            y += line / 3;
        }
        if (!surface.minima().isEmpty()) {
            g.setFont(small);
            g.setColor(GRID_TEXT);
            star(g, x + 9, y + 8, 7);
            g.setColor(GRID_TEXT);
            g.drawString(surface.minima().size() == 1 ? "global minimum" : "global minima", x + 26,
                    y + g.getFontMetrics().getAscent());
        }
    }

    /** Breaks a spec after its commas into lines of at most {@code width} pixels (cutting any still too long). */
    private static List<String> wrap(String text, FontMetrics fm, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String piece : text.split("(?<=,)")) {
            if (!line.isEmpty() && fm.stringWidth(line + piece) > width) {
                lines.add(fit(line.toString(), fm, width));
                line.setLength(0);
            }
            line.append(piece);
        }
        lines.add(fit(line.toString(), fm, width));
        return lines;
    }

    /** Cuts {@code text} with an ellipsis to fit {@code width} pixels. */
    private static String fit(String text, FontMetrics fm, int width) {
        if (fm.stringWidth(text) <= width) {
            return text;
        }
        String t = text;
        while (t.length() > 1 && fm.stringWidth(t + "…") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }

    static String compact(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e5)) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        return String.format(Locale.ROOT, a >= 100 ? "%.1f" : "%.4f", v);
    }

    private BufferedImage drawBackground() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] band = bandsOfPlot();
        int[] fill = new int[BANDS];
        int[] edge = new int[BANDS];
        for (int i = 0; i < BANDS; i++) {
            fill[i] = bandColours.get(2 * i);
            edge[i] = bandColours.get(2 * i + 1);
        }
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(PANEL);
            g.fillRect(0, 0, width, height);
            for (int j = 0; j < plotHeight; j++) {
                for (int i = 0; i < plotWidth; i++) {
                    int b = band[j * plotWidth + i];
                    boolean boundary = (i + 1 < plotWidth && band[j * plotWidth + i + 1] != b)
                            || (j + 1 < plotHeight && band[(j + 1) * plotWidth + i] != b);
                    img.setRGB(plotLeft + i, plotTop + j, boundary ? edge[Math.max(0, b)] : fill[Math.max(0, b)]);
                }
            }
            hints(g);
            g.setClip(plotLeft, plotTop, plotWidth, plotHeight);
            for (Surface.Point m : surface.minima()) {
                if (domain.contains(m)) {
                    star(g, px(m.x()), py(m.y()), 9);
                }
            }
            g.setClip(null);
            g.setColor(TEXT);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(plotLeft, plotTop, plotWidth, plotHeight);
            drawAxes(g);
            g.setFont(bold);
            FontMetrics fm = g.getFontMetrics();
            String title = surface.name().startsWith("expr:") ? "f(x, y) = " + surface.formula()
                    : surface.name() + ":  f(x, y) = " + surface.formula();
            g.drawString(fit(title, fm, width - plotLeft - 8), plotLeft, plotTop - fm.getDescent() - 8);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** The band index of each pixel of the plot, from a log-scaled value. */
    private int[] bandsOfPlot() {
        double[] z = new double[plotWidth * plotHeight];
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        try (GradMode.Scope _ = GradMode.noGrad()) {
            for (int j = 0; j < plotHeight; j++) {
                double y = domain.yMax() - (j + 0.5) / plotHeight * (domain.yMax() - domain.yMin());
                for (int i = 0; i < plotWidth; i++) {
                    double x = domain.xMin() + (i + 0.5) / plotWidth * (domain.xMax() - domain.xMin());
                    double v = surface.value(x, y);
                    z[j * plotWidth + i] = v;
                    if (Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
        }
        int[] band = new int[z.length];
        if (!(hi > lo)) {
            return band;
        }
        double floor = Double.isFinite(surface.minimumValue()) ? Math.min(lo, surface.minimumValue()) : lo;
        // The offset sets how much of the scale goes to the lowest values: a little for a surface
        // with a minimum to find, more for one without (a saddle), where the low corner is not the point.
        double offset = (hi - floor) * (surface.minima().isEmpty() ? 0.05 : 1e-4);
        double zLo = Math.log(lo - floor + offset);
        double zHi = Math.log(hi - floor + offset);
        for (int k = 0; k < z.length; k++) {
            double v = z[k];
            if (!Double.isFinite(v)) {
                band[k] = BANDS - 1;
                continue;
            }
            double t = (Math.log(v - floor + offset) - zLo) / (zHi - zLo);
            band[k] = Math.clamp((int) Math.floor(t * BANDS), 0, BANDS - 1);
        }
        return band;
    }

    private void drawAxes(Graphics2D g) {
        g.setFont(small);
        FontMetrics fm = g.getFontMetrics();
        g.setColor(GRID_TEXT);
        for (double t : ticks(domain.xMin(), domain.xMax(), Math.max(3, plotWidth / 70))) {
            int x = (int) Math.round(px(t));
            g.drawLine(x, plotTop + plotHeight, x, plotTop + plotHeight + 5);
            String s = tickLabel(t);
            g.drawString(s, x - fm.stringWidth(s) / 2, plotTop + plotHeight + 7 + fm.getAscent());
        }
        for (double t : ticks(domain.yMin(), domain.yMax(), Math.max(3, plotHeight / 55))) {
            int y = (int) Math.round(py(t));
            g.drawLine(plotLeft - 5, y, plotLeft, y);
            String s = tickLabel(t);
            g.drawString(s, plotLeft - 8 - fm.stringWidth(s), y + fm.getAscent() / 2 - 1);
        }
        g.setFont(bold);
        fm = g.getFontMetrics();
        g.drawString("x", plotLeft + plotWidth / 2 - fm.stringWidth("x") / 2, height - 8);
        g.drawString("y", 12, plotTop + plotHeight / 2);
    }

    /** Round tick positions, about {@code count} of them, covering [lo, hi]. */
    static List<Double> ticks(double lo, double hi, int count) {
        double raw = (hi - lo) / count;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        List<Double> out = new ArrayList<>();
        for (double t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
            out.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
        }
        return out;
    }

    private static String tickLabel(double t) {
        if (t == Math.rint(t) && Math.abs(t) < 1e6) {
            return Long.toString((long) t);
        }
        String s = String.format(Locale.ROOT, "%.3f", t);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    private static void star(Graphics2D g, double cx, double cy, double r) {
        Path2D.Double p = new Path2D.Double();
        for (int k = 0; k < 10; k++) {
            double a = Math.PI / 2 + k * Math.PI / 5;
            double rr = k % 2 == 0 ? r : r * 0.45;
            double x = cx + rr * Math.cos(a);
            double y = cy - rr * Math.sin(a);
            if (k == 0) {
                p.moveTo(x, y);
            } else {
                p.lineTo(x, y);
            }
        }
        p.closePath();
        g.setColor(Color.WHITE);
        g.fill(p);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.3f));
        g.draw(p);
    }

    private static int ramp(double t) {
        double u = Math.clamp(t, 0, 1) * (RAMP.length - 1);
        int i = Math.min((int) u, RAMP.length - 2);
        double f = u - i;
        int a = RAMP[i];
        int b = RAMP[i + 1];
        int r = (int) Math.round(((a >> 16) & 0xFF) * (1 - f) + ((b >> 16) & 0xFF) * f);
        int gg = (int) Math.round(((a >> 8) & 0xFF) * (1 - f) + ((b >> 8) & 0xFF) * f);
        int bb = (int) Math.round((a & 0xFF) * (1 - f) + (b & 0xFF) * f);
        return (r << 16) | (gg << 8) | bb;
    }

    private static int darker(int rgb) {
        int r = (int) (((rgb >> 16) & 0xFF) * 0.72);
        int g = (int) (((rgb >> 8) & 0xFF) * 0.72);
        int b = (int) ((rgb & 0xFF) * 0.72);
        return (r << 16) | (g << 8) | b;
    }

    private static Color withAlpha(Color c, float alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), Math.round(255 * Math.clamp(alpha, 0f, 1f)));
    }

    /**
     * Draws one string off screen, so that a JVM without fonts fails here with advice rather than
     * midway through a race.
     */
    static void checkFonts() {
        try {
            BufferedImage probe = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = probe.createGraphics();
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.getFontMetrics().stringWidth("step 1");
            g.drawString("step 1", 0, 8);
            g.dispose();
        } catch (RuntimeException | Error e) {
            throw new KobaiException("Java cannot draw text on this machine (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + "); install fontconfig and a font, e.g. on Debian or Ubuntu: apt-get install fontconfig"
                    + " fonts-dejavu-core");
        }
    }
}
