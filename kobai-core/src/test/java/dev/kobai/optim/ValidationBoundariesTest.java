package dev.kobai.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kobai.UsageException;
import dev.kobai.nn.Parameter;
import dev.kobai.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each option's check at its boundary, through the spec string the command line parses: the value
 * on the edge is accepted, the smallest step past it refused with torch's message (1.13, see
 * torch-optim-rules). Far-off values were tested before; these are the ones a {@code >=} turned into
 * {@code >} would change.
 */
class ValidationBoundariesTest {
    private static final List<Parameter> PARAMS = List.of(new Parameter(Tensor.of(1.0, 2.0)));

    private static Optimizer create(String spec) {
        return Optimizers.create(spec, PARAMS);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sgd:lr=0",
        "sgd:lr=0.1,momentum=0",
        "sgd:lr=0.1,weight_decay=0",
        "sgd:lr=0.1,momentum=1e-12,nesterov=true",
        "adam:betas=0/0",
        "adam:eps=0",
        "adadelta:rho=0",
        "adadelta:rho=1",
        "rmsprop:alpha=0",
        "rmsprop:alpha=1.5",
        "adagrad:lr_decay=0,initial_accumulator_value=0",
        "nadam:momentum_decay=0",
        "rprop:etas=0.000001/1.000001"})
    void theEdgeIsAccepted(String spec) {
        create(spec);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sgd:lr=-1e-300| Invalid learning rate: -1.0E-300",
        "sgd:lr=0.1,momentum=-1e-300| Invalid momentum value: -1.0E-300",
        "sgd:lr=0.1,weight_decay=-1e-300| Invalid weight_decay value: -1.0E-300",
        "sgd:lr=0.1,momentum=0,nesterov=true| Nesterov momentum requires a momentum and zero dampening",
        "sgd:lr=0.1,momentum=0.9,dampening=1e-12,nesterov=true| Nesterov momentum requires a momentum and zero dampening",
        "adam:betas=1/0.999| Invalid beta parameter at index 0: 1.0",
        "adam:betas=0.9/1| Invalid beta parameter at index 1: 1.0",
        "adam:betas=-1e-300/0.999| Invalid beta parameter at index 0: -1.0E-300",
        "adam:eps=-1e-300| Invalid epsilon value: -1.0E-300",
        "adadelta:rho=1.0000000000000002| Invalid rho value: 1.0000000000000002",
        "adadelta:rho=-1e-300| Invalid rho value: -1.0E-300",
        "rmsprop:alpha=-1e-300| Invalid alpha value: -1.0E-300",
        "rmsprop:momentum=-1e-300| Invalid momentum value: -1.0E-300",
        "adagrad:lr_decay=-1e-300| Invalid lr_decay value: -1.0E-300",
        "adagrad:initial_accumulator_value=-1e-300| Invalid initial_accumulator_value value: -1.0E-300",
        "nadam:momentum_decay=-1e-300| Invalid momentum_decay value: -1.0E-300",
        "rprop:etas=1/1.2| Invalid eta values: 1.0, 1.2",
        "rprop:etas=0.5/1| Invalid eta values: 0.5, 1.0",
        "rprop:etas=0/1.2| Invalid eta values: 0.0, 1.2"})
    void oneStepPastTheEdgeIsRefused(String spec, String message) {
        UsageException e = assertThrows(UsageException.class, () -> create(spec));
        assertEquals(message, e.getMessage().substring(e.getMessage().length() - message.length()), e.getMessage());
    }

    @Test
    void theSameChecksHoldForEveryGroupAddedLater() {
        SGD sgd = SGD.builder().lr(0.1).build(PARAMS);
        Parameter other = new Parameter(Tensor.of(3.0));
        UsageException e = assertThrows(UsageException.class,
                () -> SGD.builder().lr(0.1).group(List.of(other), g -> g.momentum(-1e-300)).build(PARAMS));
        assertEquals("Invalid momentum value: -1.0E-300", e.getMessage().substring(e.getMessage().indexOf("Invalid")));
        assertEquals(1, sgd.paramGroups().size());
    }
}
