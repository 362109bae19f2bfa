package dev.kobai.data;

/** A training set and a held-out test set with the same sample shape and classes. */
public record TrainTest(Dataset train, Dataset test) {
    public TrainTest {
        if (!java.util.Arrays.equals(train.sampleShape(), test.sampleShape())
                || train.numClasses() != test.numClasses()) {
            throw new IllegalArgumentException("train " + train + " and test " + test + " do not match");
        }
    }
}
