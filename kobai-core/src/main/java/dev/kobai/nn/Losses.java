package dev.kobai.nn;

import dev.kobai.tensor.Tensor;
import java.util.Arrays;

/**
 * Loss functions with mean reduction, as torch.nn.functional computes them. Each is composed of
 * differentiable operations, so its gradient and its Hessian come from the engine.
 */
public final class Losses {
    private Losses() {}

    /**
     * Cross-entropy from unnormalised logits [n, classes] and integer labels:
     * mean over i of -log softmax(logits_i)[label_i], with the log-softmax computed stably.
     *
     * <p>Labels are class indices as {@code int}, the one type Kobai uses for them end to end:
     * {@code Dataset.labels()}, {@code Batch.labels()}, the trainer and {@code train.Evaluation}
     * (torch holds them in int64; a Java array is indexed by int, and no class count comes near 2^31).
     * A label outside {@code 0..classes-1} is an IndexOutOfBoundsException naming it and its row.
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels) {
        return nll(logits.logSoftmax(1), labels);
    }

    /**
     * Cross-entropy with sum reduction: sum over i of -log softmax(logits_i)[label_i]. Data-parallel
     * training sums it over each shard of a minibatch and divides the total by the batch size once.
     */
    public static Tensor crossEntropySum(Tensor logits, int[] labels) {
        Tensor logProbs = logits.logSoftmax(1);
        if (logProbs.rank() != 2 || logProbs.size(0) != labels.length) {
            throw new IllegalArgumentException("cross-entropy needs [n, classes] scores and n labels, got "
                    + logProbs.describe() + " and " + labels.length + " labels");
        }
        return logProbs.pick(labels).sum().neg();
    }

    /** Negative log-likelihood from log-probabilities [n, classes]: -mean_i logProbs[i, label_i]. */
    public static Tensor nll(Tensor logProbs, int[] labels) {
        if (logProbs.rank() != 2 || logProbs.size(0) != labels.length) {
            throw new IllegalArgumentException("nll needs [n, classes] scores and n labels, got " + logProbs.describe()
                    + " and " + labels.length + " labels");
        }
        return logProbs.pick(labels).mean().neg();
    }

    /** Mean squared error: mean (prediction - target)^2. */
    public static Tensor mse(Tensor prediction, Tensor target) {
        requireSameShape("mse", prediction, target);
        return prediction.sub(target).square().mean();
    }

    /**
     * Binary cross-entropy from logits x and targets y in [0, 1]:
     * mean of softplus(x) - x y, which equals -[y log s(x) + (1-y) log(1-s(x))] without overflowing
     * for large |x|. softplus is one operation whose derivative is the sigmoid, so the gradient
     * s(x) - y and the Hessian s(x)(1 - s(x)) are exact everywhere, x = 0 included.
     */
    public static Tensor bceWithLogits(Tensor logits, Tensor targets) {
        requireSameShape("bceWithLogits", logits, targets);
        return logits.softplus().sub(logits.mul(targets)).mean();
    }

    private static void requireSameShape(String loss, Tensor a, Tensor b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(loss + ": prediction " + a.describe() + " and target " + b.describe()
                    + " differ in shape");
        }
    }
}
