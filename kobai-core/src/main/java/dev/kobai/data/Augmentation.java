package dev.kobai.data;

import dev.kobai.UsageException;
import dev.kobai.tensor.Rng;

/**
 * Random changes to training images, drawn afresh for every sample of every epoch: a random crop
 * with zero padding (torchvision's RandomCrop(size, padding=p): pad each side by p, then cut the
 * original size at an offset uniform in [0, 2p] on each axis) and a horizontal flip with
 * probability 1/2 (RandomHorizontalFlip). Crop first, then flip.
 *
 * <p>Written in a data spec after the data set, separated by commas: {@code fashion-mnist,crop=4,flip}.
 * The draws of a batch come from a generator seeded by the epoch's seed (drawn from the loader's
 * shuffling generator just after the epoch's order) and the batch's index, so a run resumed in the
 * middle of an epoch augments the rest of it exactly as the uninterrupted run would.
 *
 * @param cropPadding p, or 0 for no cropping
 * @param flip        whether to flip horizontally with probability 1/2
 */
public record Augmentation(int cropPadding, boolean flip) {
    public static final String HELP = "crop=P (random crop after zero padding of P pixels) and flip (horizontal, p=0.5)";

    public Augmentation {
        if (cropPadding < 0) {
            throw new IllegalArgumentException("crop padding must be non-negative, got " + cropPadding);
        }
    }

    /** Whether anything changes the images. */
    public boolean active() {
        return cropPadding > 0 || flip;
    }

    /**
     * Reads one option, {@code crop=P} or {@code flip} (also {@code flip=true|false}), into this
     * augmentation; null when {@code option} is not an augmentation option at all.
     */
    static Augmentation withOption(Augmentation base, String option) {
        String o = option.strip();
        int eq = o.indexOf('=');
        String key = eq < 0 ? o : o.substring(0, eq).strip();
        String value = eq < 0 ? null : o.substring(eq + 1).strip();
        switch (key) {
            case "crop" -> {
                if (value == null) {
                    throw new UsageException("data option 'crop' needs the padding, as in crop=4");
                }
                int p;
                try {
                    p = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw new UsageException("data option crop=" + value + ": the padding is not a whole number");
                }
                if (p < 1 || p > 64) {
                    throw new UsageException("data option crop=" + value + ": the padding must be between 1 and 64");
                }
                return new Augmentation(p, base.flip);
            }
            case "flip" -> {
                if (value != null && !value.equals("true") && !value.equals("false")) {
                    throw new UsageException("data option flip=" + value + ": expected flip, flip=true or flip=false");
                }
                return new Augmentation(base.cropPadding, value == null || value.equals("true"));
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * Augments the {@code b} images [C, H, W] stored one after another in {@code x}, in place,
     * drawing from {@code rng} per image: the crop offsets, then the flip.
     */
    void apply(float[] x, int b, int channels, int height, int width, Rng rng, float[] scratch) {
        int plane = height * width;
        int image = channels * plane;
        for (int s = 0; s < b; s++) {
            int at = s * image;
            if (cropPadding > 0) {
                int dy = rng.nextInt(2 * cropPadding + 1) - cropPadding;
                int dx = rng.nextInt(2 * cropPadding + 1) - cropPadding;
                System.arraycopy(x, at, scratch, 0, image);
                for (int c = 0; c < channels; c++) {
                    for (int r = 0; r < height; r++) {
                        int src = r + dy;
                        int dst = at + c * plane + r * width;
                        if (src < 0 || src >= height) {
                            java.util.Arrays.fill(x, dst, dst + width, 0f);
                            continue;
                        }
                        // output column j reads input column j + dx, zero outside
                        int lo = Math.max(0, -dx);
                        int hi = Math.min(width, width - dx);
                        java.util.Arrays.fill(x, dst, dst + lo, 0f);
                        if (hi > lo) {
                            System.arraycopy(scratch, c * plane + src * width + lo + dx, x, dst + lo, hi - lo);
                        }
                        java.util.Arrays.fill(x, dst + Math.max(lo, hi), dst + width, 0f);
                    }
                }
            }
            if (flip && rng.nextDouble() < 0.5) {
                for (int row = 0; row < channels * height; row++) {
                    int base = at + row * width;
                    for (int i = 0, j = width - 1; i < j; i++, j--) {
                        float t = x[base + i];
                        x[base + i] = x[base + j];
                        x[base + j] = t;
                    }
                }
            }
        }
    }

    /** "crop=4,flip" as the data spec writes it; empty when inactive. */
    public String spec() {
        StringBuilder sb = new StringBuilder();
        if (cropPadding > 0) {
            sb.append("crop=").append(cropPadding);
        }
        if (flip) {
            sb.append(sb.isEmpty() ? "" : ",").append("flip");
        }
        return sb.toString();
    }
}
