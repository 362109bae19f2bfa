package dev.kobai;

/** A data file that cannot be read as what it claims to be; the message names the file and the fault. */
public class DataFormatException extends KobaiException {
    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
