package dev.kobai.optim;

import dev.kobai.tensor.Tensor;

/**
 * A line search for a step length t along a descent direction d from x that satisfies the strong
 * Wolfe conditions (Nocedal and Wright, <i>Numerical Optimization</i>, 2nd ed., 2006, section 3.5,
 * Algorithms 3.5 and 3.6), with f(t) = f(x + t d) and f'(t) = grad f(x + t d) . d:
 *
 * <pre>
 *   f(t) &lt;= f(0) + c1 t f'(0)          (sufficient decrease, Armijo)
 *   |f'(t)| &lt;= c2 |f'(0)|               (curvature, strong form)
 * </pre>
 *
 * <p>It works in two phases, as torch.optim.lbfgs's _strong_wolfe (itself from Torch7's
 * lswolfe.lua and minFunc):
 * <ol>
 *   <li>Bracketing (Algorithm 3.5): try t; if it breaks sufficient decrease, or does not improve on
 *       the previous trial (from the third trial on), or f'(t) &gt;= 0, an interval
 *       [t_prev, t] holds an acceptable point; if the strong curvature condition holds, t is done;
 *       otherwise extrapolate to the minimizer of the cubic through (t_prev, t), kept within
 *       [t + 0.01 (t - t_prev), 10 t].</li>
 *   <li>Zoom (Algorithm 3.6): shrink the bracket [lo, hi] (f(lo) &lt;= f(hi)) by the minimizer of
 *       the cubic through its ends, moved to 10% of the bracket's width from an end when it lands
 *       too close to one twice running or outside; a trial that fails sufficient decrease or does
 *       not beat f(lo) becomes hi; otherwise it becomes lo (the old lo becoming hi when f' points
 *       the other way), until the strong Wolfe conditions hold, the bracket is narrower than
 *       tolerance_change / max|d|, or max_ls trials have been made.</li>
 * </ol>
 * The step returned is the bracket's low end (the best point found).
 */
final class StrongWolfe {
    /** The loss and flat gradient at x + t d; the parameters are back at x when it returns. */
    @FunctionalInterface
    interface Objective {
        Point evaluate(double t);
    }

    /** A loss and the flat gradient there. */
    record Point(double loss, Tensor grad) {}

    /** The step chosen, the loss and flat gradient there, and how many times the objective was evaluated. */
    record Result(double loss, Tensor grad, double t, int evaluations) {}

    static final double C1 = 1e-4;
    static final double C2 = 0.9;
    static final int MAX_LS = 25;

    private StrongWolfe() {}

