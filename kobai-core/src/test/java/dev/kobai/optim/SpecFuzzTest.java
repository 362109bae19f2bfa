package dev.kobai.optim;

import dev.kobai.KobaiException;
import dev.kobai.nn.Models;
import dev.kobai.nn.Parameter;
import dev.kobai.optim.scheduler.Schedulers;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Fuzzes the optimizer, scheduler and model SPEC parsers on a fixed seed and budget. */
class SpecFuzzTest {
    static void expectOwnError(Runnable r) {
        try {
            r.run();
        } catch (KobaiException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("empty message", e);
            }
        }
    }

    @Provide
    Arbitrary<String> specs() {
        Arbitrary<String> names = Arbitraries.of("sgd", "adam", "adamw", "lbfgs", "rprop", "asgd", "nadam", "steplr",
                "onecycle", "plateau", "cosine", "sgdr", "multistep", "linear", "mlp", "", "x");
        Arbitrary<String> tail = Arbitraries.strings().withChars("lr=0.1,/:-momentum_betas T_max1e9NaN-5 "
                .toCharArray()).ofMaxLength(60);
        return Combinators.combine(names, tail).as((n, t) -> n + ":" + t);
    }

    @Property(tries = 500, seed = "3")
    void optimizerSpecsGiveKobaiErrors(@ForAll("specs") String spec) {
        List<Parameter> params = List.of(new Parameter(Tensor.zeros(DType.FLOAT32, 3)));
        expectOwnError(() -> Optimizers.create(spec, params));
    }

    @Property(tries = 500, seed = "3")
    void schedulerSpecsGiveKobaiErrors(@ForAll("specs") String spec) {
        List<Parameter> params = List.of(new Parameter(Tensor.zeros(DType.FLOAT32, 3)));
        Optimizer sgd = Optimizers.create("sgd:lr=0.1,momentum=0.9", params);
        expectOwnError(() -> Schedulers.create(spec, sgd, 10, 3));
    }

    @Property(tries = 500, seed = "3")
    void modelSpecsGiveKobaiErrors(@ForAll("models") String spec) {
        expectOwnError(() -> Models.parseSizes(spec));
    }

    @Provide
    Arbitrary<String> models() {
        return Arbitraries.strings().withChars("mlp:0123456789-relutanhsigmoid ,".toCharArray()).ofMaxLength(40)
                .map(s -> s.startsWith("mlp") ? s : "mlp:" + s);
    }

    @org.junit.jupiter.api.Test
    void aModelTooLargeToAllocateIsAUsageError() {
        org.junit.jupiter.api.Assertions.assertThrows(dev.kobai.UsageException.class,
                () -> Models.parseSizes("mlp:1000000-1000000"));
    }
}
