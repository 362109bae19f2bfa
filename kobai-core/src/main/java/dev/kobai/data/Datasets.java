package dev.kobai.data;

import dev.kobai.DataFormatException;
import dev.kobai.UsageException;
import dev.kobai.io.InputFile;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The datasets Kobai knows by name, and {@link #fromSpec(String)} to choose one from a command-line
 * SPEC. Every loader returns a train/test pair: the IDX sets come with their own test files, the
 * others are split with {@link #SPLIT_SEED} so the same spec always gives the same split.
 */
public final class Datasets {
    /** Where Debian's package dataset-fashion-mnist installs the IDX files. */
    public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The ten Fashion-MNIST classes, in label order. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover",
            "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** The seed of every split this class makes, fixed so results are comparable across runs. */
    public static final long SPLIT_SEED = 20240611L;

    /** The share of samples held out for testing when a dataset has no test set of its own. */
    public static final double TEST_FRACTION = 0.2;

    /** The dataset specs {@link #fromSpec} accepts, for help texts. */
    public static final List<String> SPEC_FORMS = List.of("digits", "fashion-mnist", "fashion-mnist:DIR",
            "idx:DIR", "csv:FILE");

    /**
     * A data spec split into the data set and its augmentation options: {@code fashion-mnist,crop=4,flip}
     * is {@code fashion-mnist} with a random crop after padding by 4 and random horizontal flips.
     * Options are the trailing comma-separated parts that name one ({@link Augmentation#HELP}).
     */
    public record Spec(String dataset, Augmentation augmentation) {}

    /** Splits a data spec into its data set and augmentation; a malformed option is a UsageException. */
    public static Spec parse(String spec) {
        String s = spec == null ? "" : spec.strip();
        Augmentation augmentation = new Augmentation(0, false);
        int comma = s.indexOf(',');
        if (comma < 0) {
            return new Spec(s, augmentation);
        }
        String base = s.substring(0, comma).strip();
        for (String option : s.substring(comma + 1).split(",", -1)) {
            Augmentation next = Augmentation.withOption(augmentation, option);
            if (next == null) {
                throw new UsageException("data spec '" + s + "': unknown option '" + option.strip() + "'; valid: "
                        + Augmentation.HELP);
            }
            augmentation = next;
        }
        return new Spec(base, augmentation);
    }

    private static final String DIGITS_RESOURCE = "/dev/kobai/data/digits.csv.gz";

    private Datasets() {
    }

    /**
     * The dataset a SPEC names: {@code digits}, {@code fashion-mnist}, {@code fashion-mnist:DIR},
     * {@code idx:DIR} or {@code csv:FILE}; augmentation options after it ({@link #parse}) are checked
     * and left to the loader.
     *
     * @throws UsageException      for an unknown spec, listing the valid forms, or for missing files
     * @throws DataFormatException for a file that is present but bad
     */
    public static TrainTest fromSpec(String spec) {
        String s = parse(spec).dataset();
        if (s.equals("digits")) {
            return digits();
        }
        if (s.equals("fashion-mnist")) {
            return fashionMnist(FASHION_MNIST_DIR);
        }
        int colon = s.indexOf(':');
        if (colon > 0) {
            String kind = s.substring(0, colon);
            String arg = s.substring(colon + 1);
            if (kind.equals("fashion-mnist") || kind.equals("idx") || kind.equals("csv")) {
                if (arg.isBlank()) {
                    throw new UsageException("dataset spec '" + s + "' lacks its " + (kind.equals("csv") ? "FILE" : "DIR")
                            + "; valid forms: " + String.join(", ", SPEC_FORMS));
                }
                Path p;
                try {
                    p = Path.of(arg);
                } catch (java.nio.file.InvalidPathException e) {
                    // e.g. a name that is not ASCII under the C locale, which the JDK cannot encode
                    throw new UsageException("dataset spec '" + s + "': " + e.getMessage());
                }
                return switch (kind) {
                    case "fashion-mnist" -> fashionMnist(p);
                    case "idx" -> idx(p);
                    default -> csv(p, null);
                };
            }
        }
        throw new UsageException("unknown dataset '" + s + "'; valid forms: " + String.join(", ", SPEC_FORMS));
    }

    /**
     * The files {@link #fromSpec} would read for {@code spec}, without reading them: the CSV file, or
     * the IDX files present in the directory; none for the embedded digits or a spec that is not
     * valid (reading it reports that). Commands check that no output overwrites one of them.
     */
    public static List<Path> files(String spec) {
        String s = parse(spec).dataset();
        int colon = s.indexOf(':');
        String kind = colon > 0 ? s.substring(0, colon) : s;
        String arg = colon > 0 ? s.substring(colon + 1) : "";
        try {
            if (kind.equals("csv") && !arg.isBlank()) {
                return List.of(Path.of(arg));
            }
            Path dir;
            if (s.equals("fashion-mnist")) {
                dir = FASHION_MNIST_DIR;
            } else if ((kind.equals("fashion-mnist") || kind.equals("idx")) && !arg.isBlank()) {
                dir = Path.of(arg);
            } else {
                return List.of();
            }
            List<Path> found = new java.util.ArrayList<>();
            for (String[] name : new String[][] {{"train-images", "idx3-ubyte"}, {"train-labels", "idx1-ubyte"},
                {"t10k-images", "idx3-ubyte"}, {"t10k-labels", "idx1-ubyte"}}) {
                for (String sep : new String[] {"-", "."}) {
                    for (String ext : new String[] {"", ".gz"}) {
                        Path p = dir.resolve(name[0] + sep + name[1] + ext);
                        if (Files.isRegularFile(p)) {
                            found.add(p);
                        }
                    }
                }
            }
            return List.copyOf(found);
        } catch (java.nio.file.InvalidPathException e) {
            return List.of();
        }
    }

    /**
     * The UCI optical handwritten digits (8x8 images, 1,797 samples, ten classes), embedded in Kobai,
     * pixels scaled from 0..16 to [0, 1], split 80/20 with {@link #SPLIT_SEED}.
     */
    public static TrainTest digits() {
        return digitsAll().split(TEST_FRACTION, SPLIT_SEED);
    }

    /** All 1,797 embedded digits, unsplit, pixels in [0, 1]. */
    public static Dataset digitsAll() {
        Dataset raw;
        try (InputStream in = Datasets.class.getResourceAsStream(DIGITS_RESOURCE)) {
            if (in == null) {
                throw new DataFormatException(DIGITS_RESOURCE + ": embedded digits resource missing from the classpath");
            }
            Reader r = new InputStreamReader(new GZIPInputStream(in, 1 << 16), StandardCharsets.US_ASCII);
            raw = CsvReader.read(r, "classpath:" + DIGITS_RESOURCE, "digits", null);
        } catch (IOException e) {
            throw new DataFormatException("classpath:" + DIGITS_RESOURCE + ": cannot read: " + e.getMessage(), e);
        }
        if (raw.featureCount() != 64 || raw.numClasses() != 10) {
            throw new DataFormatException("classpath:" + DIGITS_RESOURCE + ": expected 64 features and 10 classes, got "
                    + raw.featureCount() + " and " + raw.numClasses());
        }
        float[] x = raw.features();
        for (int i = 0; i < x.length; i++) {
            if (x[i] < 0 || x[i] > 16) {
                throw new DataFormatException("classpath:" + DIGITS_RESOURCE + ": pixel " + x[i]
                        + " of sample " + i / 64 + " outside 0..16");
            }
            x[i] /= 16f;
        }
        return new Dataset("digits", x, raw.labels(), new int[] {8, 8}, 10,
                List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
    }

    /**
     * Fashion-MNIST from the four IDX files in {@code dir}, gzipped or not, with its class names.
     *
     * @throws UsageException if a file is missing, naming the directory and how to get the data
     */
    public static TrainTest fashionMnist(Path dir) {
        return idxPair(dir, "fashion-mnist", 10, FASHION_MNIST_CLASSES);
    }

    /**
     * An MNIST-style dataset from the IDX files {@code train-images-idx3-ubyte},
     * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}
     * in {@code dir} (each possibly with {@code .gz}, or with a dot before {@code idx}). The number of
     * classes is the largest label in either part plus one.
     */
    public static TrainTest idx(Path dir) {
        return idxPair(dir, dir.getFileName() == null ? "idx" : dir.getFileName().toString(), 0, List.of());
    }

    /**
     * A CSV dataset (see {@link CsvReader}) split 80/20 with {@link #SPLIT_SEED}.
     *
     * @param labelColumn the label column's header name, or null for the last column
     * @throws UsageException if the file does not exist
     */
    public static TrainTest csv(Path file, String labelColumn) {
        InputFile.require("CSV file", file);
        return CsvReader.read(file, labelColumn).split(TEST_FRACTION, SPLIT_SEED);
    }

    private static TrainTest idxPair(Path dir, String name, int numClasses, List<String> classNames) {
        if (!Files.isDirectory(dir)) {
            throw missing(dir, "no such directory");
        }
        Path trainImages = find(dir, "train-images", "idx3-ubyte");
        Path trainLabels = find(dir, "train-labels", "idx1-ubyte");
        Path testImages = find(dir, "t10k-images", "idx3-ubyte");
        Path testLabels = find(dir, "t10k-labels", "idx1-ubyte");
        Dataset train = IdxReader.readDataset(trainImages, trainLabels, name + "/train", numClasses, classNames);
        Dataset test = IdxReader.readDataset(testImages, testLabels, name + "/test", numClasses, classNames);
        requireSamples(trainImages, train, "training");
        requireSamples(testImages, test, "test");
        if (!java.util.Arrays.equals(train.sampleShape(), test.sampleShape())) {
            throw new DataFormatException(trainImages + " holds " + IdxReader.shapeText(train.sampleShape())
                    + " samples but " + testImages + " holds " + IdxReader.shapeText(test.sampleShape()));
        }
        if (numClasses == 0 && train.numClasses() != test.numClasses()) {
            // Classes were inferred per file; widen the smaller so both parts agree.
            int k = Math.max(train.numClasses(), test.numClasses());
            train = new Dataset(train.name(), train.features(), train.labels(), train.sampleShape(), k, classNames);
            test = new Dataset(test.name(), test.features(), test.labels(), test.sampleShape(), k, classNames);
        }
        return new TrainTest(train, test);
    }

    /**
     * Refuses a part of a data set without samples, as a usage error naming its file: training on
     * it would train on nothing, testing on it report an accuracy measured on nothing.
     */
    private static void requireSamples(Path file, Dataset part, String which) {
        if (part.size() == 0) {
            throw new UsageException(file + " holds 0 images: the " + which + " set of a data set needs at least one");
        }
    }

    /** The first of the file's accepted names that exists; one that is not a regular file is refused, not skipped. */
    private static Path find(Path dir, String prefix, String suffix) {
        for (String sep : new String[] {"-", "."}) {
            for (String ext : new String[] {"", ".gz"}) {
                Path p = dir.resolve(prefix + sep + suffix + ext);
                if (Files.exists(p)) {
                    InputFile.require("dataset directory " + dir, p);
                    return p;
                }
            }
        }
        throw missing(dir, "no " + prefix + "-" + suffix + "[.gz] file");
    }

    private static UsageException missing(Path dir, String what) {
        return new UsageException("dataset directory " + dir + ": " + what + "; install Fashion-MNIST with"
                + " 'apt-get install dataset-fashion-mnist' or point at a directory of IDX files with"
                + " '--data fashion-mnist:DIR' (or 'idx:DIR')");
    }
}