    /**
     * Searches from step {@code t} along {@code d}, starting where the loss is {@code f}, the flat
     * gradient {@code g} and the directional derivative {@code gtd} = g . d (negative).
     */
    static Result search(Objective obj, double t, Tensor d, double f, Tensor g, double gtd,
                         double c1, double c2, double toleranceChange, int maxLs) {
        double dNorm = LBFGS.absMax(d);
        Point p = obj.evaluate(t);
        double fNew = p.loss();
        Tensor gNew = p.grad();
        int evals = 1;
        double gtdNew = LBFGS.dot(gNew, d);

        // Bracketing: the two ends of an interval holding an acceptable step, with f, g and f' there.
        double tPrev = 0;
        double fPrev = f;
        Tensor gPrev = g;
        double gtdPrev = gtd;
        double[] bt = new double[2];
        double[] bf = new double[2];
        Tensor[] bg = new Tensor[2];
        double[] bgtd = new double[2];
        boolean done = false;
        boolean bracketed = false;
        int lsIter = 0;
        while (lsIter < maxLs) {
            if (fNew > (f + c1 * t * gtd) || (lsIter > 1 && fNew >= fPrev)) {
                bracketed = true;
                break;
            }
            if (Math.abs(gtdNew) <= -c2 * gtd) {
                return new Result(fNew, gNew, t, evals);
            }
            if (gtdNew >= 0) {
                bracketed = true;
                break;
            }
            // Still descending: extrapolate by the cubic's minimizer, at least a little and at most 10 t.
            double minStep = t + 0.01 * (t - tPrev);
            double maxStep = t * 10;
            double next = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            tPrev = t;
            fPrev = fNew;
            gPrev = gNew;
            gtdPrev = gtdNew;
            t = next;
            p = obj.evaluate(t);
            fNew = p.loss();
            gNew = p.grad();
            evals++;
            gtdNew = LBFGS.dot(gNew, d);
            lsIter++;
        }
        if (bracketed) {
            bt[0] = tPrev;
            bt[1] = t;
            bf[0] = fPrev;
            bf[1] = fNew;
            bg[0] = gPrev;
            bg[1] = gNew;
            bgtd[0] = gtdPrev;
            bgtd[1] = gtdNew;
        }
        if (lsIter == maxLs) {
            // Out of trials: choose between the start and the last trial.
            bt[0] = 0;
            bt[1] = t;
            bf[0] = f;
            bf[1] = fNew;
            bg[0] = g;
            bg[1] = gNew;
        }

        // Zoom.
        boolean insufficientProgress = false;
        int lo = bf[0] <= bf[1] ? 0 : 1;
        int hi = 1 - lo;
        while (!done && lsIter < maxLs) {
            if (Math.abs(bt[1] - bt[0]) * dNorm < toleranceChange) {
                break;
            }
            t = cubicInterpolate(bt[0], bf[0], bgtd[0], bt[1], bf[1], bgtd[1],
                    bt[0] <= bt[1] ? bt[0] : bt[1], bt[0] <= bt[1] ? bt[1] : bt[0]);
            double tHi = pyMax(bt[0], bt[1]);
            double tLo = pyMin(bt[0], bt[1]);
            // Keep the trial at least 10% of the bracket away from its ends when it keeps landing near one.
            double eps = 0.1 * (tHi - tLo);
            if (Math.min(tHi - t, t - tLo) < eps) {
                if (insufficientProgress || t >= tHi || t <= tLo) {
                    t = Math.abs(t - tHi) < Math.abs(t - tLo) ? tHi - eps : tLo + eps;
                    insufficientProgress = false;
                } else {
                    insufficientProgress = true;
                }
            } else {
                insufficientProgress = false;
            }
            p = obj.evaluate(t);
            fNew = p.loss();
            gNew = p.grad();
            evals++;
            gtdNew = LBFGS.dot(gNew, d);
            lsIter++;

            if (fNew > (f + c1 * t * gtd) || fNew >= bf[lo]) {
                // No sufficient decrease, or no better than the low end: the trial is the new high end.
                bt[hi] = t;
                bf[hi] = fNew;
                bg[hi] = gNew;
                bgtd[hi] = gtdNew;
                lo = bf[0] <= bf[1] ? 0 : 1;
                hi = 1 - lo;
            } else {
                if (Math.abs(gtdNew) <= -c2 * gtd) {
                    done = true;
                } else if (gtdNew * (bt[hi] - bt[lo]) >= 0) {
                    // The minimizer lies on the other side of the trial: the old low end becomes the high end.
                    bt[hi] = bt[lo];
                    bf[hi] = bf[lo];
                    bg[hi] = bg[lo];
                    bgtd[hi] = bgtd[lo];
                }
                bt[lo] = t;
                bf[lo] = fNew;
                bg[lo] = gNew;
                bgtd[lo] = gtdNew;
            }
        }
        return new Result(bf[lo], bg[lo], bt[lo], evals);
    }

    /**
     * The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
     * [lo, hi]; the middle of [lo, hi] when the cubic has no minimizer. With d1 = g1 + g2 -
     * 3 (f1 - f2) / (x1 - x2) and d2 = sqrt(d1^2 - g1 g2), and x2 the right-hand point, it is
     * x2 - (x2 - x1) (g2 + d2 - d1) / (g2 - g1 + 2 d2) (Nocedal and Wright, equation 3.59).
     */
    static double cubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                                   double lo, double hi) {
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0) {
            double d2 = Math.sqrt(d2Square);
            double minPos = x1 <= x2
                    ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                    : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return pyMin(pyMax(minPos, lo), hi);
        }
        return (lo + hi) / 2;
    }

    /** Python's max(a, b): a unless b is greater (so a NaN a survives, as in torch). */
    private static double pyMax(double a, double b) {
        return b > a ? b : a;
    }

    private static double pyMin(double a, double b) {
        return b < a ? b : a;
    }
}
