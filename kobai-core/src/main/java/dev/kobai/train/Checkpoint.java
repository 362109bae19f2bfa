package dev.kobai.train;

import dev.kobai.DataFormatException;
import dev.kobai.KobaiException;
import dev.kobai.UsageException;
import dev.kobai.data.DataLoader;
import dev.kobai.io.Json;
import dev.kobai.io.SafeTensors;
import dev.kobai.nn.Buffer;
import dev.kobai.nn.Dropout;
import dev.kobai.nn.IncompatibleKeys;
import dev.kobai.nn.Module;
import dev.kobai.nn.Parameter;
import dev.kobai.nn.StateDictMismatchException;
import dev.kobai.optim.Optimizer;
import dev.kobai.optim.StateDict;
import dev.kobai.optim.scheduler.LRScheduler;
import dev.kobai.tensor.DType;
import dev.kobai.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Checkpoints of a training run in the safetensors format, and exported model weights.
 *
 * <p>A checkpoint holds everything a run needs to continue bit for bit as if it had never stopped:
 * <ul>
 *   <li>tensors {@code model.NAME}: the weights, by parameter name, and the buffers (batch norm's
 *       running statistics; I64 for num_batches_tracked), by buffer name;</li>
 *   <li>tensors {@code optimizer.state.NAME.KEY} (and {@code ....KEY.I} for lists, as L-BFGS's
 *       history): the optimizer's tensor state, and metadata {@code optimizer.state.NAME}: that
 *       parameter's whole state as typed JSON (see {@link StateCodec}) referring to them;</li>
 *   <li>metadata {@code optimizer.class} and {@code optimizer.groups}: the optimizer and its
 *       groups' parameters and hyperparameters;</li>
 *   <li>metadata {@code scheduler}: the scheduler's state dict, when the run has one;</li>
 *   <li>I64 tensors {@code rng.shuffle.epoch_start} (the loader's generator when the current epoch
 *       began, which replays its order) and {@code rng.shuffle} (the generator now);</li>
 *   <li>I64 tensors {@code rng.dropout.NAME}: each dropout layer's mask generator, by module path;</li>
 *   <li>metadata {@code position} (epoch, batch, step, the epoch's running sums, ...),
 *       {@code history} (finished epochs' metrics), {@code settings} (the run's specs and numbers)
 *       and {@code checkpoint.every};</li>
 *   <li>metadata {@code kernel}: the matrix-product kernel the run used (the Java one at its vector
 *       width, or the system BLAS), whose rounding a bit-for-bit resume needs again;</li>
 *   <li>metadata {@code format} = {@value #FORMAT}, {@code format_version} and the checksum
 *       {@value SafeTensors#CHECKSUM_KEY}.</li>
 * </ul>
 * Non-finite numbers in position and history are written as the strings "NaN", "Infinity" and
 * "-Infinity".
 */
public final class Checkpoint {
    /** The metadata {@code format} of a checkpoint. */
    public static final String FORMAT = "kobai-checkpoint";
    /** The metadata {@code format} of a training loop's state alone ({@link #saveState}). */
    public static final String STATE_FORMAT = "kobai-state";
    /** The metadata {@code format} of exported weights. */
    public static final String WEIGHTS_FORMAT = "kobai-weights";
    /**
     * 2 since the mlp lost its leading Flatten (its layers are numbered from 0, as the same network
     * written in PyTorch); files of version 1 still load, their mlp names renamed (see
     * {@link #legacyNames}).
     */
    static final String VERSION = "2";
    /** The versions this Kobai reads. */
    static final Set<String> READABLE = Set.of("1", "2");
    /** Prefix of each dropout layer's generator state, followed by the layer's module path. */
    static final String DROPOUT_RNG = "rng.dropout.";
    private static final int MAX_META_CHARS = SafeTensors.MAX_HEADER_BYTES;

    private Checkpoint() {}

    /** What a checkpoint file holds besides the tensors that are restored into objects. */
    public record Saved(TrainSettings settings, Trainer.Position position, List<EpochMetrics> history, String every,
                        SafeTensors.Contents contents) {
        public Path file() {
            return Path.of(contents.source());
        }

        /**
         * The matrix-product kernel the run was trained with ({@code Kernels.gemm().name()}, such as
         * "vector(512-bit)" or "blas(libopenblas.so.0)"); null for checkpoints written before Kobai
         * recorded it. A run resumed with another kernel goes on, but not to the same bits.
         */
        public String kernel() {
            return contents.metadata().get("kernel");
        }
    }

    // ------------------------------------------------------------------ saving

    /**
     * The checkpoint's bytes. Refuses, with a {@link NumericalFaultException}, weights that are not
     * finite, so a checkpoint on disk is always one worth resuming from.
     */
    public static byte[] encode(TrainSettings settings, Trainer trainer, DataLoader loader, Trainer.Position position,
                                List<EpochMetrics> history, String every) {
        SafeTensors.Builder b = SafeTensors.builder();
        b.metadata("format", FORMAT).metadata("format_version", VERSION);
        putState(b, trainer.model(), trainer.optimizer(), trainer.scheduler(), position.step());
        if (position.epochStartRng() != null) {
            b.putLongs("rng.shuffle.epoch_start", position.epochStartRng());
        }
        if (loader.rngState() != null) {
            b.putLongs("rng.shuffle", loader.rngState());
        }
        b.metadata("position", Json.write(positionJson(position)));
        List<Object> hist = new ArrayList<>();
        for (EpochMetrics m : history) {
            hist.add(metricsJson(m));
        }
        b.metadata("history", Json.write(hist));
        b.metadata("settings", Json.write(settingsJson(settings)));
        b.metadata("checkpoint.every", every);
        b.metadata("kernel", dev.kobai.tensor.kernel.Kernels.gemm().name());
        return b.toBytes(true);
    }

    /**
     * The state a training loop needs to go on where it stopped, as {@code torch.save} of the model's,
     * optimizer's and scheduler's state dicts: the weights and buffers (under "model."), the
     * optimizer's groups and per-parameter state, the scheduler's state, and each dropout layer's
     * generator. For a loop of one's own; {@code kobai train} writes {@link #save} checkpoints, which
     * hold this and the run's settings, position and history.
     *
     * @param scheduler null when the loop has none
     * @throws NumericalFaultException if a weight is not finite (the file is then not written)
     */
    public static void saveState(Path file, Module model, Optimizer optimizer, LRScheduler scheduler) {
        SafeTensors.Builder b = SafeTensors.builder();
        b.metadata("format", STATE_FORMAT).metadata("format_version", VERSION);
        putState(b, model, optimizer, scheduler, -1);
        try {
            dev.kobai.io.AtomicFile.write(file, b.toBytes(true));
        } catch (IOException e) {
            throw new KobaiException("cannot write " + file + ": " + e.getMessage() + "; the previous file, if any,"
                    + " is kept", e);
        }
    }

    /**
     * Restores what {@link #saveState} wrote (or the same part of a {@link #save} checkpoint) into a
     * model, optimizer and scheduler built as the saved ones were: weights strictly by name, dtype
     * and shape, then the optimizer's state dict, then the scheduler's. Faults are
     * {@link DataFormatException}s naming the file, found before the model changes when they are in
     * the weights.
     *
     * @param scheduler null exactly when the saved loop had none
     */
    public static void loadState(Path file, Module model, Optimizer optimizer, LRScheduler scheduler) {
        SafeTensors.Contents c = readFormat(file, "training state", "format_version", STATE_FORMAT, FORMAT);
        restore(c, model, optimizer, scheduler);
    }

    /**
     * Reads {@code file} and checks that its metadata names one of {@code formats} and a version this
     * Kobai reads; {@code what} and {@code versionLabel} word the messages.
     */
    private static SafeTensors.Contents readFormat(Path file, String what, String versionLabel, String... formats) {
        SafeTensors.Contents c = SafeTensors.read(file);
        String format = c.metadata().get("format");
        if (!java.util.Arrays.asList(formats).contains(format)) { // List.of refuses to look for a missing (null) format
            throw new DataFormatException(file + ": not a Kobai " + what + " (metadata 'format' is "
                    + (format == null ? "missing" : "'" + format + "'") + ", expected '"
                    + String.join("' or '", formats) + "')");
        }
        String version = c.metadata().get("format_version");
        if (!READABLE.contains(version)) {
            throw new DataFormatException(file + ": " + versionLabel + " " + version + " is not one this Kobai reads ("
                    + String.join(", ", new java.util.TreeSet<>(READABLE)) + ")");
        }
        return c;
    }

    /**
     * Model, optimizer, scheduler and dropout state into {@code b}; {@code step} names the step in the
     * message when a weight is not finite (negative: none).
     */
    private static void putState(SafeTensors.Builder b, Module model, Optimizer optimizer, LRScheduler scheduler,
                                 long step) {
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            if (!e.getValue().allFinite()) {
                throw new NumericalFaultException("parameter '" + e.getKey() + "' is not finite"
                        + (step >= 0 ? " after step " + step + "; the checkpoint" : "; the file") + " was not written, so the last"
                        + " one is kept",
                        Math.max(step, 0), e.getKey());
            }
        }
        b.putStateDict("model.", model.stateDict());
        StateCodec codec = StateCodec.writer(b);
        StateDict sd = optimizer.stateDict();
        b.metadata("optimizer.class", sd.optimizer());
        List<Object> groups = new ArrayList<>();
        for (StateDict.Group g : sd.groups()) {
            Map<String, Object> group = new LinkedHashMap<>();
            group.put("params", g.params());
            group.put("options", codec.encode(g.options(), "optimizer.groups"));
            groups.add(group);
        }
        b.metadata("optimizer.groups", Json.write(groups));
        for (Map.Entry<String, Map<String, Object>> e : sd.state().entrySet()) {
            Map<String, Object> state = new LinkedHashMap<>();
            for (Map.Entry<String, Object> item : e.getValue().entrySet()) {
                state.put(item.getKey(), codec.encode(item.getValue(),
                        "optimizer.state." + e.getKey() + "." + item.getKey()));
            }
            b.metadata("optimizer.state." + e.getKey(), Json.write(state));
        }
        if (scheduler != null) {
            b.metadata("scheduler", Json.write(codec.encode(scheduler.stateDict(), "scheduler")));
        }
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Dropout d) {
                b.putLongs(DROPOUT_RNG + e.getKey(), d.generator().state());
            }
        }
    }

    /** Writes a checkpoint atomically (see {@link dev.kobai.io.AtomicFile}). */
    public static void save(Path file, TrainSettings settings, Trainer trainer, DataLoader loader,
                            Trainer.Position position, List<EpochMetrics> history, String every) {
        byte[] bytes = encode(settings, trainer, loader, position, history, every);
        try {
            dev.kobai.io.AtomicFile.write(file, bytes);
        } catch (IOException e) {
            throw new KobaiException("cannot write checkpoint " + file + ": " + e.getMessage()
                    + "; the previous checkpoint, if any, is kept", e);
        }
    }

    /**
     * Writes a model's weights alone, by parameter name, readable by any safetensors reader,
     * atomically. Refuses, with a {@link NumericalFaultException}, weights that are not finite: the
     * file is then not written, and an older one stays as it was.
     */
    public static void exportWeights(Path file, Module model) {
        SafeTensors.Builder b = SafeTensors.builder();
        b.metadata("format", WEIGHTS_FORMAT).metadata("format_version", VERSION);
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            if (!e.getValue().allFinite()) {
                throw new NumericalFaultException("parameter '" + e.getKey() + "' is not finite; the weights were"
                        + " not exported to " + file, -1, e.getKey());
            }
        }
        b.putStateDict("", model.stateDict());
        try {
            b.write(file);
        } catch (IOException e) {
            throw new KobaiException("cannot write weights " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> positionJson(Trainer.Position p) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("epoch", p.epoch());
        o.put("batch", p.batch());
        o.put("step", p.step());
        o.put("loss_sum", num(p.lossSum()));
        o.put("seen", p.seen());
        o.put("epoch_lr", num(p.epochLr()));
        o.put("epoch_skipped", p.epochSkipped());
        o.put("total_skipped", p.totalSkipped());
        o.put("last_finite_loss", num(p.lastFiniteLoss()));
        return o;
    }

    private static Map<String, Object> metricsJson(EpochMetrics m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("epoch", m.epoch());
        o.put("train_loss", num(m.trainLoss()));
        o.put("test_loss", num(m.testLoss()));
        o.put("test_accuracy", num(m.testAccuracy()));
        o.put("seconds", num(m.seconds()));
        o.put("lr", num(m.lr()));
        o.put("skipped_steps", m.skippedSteps());
        return o;
    }

    private static Map<String, Object> settingsJson(TrainSettings s) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("data", s.data());
        o.put("model", s.model());
        o.put("optimizer", s.optimizer());
        o.put("epochs", s.epochs());
        o.put("batch_size", s.batchSize());
        o.put("seed", s.seed());
        o.put("scheduler", s.scheduler());
        o.put("clip_grad_norm", s.clipGradNorm());
        o.put("clip_grad_value", s.clipGradValue());
        o.put("skip_nonfinite", s.skipNonFinite());
        o.put("init", s.init());
        return o;
    }

    private static Object num(double d) {
        return Double.isFinite(d) ? d : Double.toString(d);
    }

    // ------------------------------------------------------------------ loading

    /** Reads and checks a checkpoint file: its structure, checksum, settings and position. */
    public static Saved read(Path file) {
        SafeTensors.Contents c = readFormat(file, "checkpoint", "checkpoint format_version", FORMAT);
        if (c.metadata().get(SafeTensors.CHECKSUM_KEY) == null) {
            throw new DataFormatException(file + ": checkpoint has no checksum (" + SafeTensors.CHECKSUM_KEY + ")");
        }
        Reader r = new Reader(c);
        Map<String, Object> s = r.object("settings");
        TrainSettings settings = new TrainSettings(r.string(s, "settings", "data", false),
                r.string(s, "settings", "model", false), r.string(s, "settings", "optimizer", false),
                r.integer(s, "settings", "epochs"), r.integer(s, "settings", "batch_size"),
                r.longValue(s, "settings", "seed"), r.string(s, "settings", "scheduler", true),
                r.optionalDouble(s, "settings", "clip_grad_norm"), r.optionalDouble(s, "settings", "clip_grad_value"),
                r.bool(s, "settings", "skip_nonfinite"), r.string(s, "settings", "init", true));
        Map<String, Object> p = r.object("position");
        long[] epochRng = c.entries().containsKey("rng.shuffle.epoch_start") ? c.longs("rng.shuffle.epoch_start") : null;
        if (epochRng != null && epochRng.length != 6) {
            throw new DataFormatException(file + ": tensor 'rng.shuffle.epoch_start' has " + epochRng.length
                    + " words, a generator state has 6");
        }
        Trainer.Position position = new Trainer.Position(r.integer(p, "position", "epoch"),
                r.integer(p, "position", "batch"), r.longValue(p, "position", "step"), epochRng,
                r.dbl(p, "position", "loss_sum"), r.longValue(p, "position", "seen"), r.dbl(p, "position", "epoch_lr"),
                r.longValue(p, "position", "epoch_skipped"), r.longValue(p, "position", "total_skipped"),
                r.dbl(p, "position", "last_finite_loss"));
        if (position.epoch() < 1 || position.batch() < 0 || position.step() < 0) {
            throw new DataFormatException(file + ": position " + c.metadata().get("position") + " is out of range");
        }
        List<EpochMetrics> history = new ArrayList<>();
        Object h = r.json("history");
        if (!(h instanceof List<?> list)) {
            throw new DataFormatException(file + ": metadata 'history' is not an array");
        }
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> raw)) {
                throw new DataFormatException(file + ": metadata 'history' holds " + item + ", not an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) raw;
            history.add(new EpochMetrics(r.integer(m, "history", "epoch"), r.dbl(m, "history", "train_loss"),
                    r.dbl(m, "history", "test_loss"), r.dbl(m, "history", "test_accuracy"),
                    r.dbl(m, "history", "seconds"), r.dbl(m, "history", "lr"),
                    r.longValue(m, "history", "skipped_steps")));
        }
        // What the file alone can tell about the position; the batch against the epoch's length is
        // checked once the data are loaded (Training), before anything is trained.
        if (position.epoch() > settings.epochs() + 1 || (position.epoch() == settings.epochs() + 1
                && position.batch() > 0)) {
            throw new DataFormatException(file + ": position epoch " + position.epoch() + ", batch " + position.batch()
                    + " lies past the end of the run's " + settings.epochs() + " epochs");
        }
        if (position.batch() > 0 && epochRng == null) {
            throw new DataFormatException(file + ": position batch " + position.batch() + " lies inside epoch "
                    + position.epoch() + " but tensor 'rng.shuffle.epoch_start', the generator state that replays"
                    + " that epoch's order, is missing");
        }
        if (history.size() != position.epoch() - 1) {
            throw new DataFormatException(file + ": metadata 'history' holds " + history.size() + " epochs but the"
                    + " position, epoch " + position.epoch() + ", follows " + (position.epoch() - 1));
        }
        String every = c.metadata().getOrDefault("checkpoint.every", "epoch");
        return new Saved(settings, position, history, every, c);
    }

    /**
     * Restores a checkpoint into a model, optimizer and scheduler built from its settings (the
     * scheduler already constructed, as constructing one changes the learning rates): weights
     * strictly by name, dtype and shape, then the optimizer's state dict, then the scheduler's.
     */
    public static void restore(Saved saved, Module model, Optimizer optimizer, LRScheduler scheduler) {
        restore(saved.contents(), model, optimizer, scheduler);
    }

    private static void restore(SafeTensors.Contents c, Module model, Optimizer optimizer, LRScheduler scheduler) {
        String file = c.source();
        Map<String, Tensor> weights = c.stateDict("model.");
        UnaryOperator<String> rename = legacyNames(c, weights.keySet(), model);
        checkDtypes(c, model, rename);
        load(renamed(weights, rename), model, true, file);
        for (Map.Entry<String, Module> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Dropout d) {
                String name = DROPOUT_RNG + e.getKey();
                long[] state = c.longs(name);
                if (state.length != 6) {
                    throw new DataFormatException(file + ": tensor '" + name + "' has " + state.length
                            + " words, a generator state has 6");
                }
                d.generator().setState(state);
            }
        }
        StateCodec codec = StateCodec.reader(c);
        Reader r = new Reader(c);
        String kind = c.metadata().get("optimizer.class");
        if (kind == null) {
            throw new DataFormatException(file + ": metadata 'optimizer.class' is missing");
        }
        if (!kind.equals(optimizer.getClass().getSimpleName())) {
            throw new DataFormatException(file + ": the checkpoint holds the state of " + kind + ", the run's optimizer"
                    + " is " + optimizer.getClass().getSimpleName());
        }
        Object groupsJson = r.json("optimizer.groups");
        if (!(groupsJson instanceof List<?> groupList)) {
            throw new DataFormatException(file + ": metadata 'optimizer.groups' is not an array");
        }
        List<StateDict.Group> groups = new ArrayList<>();
        for (int i = 0; i < groupList.size(); i++) {
            if (!(groupList.get(i) instanceof Map<?, ?> g) || !(g.get("params") instanceof List<?> params)
                    || !(codec.decode(g.get("options"), "optimizer.groups[" + i + "].options") instanceof Map<?, ?> opts)) {
                throw new DataFormatException(file + ": metadata 'optimizer.groups' entry " + i
                        + " needs 'params' (names) and 'options' (a map)");
            }
            List<String> names = new ArrayList<>();
            for (Object n : params) {
                if (!(n instanceof String name)) {
                    throw new DataFormatException(file + ": optimizer group " + i + " lists " + n + " as a parameter");
                }
                names.add(rename.apply(name));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> options = (Map<String, Object>) opts;
            groups.add(new StateDict.Group(names, options));
        }
        Map<String, Map<String, Object>> state = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : c.metadata().entrySet()) {
            if (!e.getKey().startsWith("optimizer.state.")) {
                continue;
            }
            String param = e.getKey().substring("optimizer.state.".length());
            if (!(r.json(e.getKey()) instanceof Map<?, ?> m)) {
                throw new DataFormatException(file + ": metadata '" + e.getKey() + "' is not a map of state values");
            }
            Map<String, Object> st = new LinkedHashMap<>();
            for (Map.Entry<?, ?> item : m.entrySet()) {
                st.put((String) item.getKey(), codec.decode(item.getValue(), e.getKey() + "." + item.getKey()));
            }
            // shapes are the optimizer's to check: not every state tensor is shaped as its parameter
            // (K-FAC's factors and inverses)
            state.put(rename.apply(param), st);
        }
        try {
            optimizer.loadStateDict(new StateDict(kind, groups, state));
        } catch (UsageException e) {
            throw new DataFormatException(file + ": optimizer state does not fit the model: " + e.getMessage(), e);
        }
        String sched = c.metadata().get("scheduler");
        if ((sched == null) != (scheduler == null)) {
            throw new DataFormatException(file + ": the checkpoint " + (sched == null ? "has no" : "has a")
                    + " scheduler state but the run " + (scheduler == null ? "has no" : "has a") + " scheduler");
        }
        if (scheduler != null) {
            Object decoded = codec.decode(r.json("scheduler"), "scheduler");
            if (!(decoded instanceof Map<?, ?> m)) {
                throw new DataFormatException(file + ": metadata 'scheduler' is not a map");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> st = (Map<String, Object>) m;
            try {
                scheduler.loadStateDict(st);
            } catch (UsageException | ClassCastException | NullPointerException e) {
                throw new DataFormatException(file + ": scheduler state does not fit "
                        + scheduler.getClass().getSimpleName() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Starts a model from the weights in {@code file} ({@code kobai train --init}): exported weights or
     * a checkpoint of Kobai, or a state dict saved from PyTorch in the safetensors format under the
     * same names. Every parameter and buffer must be there with its shape and nothing else may be;
     * otherwise a UsageException lists every mismatch at once, and the model is left as it was. A
     * float tensor of the other float dtype is converted (float32 to float64 exactly), as torch's
     * load_state_dict converts.
     */
    public static void initialWeights(Path file, Module model) {
        Map<String, Tensor> weights = fileWeights(SafeTensors.read(file), model);
        try {
            model.loadStateDict(weights, true);
        } catch (StateDictMismatchException e) {
            throw new UsageException("--init " + file + " does not fit the model: " + e.faults());
        }
    }

    /**
     * Loads weights into {@code model} with {@link Module#loadStateDict}: exported weights (names as
     * the model's), a checkpoint (names under {@code model.}, the rest ignored) or a PyTorch state
     * dict. Files written by Kobai before format_version 2 with an mlp's old names load under the
     * new ones. A float tensor of the other float dtype is converted, as torch converts. Strict:
     * every parameter and buffer present with its shape, and no other tensor; not strict, missing
     * and unexpected keys are returned and the rest is loaded. A shape mismatch is always refused;
     * a refused load is a {@link DataFormatException} naming the file and every fault, with the
     * model left as it was.
     */
    public static IncompatibleKeys loadWeights(Path file, Module model, boolean strict) {
        return load(fileWeights(SafeTensors.read(file), model), model, strict, file.toString());
    }

    /** The model's tensors of a file (under {@code model.} in a checkpoint) by this Kobai's names. */
    private static Map<String, Tensor> fileWeights(SafeTensors.Contents c, Module model) {
        Map<String, Tensor> weights = c.stateDict(FORMAT.equals(c.metadata().get("format")) ? "model." : "");
        return renamed(weights, legacyNames(c, weights.keySet(), model));
    }

    private static IncompatibleKeys load(Map<String, Tensor> weights, Module model, boolean strict, String file) {
        try {
            return model.loadStateDict(weights, strict);
        } catch (StateDictMismatchException e) {
            throw new DataFormatException(file + ": " + e.faults(), e);
        }
    }

    /**
     * How a file's model names map to this Kobai's: the identity, except for a file written by Kobai
     * before format_version 2 whose names fit the model only with every leading layer index one
     * lower. That is an mlp of then, whose layers began with a Flatten at index 0 ({@code 1.weight},
     * {@code 3.weight}) where they now begin with the first Linear ({@code 0.weight}, {@code 2.weight});
     * no other model's names changed.
     */
    static UnaryOperator<String> legacyNames(SafeTensors.Contents c, Set<String> names,
                                                               Module model) {
        String format = c.metadata().get("format");
        boolean kobai = FORMAT.equals(format) || WEIGHTS_FORMAT.equals(format);
        Set<String> wanted = model.stateDict().keySet();
        if (!kobai || !"1".equals(c.metadata().get("format_version")) || names.equals(wanted)) {
            return UnaryOperator.identity();
        }
        UnaryOperator<String> shift = name -> {
            int dot = name.indexOf('.');
            try {
                int index = Integer.parseInt(name.substring(0, Math.max(dot, 0)));
                return index >= 1 ? (index - 1) + name.substring(dot) : name;
            } catch (NumberFormatException e) {
                return name;
            }
        };
        Set<String> shifted = new HashSet<>();
        names.forEach(n -> shifted.add(shift.apply(n)));
        return shifted.equals(wanted) && shifted.size() == names.size() ? shift
                : UnaryOperator.identity();
    }

    private static Map<String, Tensor> renamed(Map<String, Tensor> weights, UnaryOperator<String> rename) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        weights.forEach((k, v) -> out.put(rename.apply(k), v));
        return out;
    }

    /**
     * A checkpoint restores into the model its own settings build, so its tensors must have the
     * model's dtypes exactly (F32 or F64, I64 for integral buffers): another dtype means another
     * run's file, not one to convert.
     */
    private static void checkDtypes(SafeTensors.Contents c, Module model, UnaryOperator<String> rename) {
        Map<String, Tensor> targets = model.stateDict();
        for (SafeTensors.Entry e : c.entries().values()) {
            if (!e.name().startsWith("model.")) {
                continue;
            }
            String key = rename.apply(e.name().substring("model.".length()));
            Tensor t = targets.get(key);
            if (t == null) {
                continue; // loadStateDict names it
            }
            SafeTensors.Dtype dtype = t.holdsInt64() ? SafeTensors.Dtype.I64
                    : t.dtype() == DType.FLOAT32 ? SafeTensors.Dtype.F32 : SafeTensors.Dtype.F64;
            if (e.dtype() != dtype) {
                throw new DataFormatException(c.source() + ": tensor '" + e.name() + "' has dtype " + e.dtype() + ", the"
                        + " model's " + (t instanceof Buffer ? "buffer" : "parameter") + " '" + key + "' is " + dtype);
            }
        }
    }

    /** Reads typed fields of the metadata's JSON, with messages naming the file and field. */
    private record Reader(SafeTensors.Contents c) {
        Object json(String key) {
            String text = c.metadata().get(key);
            if (text == null) {
                throw new DataFormatException(c.source() + ": metadata '" + key + "' is missing");
            }
            try {
                return Json.parse(text, MAX_META_CHARS);
            } catch (DataFormatException e) {
                throw new DataFormatException(c.source() + ": metadata '" + key + "' is not JSON (" + e.getMessage()
                        + ")", e);
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> object(String key) {
            if (!(json(key) instanceof Map<?, ?> m)) {
                throw new DataFormatException(c.source() + ": metadata '" + key + "' is not a JSON object");
            }
            return (Map<String, Object>) m;
        }

        private DataFormatException bad(String where, String field, Object v, String expected) {
            return new DataFormatException(c.source() + ": metadata '" + where + "': '" + field + "' is "
                    + (v == null ? "missing" : v) + ", expected " + expected);
        }

        String string(Map<String, Object> m, String where, String field, boolean optional) {
            Object v = m.get(field);
            if (v instanceof String s) {
                return s;
            }
            if (v == null && optional) {
                return null;
            }
            throw bad(where, field, v, "a string");
        }

        long longValue(Map<String, Object> m, String where, String field) {
            if (m.get(field) instanceof Long l) {
                return l;
            }
            throw bad(where, field, m.get(field), "an integer");
        }

        int integer(Map<String, Object> m, String where, String field) {
            long l = longValue(m, where, field);
            if (l != (int) l) {
                throw bad(where, field, l, "an int");
            }
            return (int) l;
        }

        boolean bool(Map<String, Object> m, String where, String field) {
            if (m.get(field) instanceof Boolean b) {
                return b;
            }
            throw bad(where, field, m.get(field), "true or false");
        }

        double dbl(Map<String, Object> m, String where, String field) {
            Object v = m.get(field);
            if (v instanceof Double d) {
                return d;
            }
            if (v instanceof Long l) {
                return l;
            }
            if (v instanceof String s && (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity"))) {
                return Double.parseDouble(s);
            }
            throw bad(where, field, v, "a number");
        }

        Double optionalDouble(Map<String, Object> m, String where, String field) {
            return m.get(field) == null ? null : dbl(m, where, field);
        }
    }
}
