package dev.kobai.tensor;

/**
 * A seeded pseudo-random generator whose whole state can be read and restored, so that a run
 * resumed from a checkpoint draws exactly the numbers it would have drawn uninterrupted.
 *
 * <p>The generator is xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators", 2021), seeded through SplitMix64 so that nearby seeds give unrelated streams.
 * Every random choice in Kobai (initial weights, minibatch order, dropout masks, data splits)
 * takes one of these; none reads a global or time-based source.
 */
public final class Rng {
    private long s0, s1, s2, s3;
    private double spareGaussian;
    private boolean hasSpareGaussian;

    public Rng(long seed) {
        long x = seed;
        s0 = splitMix(x += 0x9E3779B97F4A7C15L);
        s1 = splitMix(x += 0x9E3779B97F4A7C15L);
        s2 = splitMix(x += 0x9E3779B97F4A7C15L);
        s3 = splitMix(x + 0x9E3779B97F4A7C15L);
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Next 64 uniformly distributed bits. */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [lo, hi). */
    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /** Uniform integer in [0, bound), without modulo bias (Lemire's method). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (0x100000000L - bound) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Standard normal deviate (Marsaglia's polar method). */
    public double nextGaussian() {
        if (hasSpareGaussian) {
            hasSpareGaussian = false;
            return spareGaussian;
        }
        double u, v, s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double scale = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * scale;
        hasSpareGaussian = true;
        return u * scale;
    }

    /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** An independent generator derived from this one's next draw. */
    public Rng fork() {
        return new Rng(nextLong());
    }

    /** The complete state, for checkpoints: four state words, the spare-Gaussian flag and value bits. */
    public long[] state() {
        return new long[] {s0, s1, s2, s3, hasSpareGaussian ? 1 : 0, Double.doubleToRawLongBits(spareGaussian)};
    }

    /** Restores a state returned by {@link #state()}. */
    public void setState(long[] state) {
        if (state == null || state.length != 6) {
            throw new IllegalArgumentException("an Rng state has 6 words, got "
                    + (state == null ? "null" : state.length));
        }
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
        hasSpareGaussian = state[4] != 0;
        spareGaussian = Double.longBitsToDouble(state[5]);
    }
}
