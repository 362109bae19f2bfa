package dev.kobai;

/** Bad input from the user's command line or code: an unknown name, a malformed SPEC, a value out of range. */
public class UsageException extends KobaiException {
    public UsageException(String message) {
        super(message);
    }
}
