package dev.kobai.cli;

import com.google.gson.GsonBuilder;
import dev.kobai.UsageException;
import dev.kobai.bench.Workloads;
import dev.kobai.data.Datasets;
import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Trainer;
import dev.kobai.train.Training;
import dev.kobai.train.TrainingListener;
import dev.kobai.tensor.kernel.Kernels;
import dev.kobai.tensor.kernel.Parallel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kobai bench}: the main performance figures on this machine. Each figure is the median of
 * repeated timings after a warm-up; a timing repeats a short operation until it lasts long enough
 * to measure. The training epochs run first, in a fresh JVM, so the first epoch shows the JIT's
 * warm-up as a user meets it.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = Kobai.Version.class,
        description = "Measure matrix products, optimizer steps against their memory bound, a training epoch "
                + "and a Hessian-vector product on this machine.",
        footer = {
            "",
            "Sections: epoch, matmul, optim, hvp, kfac (all by default), and cnn",
            "  (epochs of the cnn preset) and conv (its convolution layers against",
            "  matrix products of the same size), which run only when named.",
            "Example:",
            "  kobai bench --threads 2 --json bench.json"
        })
public final class BenchCommand implements Callable<Integer>, Kobai.Verbosity {
    @Spec
    CommandSpec spec;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for Kobai's kernels (default: all cores).")
    Integer threads;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the figures to FILE as JSON.")
    Path json;

    @Option(names = "--quick", description = "Fewer repetitions and one epoch: a rough picture in about a minute.")
    boolean quick;

    @Option(names = "--only", paramLabel = "SECTION", split = ",",
            description = "Run only these sections (comma-separated).")
    List<String> only;

    @Option(names = "--epochs", paramLabel = "N", description = "Training epochs to time (default: 3, or 1 with --quick).")
    Integer epochs;

    @Option(names = "--isa", paramLabel = "MODE", defaultValue = "native",
            description = "native (default): the code this CPU runs best; avx2: measure in a JVM restricted to "
                    + "AVX2 code and its 16 vector registers (-XX:UseAVX=2), to see on an AVX-512 CPU what an "
                    + "AVX2 one does.")
    String isa;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    private static final List<String> SECTIONS = List.of("epoch", "matmul", "optim", "hvp", "kfac", "cnn", "conv");
    /** Sections that run only when --only names them: a cnn epoch on Fashion-MNIST takes a while. */
    private static final List<String> ON_REQUEST = List.of("cnn", "conv");

    @Override
    public boolean verbose() {
        return verbose;
    }

