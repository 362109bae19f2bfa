package dev.kobai.serve;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.sun.net.httpserver.HttpExchange;
import dev.kobai.KobaiException;
import dev.kobai.UsageException;
import dev.kobai.cli.RacePresets;
import dev.kobai.serve.HttpError.Problem;
import dev.kobai.data.Datasets;
import dev.kobai.train.EpochMetrics;
import dev.kobai.train.TrainSettings;
import dev.kobai.train.Trainer;
import dev.kobai.train.Training;
import dev.kobai.train.TrainingListener;
import dev.kobai.data.TrainTest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * The training lab: {@code GET /api/train?data=digits&model=SPEC&epochs=N&batch=B&seed=S&opt=[LABEL=]SPEC...}
 * trains the model once per optimizer, as {@code kobai compare} does: every run starts from the
 * weights the seed draws and sees the minibatches in the order the seed draws
 * ({@link Training#build}), so the numbers are compare's for the same settings. The answer is a
 * stream of server-sent events: {@code start} (the runs), {@code batch} (every few steps: the
 * run, epoch, step and minibatch loss), {@code epoch} (each run's epoch metrics, one per epoch),
 * then {@code done}, or {@code failed} with a one-line message when a run fails (a diverged loss).
 *
 * <p>Bounds: the data is {@code digits}, or {@code fashion-mnist} when Debian's copy is installed
 * (no other path can be named); at most {@link #MAX_RUNS} optimizers, {@link #MAX_EPOCHS}
 * epochs, a model spec of 200 characters that fits the memory check, {@link #MAX_SECONDS}
 * seconds in all, and one training at a time (a second gets 503). A client that closes the
 * stream (the page's Stop) stops the training at its next minibatch.
 */
final class TrainLab {
    static final int MAX_RUNS = 6;
    static final int MAX_EPOCHS = 20;
    static final int MAX_SECONDS = 300;
    /** A batch event every this many steps, and at the end of each epoch. */
    private static final int BATCH_EVERY = 5;

    private static final Semaphore ONE_AT_A_TIME = new Semaphore(1);

    private TrainLab() {}

    /** Whether a training is running now. */
    static boolean running() {
        return ONE_AT_A_TIME.availablePermits() == 0;
    }

    static void handle(Api.Request req, HttpExchange exchange) throws IOException {
        Map<String, String> q = req.query();
        String data = q.getOrDefault("data", "digits");
        if (!data.equals("digits") && !data.equals("fashion-mnist")) {
            throw HttpError.badRequest(Problem.DATA, "value", data);
        }
        if (data.equals("fashion-mnist") && !Files.isDirectory(Datasets.FASHION_MNIST_DIR)) {
            throw HttpError.badRequest(Problem.NO_FASHION, "path", Datasets.FASHION_MNIST_DIR,
                    "package", "dataset-fashion-mnist");
        }
        String model = q.getOrDefault("model", data.equals("digits") ? "mlp:64-64-10" : "mlp:784-256-10");
        if (model.length() > 200) {
            throw HttpError.badRequest(Problem.MODEL_LONG, "length", model.length(), "max", 200);
        }
        int epochs = Api.intParam(q, "epochs", 5, 1, MAX_EPOCHS);
        int batch = Api.intParam(q, "batch", 64, 1, 4096);
        int seed = Api.intParam(q, "seed", 1, 0, Integer.MAX_VALUE);
        List<RacePresets.Entry> runs = new ArrayList<>();
        for (String text : req.all("opt")) {
            if (text.length() > Api.MAX_SPEC) {
                throw HttpError.badRequest(Problem.OPT_LONG, "length", text.length(), "max", Api.MAX_SPEC);
            }
            try {
                runs.add(RacePresets.parseEntry(text));
            } catch (UsageException e) {
                throw HttpError.badRequest(Problem.BAD_OPT, "spec", text, "detail", e.getMessage());
            }
        }
        if (runs.isEmpty() || runs.size() > MAX_RUNS) {
            throw HttpError.badRequest(Problem.OPT_COUNT, "max", MAX_RUNS, "count", runs.size());
        }
        runs = RacePresets.distinctLabels(runs);
        if (!ONE_AT_A_TIME.tryAcquire()) {
            throw new HttpError(503, Problem.TRAINING_BUSY);
        }
        try {
            TrainTest set;
            List<TrainSettings> settings = new ArrayList<>();
            try {
                set = Training.load(new TrainSettings(data, model, runs.getFirst().spec(), epochs, batch, seed));
            } catch (KobaiException | IllegalArgumentException e) {
                throw HttpError.badRequest(Problem.BAD_TRAINING, "detail", e.getMessage());
            }
            for (RacePresets.Entry e : runs) {
                TrainSettings s = new TrainSettings(data, model, e.spec(), epochs, batch, seed);
                try {
                    Training.requireMemory(s, set);
                    // Builds each optimizer once on the model, so that a bad value is a 400 before any event.
                    Training.build(s, set);
                } catch (KobaiException | IllegalArgumentException ex) {
                    throw HttpError.badRequest(Problem.BAD_OPT, "spec", e.spec(), "detail", ex.getMessage());
                }
                settings.add(s);
            }
            stream(exchange, set, runs, settings);
        } finally {
            ONE_AT_A_TIME.release();
        }
    }

    private static void stream(HttpExchange exchange, TrainTest set, List<RacePresets.Entry> runs,
                               List<TrainSettings> settings) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            Events events = new Events(out);
            JsonObject start = new JsonObject();
            start.add("runs", Api.entries(runs));
            TrainSettings first = settings.getFirst();
            start.addProperty("data", first.data());
            start.addProperty("model", first.model());
            start.addProperty("epochs", first.epochs());
            start.addProperty("batch", first.batchSize());
            start.addProperty("seed", first.seed());
            start.addProperty("train", set.train().size());
            start.addProperty("test", set.test().size());
            start.addProperty("batchesPerEpoch", dev.kobai.data.DataLoader.batchesPerEpoch(set.train().size(),
                    first.batchSize()));
            events.send("start", start);
            long deadline = System.nanoTime() + MAX_SECONDS * 1_000_000_000L;
            for (int r = 0; r < runs.size(); r++) {
                int run = r;
                Training.Setup setup = Training.build(settings.get(r), set);
                int perEpoch = setup.loader().batchesPerEpoch();
                TrainingListener listener = new TrainingListener() {
                    @Override
                    public void onBatchEnd(int epoch, int batch, double loss) {
                        if (batch % BATCH_EVERY == 0 || batch == perEpoch) {
                            JsonObject o = new JsonObject();
                            o.addProperty("run", run);
                            o.addProperty("epoch", epoch);
                            o.addProperty("step", (long) (epoch - 1) * perEpoch + batch);
                            o.add("loss", number(loss));
                            events.send("batch", o);
                        }
                        Api.checkDeadline(deadline);
                    }

                    @Override
                    public void onEpochEnd(EpochMetrics m) {
                        JsonObject o = new JsonObject();
                        o.addProperty("run", run);
                        o.addProperty("epoch", m.epoch());
                        o.add("train_loss", number(m.trainLoss()));
                        o.add("test_loss", number(m.testLoss()));
                        o.add("test_accuracy", number(m.testAccuracy()));
                        o.add("seconds", number(m.seconds()));
                        events.send("epoch", o);
                    }
                };
                try {
                    new Trainer(setup.model(), setup.optimizer()).fit(setup.loader(), set.test(),
                            settings.get(r).epochs(), listener);
                } catch (KobaiException | HttpError | IllegalStateException | ArithmeticException e) {
                    JsonObject o = new JsonObject();
                    o.addProperty("run", run);
                    KobaiServer.errorJson(e instanceof HttpError h ? h
                            : HttpError.badRequest(Problem.TRAINING_FAILED, "detail", e.getMessage())).asMap().forEach(o::add);
                    events.send("failed", o);
                    if (e instanceof HttpError) {
                        return;
                    }
                }
            }
            events.send("done", new JsonObject());
        }
    }

    private static com.google.gson.JsonElement number(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    /** Server-sent events, each flushed at once; a client gone stops the training. */
    private record Events(OutputStream out) {
        void send(String event, JsonObject data) {
            try {
                out.write(("event: " + event + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new KobaiServer.StreamGone(e);
            }
        }
    }
}
