package dev.kobai.examples;

import dev.kobai.autograd.Autograd;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.LossClosure;
import dev.kobai.optim.Newton;
import dev.kobai.tensor.Tensor;
import java.util.List;

/**
 * Second derivatives of a function written by hand: Rosenbrock's f(x, y) = (1 - x)^2 + 100 (y - x^2)^2.
 * A Hessian-vector product by double backward is checked against the Hessian worked out on paper,
 * then Newton's method (line search on) walks from (-1.2, 1) to the minimum at (1, 1) in a few
 * dozen steps, where gradient descent needs thousands. Argument: [steps, default 50].
 */
public class NewtonOnAFunction {
    static Tensor rosenbrock(Tensor x, Tensor y) {
        Tensor a = x.rsub(1).square();
        Tensor b = y.sub(x.square()).square().mul(100);
        return a.add(b);
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        Parameter x = new Parameter(Tensor.of(-1.2));
        Parameter y = new Parameter(Tensor.of(1.0));
        List<Parameter> xy = List.of(x, y);

        // H v by differentiating the gradient once more, against the Hessian by hand:
        // H = [[2 - 400 (y - 3 x^2), -400 x], [-400 x, 200]].
        Tensor[] v = {Tensor.of(1.0), Tensor.of(0.5)};
        List<Tensor> hv = Autograd.hessianVectorProduct(rosenbrock(x, y), xy, List.of(v));
        double px = x.item();
        double py = y.item();
        double hxx = 2 - 400 * (py - 3 * px * px);
        double hxy = -400 * px;
        System.out.printf("Hv by double backward: (%.6f, %.6f); by hand: (%.6f, %.6f)%n",
                hv.get(0).item(), hv.get(1).item(), hxx * 1.0 + hxy * 0.5, hxy * 1.0 + 200 * 0.5);

        Newton newton = Newton.builder().lineSearch(true).build(xy);
        LossClosure f = () -> rosenbrock(x, y);
        int step = 0;
        double loss = f.loss().item();
        while (step < steps && loss > 1e-20) {
            newton.zeroGrad();
            loss = newton.step(f);
            step++;
        }
        System.out.printf("Newton after %d steps: x = %.10f, y = %.10f, f = %.3e%n", step, x.item(), y.item(),
                rosenbrock(x, y).item());
    }
}
