package dev.kobai;

/** The base of Kobai's own errors: each carries a one-line message naming the fault and where it is. */
public class KobaiException extends RuntimeException {
    public KobaiException(String message) {
        super(message);
    }

    public KobaiException(String message, Throwable cause) {
        super(message, cause);
    }
}