    @Override
    public Integer call() throws IOException {
        if (threads != null && threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        if (!isa.equals("native") && !isa.equals("avx2")) {
            throw new ParameterException(spec.commandLine(), "--isa: unknown mode '" + isa + "'; valid: native, avx2");
        }
        if (isa.equals("avx2")) {
            Optional<String> useAvx = MachineInfo.hotSpotOption("UseAVX");
            if (useAvx.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--isa avx2 needs an x86 CPU (HotSpot has no UseAVX "
                        + "flag on " + System.getProperty("os.arch") + ")");
            }
            if (Integer.parseInt(useAvx.get()) > 2) {
                return rerunWithAvx2();
            }
        }
        int before = Parallel.threads();
        try {
            if (threads != null) {
                Parallel.setThreads(threads);
            }
            return run();
        } finally {
            Parallel.setThreads(before); // in-process callers (tests) keep their own setting
        }
    }

    /**
     * HotSpot fixes its instruction set when it starts, so AVX2 mode is a second JVM: this one's
     * java, class path and options, plus -XX:UseAVX=2, running the same bench command; its output
     * and exit status are this command's.
     */
    private int rerunWithAvx2() throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-XX:UseAVX=2");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Kobai.class.getName());
        cmd.addAll(spec.commandLine().getParseResult().originalArgs()); // the whole command line, "bench" included
        // The child sees UseAVX=2 and measures in process; the flag it was given already holds it there.
        PrintWriter out = spec.commandLine().getOut();
        out.flush();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (var in = new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8)) {
            char[] buf = new char[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        }
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private int run() throws IOException {
        if (only != null) {
            for (String s : only) {
                if (!SECTIONS.contains(s)) {
                    throw new ParameterException(spec.commandLine(), "--only: unknown section '" + s + "'; valid: "
                            + String.join(", ", SECTIONS));
                }
            }
        }
        Outputs outputs = new Outputs();
        outputs.file("--json", json); // before minutes of measuring, not after
        outputs.data("the epoch benchmark's data", "fashion-mnist");
        outputs.requireDistinct();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> report = new LinkedHashMap<>();
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("threads", Parallel.threads());
        machine.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        machine.put("gemm", Kernels.gemm().name());
        MachineInfo info = MachineInfo.current();
        machine.putAll(info.json());
        machine.put("isa_mode", isa);
        machine.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        machine.put("load_average", loadAverage());
        report.put("machine", machine);
        out.printf(Locale.ROOT, "kobai bench: %d threads of %d cores, %s, gemm %s, load average %s%n",
                Parallel.threads(), Runtime.getRuntime().availableProcessors(), Runtime.version(), Kernels.gemm().name(),
                machine.get("load_average"));
        out.printf(Locale.ROOT, "  %s%n", info.line());
        out.flush();
        if (wants("epoch")) {
            report.put("epoch", epochs(out));
        }
        if (wants("matmul")) {
            report.put("matmul", matmul(out));
        }
        if (wants("optim")) {
            report.put("optim", optimizers(out));
        }
        if (wants("hvp")) {
            report.put("hvp", hvp(out));
        }
        if (wants("kfac")) {
            report.put("kfac", kfac(out));
        }
        if (wants("cnn")) {
            report.put("cnn", cnnEpochs(out));
        }
        if (wants("conv")) {
            report.put("conv", convolutions(out));
        }
        if (json != null) {
            Outputs.writeString(json, new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
                    .create().toJson(report) + "\n");
        }
        return 0;
    }

    private boolean wants(String section) {
        return only == null ? !ON_REQUEST.contains(section) : only.contains(section);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    // ------------------------------------------------------------------------------- timing

    /** Median seconds of one call, from repeated timings after a warm-up. */
    double time(Runnable body) {
        return time(new Runnable[] {body})[0];
    }

    /**
     * Median seconds of one call of each body, timed in alternation (a, b, a, b, ...) after a
     * warm-up of each, so that a machine's drift hits all of them alike.
     */
    double[] time(Runnable... bodies) {
        return time(quick ? 0.3 : 1.0, bodies);
    }

    /** As {@link #time(Runnable...)}, warming each body for {@code warmSeconds} first. */
    double[] time(double warmSeconds, Runnable... bodies) {
        double repSeconds = quick ? 0.01 : 0.03;
        int reps = quick ? 5 : 11;
        int[] inner = new int[bodies.length];
        for (int j = 0; j < bodies.length; j++) {
            Runnable body = bodies[j];
            long start = System.nanoTime();
            int calls = 0;
            while (System.nanoTime() - start < warmSeconds * 1e9 || calls < 3) {
                body.run();
                calls++;
            }
            double perCall = (System.nanoTime() - start) / 1e9 / calls;
            inner[j] = (int) Math.max(1, Math.min(1_000_000, Math.ceil(repSeconds / perCall)));
        }
        double[][] t = new double[bodies.length][reps];
        for (int r = 0; r < reps; r++) {
            for (int j = 0; j < bodies.length; j++) {
                long s = System.nanoTime();
                for (int i = 0; i < inner[j]; i++) {
                    bodies[j].run();
                }
                t[j][r] = (System.nanoTime() - s) / 1e9 / inner[j];
            }
        }
        double[] medians = new double[bodies.length];
        for (int j = 0; j < bodies.length; j++) {
            Arrays.sort(t[j]);
            medians[j] = t[j][reps / 2];
        }
        return medians;
    }

    // ------------------------------------------------------------------------------- sections

    private Map<String, Object> epochs(PrintWriter out) {
        String data = Files.isDirectory(Datasets.FASHION_MNIST_DIR) ? "fashion-mnist" : "digits";
        String model = data.equals("digits") ? "mlp:64-256-10" : Workloads.Model.SPEC;
        return epochs(out, data, model, "sgd:lr=0.1");
    }

    /** Epochs of the cnn preset with SGD and momentum, as the convolutional-network issue measures them. */
    private Map<String, Object> cnnEpochs(PrintWriter out) {
        String data = Files.isDirectory(Datasets.FASHION_MNIST_DIR) ? "fashion-mnist" : "digits";
        return epochs(out, data, "cnn", Workloads.CNN_OPTIMIZER);
    }

    private Map<String, Object> epochs(PrintWriter out, String data, String model, String optimizer) {
        int n = epochs != null ? epochs : quick ? 1 : 3;
        if (n < 1) {
            throw new UsageException("--epochs must be at least 1, got " + n);
        }
        TrainSettings settings = new TrainSettings(data, model, optimizer, n, Workloads.Model.BATCH, 1);
        out.printf(Locale.ROOT, "%nTraining epochs: %s on %s, %s, batch %d (training and test evaluation)%n",
                model, data, optimizer, Workloads.Model.BATCH);
        out.flush();
        long start = System.nanoTime();
        Training.Setup setup = Training.prepare(settings);
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        Trainer trainer = new Trainer(setup.model(), setup.optimizer());
        List<Map<String, Object>> rows = new ArrayList<>();
        TrainingListener quiet = new TrainingListener() {};
        for (int e = 1; e <= n; e++) {
            EpochMetrics m = trainer.runEpoch(e, setup.loader(), setup.data().test(), quiet);
            out.printf(Locale.ROOT, "  epoch %d: %7.3f s  test accuracy %.4f%n", e, m.seconds(), m.testAccuracy());
            out.flush();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", e);
            row.put("seconds", m.seconds());
            row.put("test_accuracy", m.testAccuracy());
            rows.add(row);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("data", data);
        r.put("model", model);
        r.put("optimizer", optimizer);
        r.put("batch_size", Workloads.Model.BATCH);
        r.put("load_seconds", loadSeconds);
        r.put("epochs", rows);
        return r;
    }

    /**
     * Each convolution of the cnn preset at batch 128, forward and both gradients, beside one matrix
     * product of the same multiply-adds (the weight times the whole batch's unfolded patches, a
     * [O, C kh kw] by [C kh kw, N OH OW] product, or its transposes): the convolution's GFLOP/s as a
     * share of the GEMM's is what the unfolding, the per-sample split and the bias cost.
     */
    private List<Map<String, Object>> convolutions(PrintWriter out) {
        out.printf(Locale.ROOT, "%nConvolutions of the cnn preset at batch %d (float32, %s), against the GEMM of the same size%n",
                Workloads.Model.BATCH, Kernels.gemm().name());
        out.printf(Locale.ROOT, "  %-34s %-8s %10s %9s %10s %9s %6s%n", "layer", "pass", "conv", "GFLOP/s", "gemm",
                "GFLOP/s", "share");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Workloads.ConvShape shape : Workloads.CNN_CONVOLUTIONS) {
            Workloads.ConvLayer layer = new Workloads.ConvLayer(shape, Workloads.Model.BATCH);
            for (Workloads.ConvPass pass : Workloads.ConvPass.values()) {
                if (pass == Workloads.ConvPass.INPUT_GRADIENT && shape.in() == 1) {
                    continue; // the first layer's input needs no gradient
                }
                double[] both = time(() -> layer.run(pass), () -> layer.gemm(pass));
                double flops = layer.flops();
                out.printf(Locale.ROOT, "  %-34s %-8s %7.3f ms %9.1f %7.3f ms %9.1f %6.2f%n", shape, pass.label(),
                        both[0] * 1e3, flops / both[0] / 1e9, both[1] * 1e3, flops / both[1] / 1e9, both[1] / both[0]);
                out.flush();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("layer", shape.toString());
                row.put("pass", pass.label());
                row.put("conv_seconds", both[0]);
                row.put("gemm_seconds", both[1]);
                row.put("gflops", flops / both[0] / 1e9);
                row.put("gemm_gflops", flops / both[1] / 1e9);
                row.put("share_of_gemm", both[1] / both[0]);
                rows.add(row);
            }
        }
        return rows;
    }

    private List<Map<String, Object>> matmul(PrintWriter out) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (boolean float64 : new boolean[] {false, true}) {
            String dtype = float64 ? "float64" : "float32";
            out.printf(Locale.ROOT, "%nMatrix products (%s, %s): median time and GFLOP/s%n", dtype, Kernels.gemm().name());
            out.printf(Locale.ROOT, "  %-24s %-22s %10s %9s%n", "role", "m x n x k", "time", "GFLOP/s");
            for (Workloads.MatmulShape s : Workloads.TRAINING_SHAPES) {
                Workloads.Matmul mm = new Workloads.Matmul(s, Kernels.gemm(), float64);
                double t = time(mm::run);
                double gflops = s.flops() / t / 1e9;
                out.printf(Locale.ROOT, "  %-24s %-22s %8.1f us %9.1f%n", s.role(), s, t * 1e6, gflops);
                out.flush();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("role", s.role());
                row.put("dtype", dtype);
                row.put("m", s.m());
                row.put("n", s.n());
                row.put("k", s.k());
                row.put("trans_a", s.transA());
                row.put("trans_b", s.transB());
                row.put("seconds", t);
                row.put("gflops", gflops);
                rows.add(row);
            }
        }
        return rows;
    }

    private Map<String, Object> optimizers(PrintWriter out) {
        int tensors = Workloads.TENSORS;
        int size = Workloads.TENSOR_SIZE;
        long params = (long) tensors * size;
        Map<String, Object> r = new LinkedHashMap<>();
        Workloads.ArrayCopy copy = new Workloads.ArrayCopy(params);
        double copySeconds = time(copy::run);
        double copyGbs = copy.bytes() / copySeconds / 1e9;
        r.put("parameters", params);
        r.put("arraycopy_gb_per_s", copyGbs);
        out.printf(Locale.ROOT, "%nOptimizer steps over %d float32 parameters (%d tensors of %d)%n", params, tensors, size);
        out.printf(Locale.ROOT, "  memory: System.arraycopy of %d floats: %.1f GB/s%n", params, copyGbs);
        out.printf(Locale.ROOT, "  %-26s %9s %6s %11s %9s %7s%n", "optimizer", "step", "B/elt", "mem. pass", "GB/s", "ratio");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String optSpec : Workloads.OPTIMIZERS) {
            Workloads.Traffic traffic = Workloads.traffic(optSpec);
            Workloads.MemoryPass pass = new Workloads.MemoryPass(traffic, tensors, size);
            Workloads.OptimizerStep step = new Workloads.OptimizerStep(optSpec, tensors, size);
            double[] both = time(step::step, pass::run);
            double t = both[0];
            double bound = both[1];
            double gbs = (double) traffic.bytesPerElement() * params / t / 1e9;
            out.printf(Locale.ROOT, "  %-26s %6.2f ms %6d %8.2f ms %9.1f %7.2f%n", optSpec, t * 1e3,
                    traffic.bytesPerElement(), bound * 1e3, gbs, t / bound);
            out.flush();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("optimizer", optSpec);
            row.put("step_seconds", t);
            row.put("bytes_per_parameter", traffic.bytesPerElement());
            row.put("memory_pass_seconds", bound);
            row.put("ratio_to_memory_pass", t / bound);
            row.put("gb_per_s", gbs);
            rows.add(row);
        }
        r.put("steps", rows);
        return r;
    }

