package dev.kobai.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.tensor.DType;
import dev.kobai.tensor.Rng;
import dev.kobai.tensor.Tensor;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Module.namedModules and ForwardCapture: layers are seen wherever they sit, on this thread, while open. */
class ForwardCaptureTest {
    /** x + relu(conv2(relu(conv1(x)))): a block that calls its children itself, as a ResNet block does. */
    static final class Residual extends Module {
        final Conv2d conv1;
        final Conv2d conv2;

        Residual(int channels, Rng rng) {
            conv1 = registerModule("conv1", Conv2d.builder(channels, channels, 3).padding(1).build(rng, DType.FLOAT64));
            conv2 = registerModule("conv2", Conv2d.builder(channels, channels, 3).padding(1).bias(false)
                    .build(rng, DType.FLOAT64));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.add(conv2.forward(conv1.forward(x).relu()).relu());
        }
    }

    static Sequential model() {
        Rng rng = new Rng(3);
        return new Sequential(Conv2d.builder(1, 2, 3).padding(1).build(rng, DType.FLOAT64), Activation.relu(),
                new Residual(2, rng), new Flatten(), new Linear(2 * 4 * 4, 3, true, rng, DType.FLOAT64));
    }

    @Test
    void namedModulesListsEveryModuleOnceDepthFirst() {
        Sequential m = model();
        assertEquals(List.of("", "0", "1", "2", "2.conv1", "2.conv2", "3", "4"), List.copyOf(m.namedModules().keySet()));
        assertSame(((Residual) m.layers().get(2)).conv2, m.namedModules().get("2.conv2"));
        Linear shared = new Linear(2, 2, true, new Rng(1), DType.FLOAT64);
        assertEquals(List.of("", "0"), List.copyOf(new Sequential(shared, shared).namedModules().keySet()));
    }

    @Test
    void capturesLayersInsideNestedModulesWithTheirInputsAndOutputs() {
        Sequential m = model();
        Residual block = (Residual) m.layers().get(2);
        Linear fc = (Linear) m.layers().get(4);
        Tensor x = Tensor.randn(new Rng(4), DType.FLOAT64, 5, 1, 4, 4);
        Tensor z;
        ForwardCapture capture = ForwardCapture.of(List.of(block.conv1, block.conv2, fc));
        try (capture) {
            z = m.forward(x);
        }
        ForwardCapture.Call c1 = capture.calls(block.conv1).getFirst();
        assertEquals(1, capture.calls(block.conv1).size());
        assertArrayEqualsValues(block.conv1.forward(c1.input()), c1.output());
        ForwardCapture.Call c2 = capture.calls(block.conv2).getFirst();
        assertArrayEqualsValues(c1.output().relu(), c2.input());
        assertSame(z, capture.calls(fc).getFirst().output());
        // the captured output is part of the graph: d z / d (conv2's output) is not zero
        Tensor[] g = dev.kobai.autograd.Autograd.grad(z.sum(), new Tensor[] {c2.output()}, false);
        assertTrue(g[0].abs().sum().item() > 0);
        // nothing is recorded once closed, and unwatched layers are refused by name
        m.forward(x);
        assertEquals(1, capture.calls(fc).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> capture.calls(m.layers().get(0)));
        assertTrue(e.getMessage().startsWith("Conv2d(1, 2"), e.getMessage());
    }

    @Test
    void capturesNestAndStayOnTheirThread() throws Exception {
        Sequential m = model();
        Linear fc = (Linear) m.layers().get(4);
        Tensor x = Tensor.randn(new Rng(4), DType.FLOAT64, 2, 1, 4, 4);
        try (ForwardCapture outer = ForwardCapture.of(List.of(fc))) {
            try (ForwardCapture inner = ForwardCapture.of(List.of(fc))) {
                m.forward(x);
                assertEquals(1, inner.calls(fc).size());
            }
            m.forward(x);
            assertEquals(2, outer.calls(fc).size());
            // the same model run on another thread is not seen
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    m.forward(x);
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            other.start();
            other.join();
            assertEquals(null, failed.get());
            assertEquals(2, outer.calls(fc).size());
        }
        ForwardCapture first = ForwardCapture.of(List.of(fc));
        ForwardCapture second = ForwardCapture.of(List.of(fc));
        assertThrows(IllegalStateException.class, first::close);
        second.close();
        first.close();
    }

    private static void assertArrayEqualsValues(Tensor expected, Tensor actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray(), 0);
    }
}