    private Map<String, Object> hvp(PrintWriter out) {
        Workloads.HessianVector hv = new Workloads.HessianVector();
        double[] both = time(hv::gradient, hv::hessianVectorProduct);
        double grad = both[0];
        double hvp = both[1];
        out.printf(Locale.ROOT, "%nHessian-vector product of %s at batch %d (float32, forward included)%n",
                Workloads.Model.SPEC, Workloads.Model.BATCH);
        out.printf(Locale.ROOT, "  gradient %.3f ms, Hessian-vector product %.3f ms, ratio %.2f%n", grad * 1e3,
                hvp * 1e3, hvp / grad);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("gradient_seconds", grad);
        r.put("hvp_seconds", hvp);
        r.put("ratio", hvp / grad);
        return r;
    }

    private static int lcm(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }

    private static void runSteps(Workloads.TrainingStep step, int count) {
        for (int i = 0; i < count; i++) {
            step.run();
        }
    }

    private static final double KFAC_WARM_UP_SECONDS = 5.0;

    /** A training step with kfac (default options) against one with Adam on the same model and batch. */
    private Map<String, Object> kfac(PrintWriter out) {
        Map<String, Object> r = new LinkedHashMap<>();
        out.printf(Locale.ROOT, "%nTraining step of %s at batch %d: kfac against adam%n", Workloads.Model.SPEC,
                Workloads.Model.BATCH);
        Workloads.TrainingStep adam = new Workloads.TrainingStep("adam");
        Workloads.TrainingStep kfac = new Workloads.TrainingStep("kfac");
        // kfac re-estimates its factors and refreshes its inverses every so many steps: each timed call
        // runs a whole cycle of both periods, so the periodic work is in every figure rather than in a
        // few outliers that a median would drop
        Map<String, Object> d = dev.kobai.optim.KFAC.defaultOptions();
        int cycle = lcm(((Number) d.get("factor_update_period")).intValue(),
                ((Number) d.get("inv_update_period")).intValue());
        // a longer warm-up than the other sections: K-FAC's steps kept getting faster for its first 15
        // cycles or so (4 to 5 s), while the JIT compiler worked through the refresh and factor code
        double[] both = time(quick ? 1.0 : KFAC_WARM_UP_SECONDS, () -> runSteps(adam, cycle),
                () -> runSteps(kfac, cycle));
        double adamSeconds = both[0] / cycle;
        double kfacSeconds = both[1] / cycle;
        out.printf(Locale.ROOT, "  adam %.3f ms, kfac %.3f ms, ratio %.2f%n", adamSeconds * 1e3, kfacSeconds * 1e3,
                kfacSeconds / adamSeconds);
        r.put("adam_step_seconds", adamSeconds);
        r.put("kfac_step_seconds", kfacSeconds);
        r.put("cycle_steps", cycle);
        r.put("ratio", kfacSeconds / adamSeconds);
        return r;
    }
}
