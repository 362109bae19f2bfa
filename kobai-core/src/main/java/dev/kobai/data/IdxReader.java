package dev.kobai.data;

import dev.kobai.DataFormatException;
import dev.kobai.io.InputFile;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: a magic number of two zero bytes, a type
 * byte and a dimension count, then one big-endian int32 per dimension, then the data in row-major
 * order. Files may be gzipped; that is recognised by the gzip magic bytes {@code 1f 8b}, not by the
 * file name, because mirrors are inconsistent about keeping or dropping the {@code .gz}.
 *
 * <p>Only type {@code 0x08} (unsigned byte) is supported, which is what every MNIST-style image and
 * label file uses. Declared sizes are checked against what the file can hold before anything is
 * allocated, so a corrupt header yields a {@link DataFormatException}, never an OutOfMemoryError.
 * Only a regular file is read, and no further than its size ({@link InputFile}).
 */
public final class IdxReader {
    /** The unsigned-byte type code, the only one supported. */
    public static final int TYPE_UBYTE = 0x08;

    /** The largest data size accepted: Java's practical array limit. */
    static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 8;

    /**
     * Deflate cannot expand data by more than about 1032 to 1; with a margin, a gzip file of {@code c}
     * bytes cannot decompress to more than this many times {@code c}.
     */
    private static final long GZIP_MAX_RATIO = 1100;

    private static final float[] BYTE_TO_UNIT = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            BYTE_TO_UNIT[i] = i / 255f;
        }
    }

    private IdxReader() {
    }

    /** The dimensions and raw unsigned-byte data of one IDX file. */
    public record Contents(int[] dims, byte[] data) {
        /** The first dimension: the number of items. */
        public int count() {
            return dims[0];
        }
    }

    /**
     * Reads one IDX file of unsigned bytes, plain or gzipped.
     *
     * @throws DataFormatException naming the file and the fault if it is missing, unreadable,
     *                             truncated, or not a well-formed unsigned-byte IDX file
     */
    public static Contents read(Path file) {
        long fileSize;
        InputStream opened;
        try {
            fileSize = InputFile.size(file);
            opened = InputFile.open(file);
        } catch (NoSuchFileException e) {
            throw fault(file, "no such file");
        } catch (IOException e) {
            throw fault(file, "cannot read: " + e.getMessage());
        }
        try (InputStream raw = new BufferedInputStream(opened, 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw;

            byte[] magic = new byte[4];
            int got = readUpTo(in, magic, 0, 4);
            if (got < 4) {
                throw fault(file, "truncated: " + got + " bytes, shorter than the 4-byte magic number");
            }
            if (magic[0] != 0 || magic[1] != 0) {
                throw fault(file, String.format("wrong magic number 0x%02X%02X%02X%02X: an IDX file starts with"
                        + " two zero bytes, a type byte and a dimension count",
                        magic[0] & 0xff, magic[1] & 0xff, magic[2] & 0xff, magic[3] & 0xff));
            }
            int type = magic[2] & 0xff;
            if (type != TYPE_UBYTE) {
                throw fault(file, String.format("unsupported data type 0x%02X: only 0x08 (unsigned byte) is supported",
                        type));
            }
            int ndims = magic[3] & 0xff;
            if (ndims == 0) {
                throw fault(file, "wrong magic number: it declares zero dimensions");
            }
            byte[] header = new byte[4 * ndims];
            got = readUpTo(in, header, 0, header.length);
            if (got < header.length) {
                throw fault(file, "truncated: the header declares " + ndims + " dimensions but ends after "
                        + got / 4);
            }
            int[] dims = new int[ndims];
            long dataBytes = 1;
            for (int k = 0; k < ndims; k++) {
                dims[k] = ((header[4 * k] & 0xff) << 24) | ((header[4 * k + 1] & 0xff) << 16)
                        | ((header[4 * k + 2] & 0xff) << 8) | (header[4 * k + 3] & 0xff);
                if (dims[k] < 0) {
                    throw fault(file, "dimension " + k + " is negative (" + dims[k] + ")");
                }
                // Saturate rather than overflow: any value past the limit is rejected below anyway.
                dataBytes = Math.min(dataBytes * dims[k], MAX_DATA_BYTES + 1);
            }
            String shape = shapeText(dims);
            if (dataBytes > MAX_DATA_BYTES) {
                throw fault(file, "dimensions " + shape + " declare more than " + MAX_DATA_BYTES
                        + " data bytes, more than the file can hold or Kobai can load");
            }
            long headerBytes = 4L + 4L * ndims;
            byte[] data;
            if (!gzip) {
                long present = fileSize - headerBytes;
                if (present < dataBytes) {
                    throw fault(file, "truncated: dimensions " + shape + " declare " + dataBytes
                            + " data bytes but only " + present + " follow the header");
                }
                if (present > dataBytes) {
                    throw fault(file, "dimensions " + shape + " disagree with the data size: they declare "
                            + dataBytes + " data bytes but " + present + " follow the header");
                }
                data = new byte[(int) dataBytes];
                if (readUpTo(in, data, 0, data.length) < data.length) {
                    throw fault(file, "truncated while reading (the file shrank?)");
                }
            } else {
                if (dataBytes > fileSize * GZIP_MAX_RATIO) {
                    throw fault(file, "dimensions " + shape + " declare " + dataBytes + " data bytes, more than a "
                            + fileSize + "-byte gzip file can hold");
                }
                // start at the declared size when the file could plausibly hold it (4 times its
                // compressed size): growing by doubling from 1 MB left about 60 MB of dead copies
                // behind for Fashion-MNIST's 47 MB of pixels, and raised the run's peak memory
                data = readGrowing(in, (int) dataBytes, (int) Math.min(dataBytes, Math.max(1 << 20, 4 * fileSize)));
                if (data.length < dataBytes) {
                    throw fault(file, "truncated: dimensions " + shape + " declare " + dataBytes
                            + " data bytes but only " + data.length + " follow the header");
                }
                if (in.read() != -1) {
                    throw fault(file, "dimensions " + shape + " disagree with the data size: more than the "
                            + dataBytes + " declared data bytes follow the header");
                }
            }
            return new Contents(dims, data);
        } catch (EOFException e) {
            throw fault(file, "truncated: the gzip stream ends early");
        } catch (ZipException e) {
            throw fault(file, "corrupt gzip data: " + e.getMessage());
        } catch (IOException e) {
            throw fault(file, "cannot read: " + e.getMessage());
        }
    }

    /**
     * Reads an image file and its label file as one dataset, pixels scaled from 0..255 to [0, 1].
     *
     * @param numClasses the number of classes, or 0 to take the largest label plus one
     * @param classNames one name per class, or empty
     * @throws DataFormatException if either file is bad, their counts differ, or a label is
     *                             {@code >= numClasses}
     */
    public static Dataset readDataset(Path images, Path labels, String name, int numClasses,
                                      List<String> classNames) {
        Contents img = read(images);
        Contents lab = read(labels);
        if (img.dims().length < 2) {
            throw fault(images, "an image file needs at least 2 dimensions (count, then sample shape), got "
                    + shapeText(img.dims()));
        }
        if (lab.dims().length != 1) {
            throw fault(labels, "a label file has exactly 1 dimension, got " + shapeText(lab.dims()));
        }
        for (int k = 1; k < img.dims().length; k++) {
            if (img.dims()[k] == 0) {
                throw fault(images, "dimensions " + shapeText(img.dims()) + " give images of no pixels (dimension " + k
                        + " is 0)");
            }
        }
        if (img.count() != lab.count()) {
            throw new DataFormatException(images + " holds " + img.count() + " images but " + labels
                    + " holds " + lab.count() + " labels; the counts must match");
        }
        byte[] lb = lab.data();
        int[] y = new int[lb.length];
        int maxLabel = -1;
        for (int i = 0; i < lb.length; i++) {
            y[i] = lb[i] & 0xff;
            if (numClasses > 0 && y[i] >= numClasses) {
                throw fault(labels, "label " + y[i] + " at index " + i + " is out of range 0.." + (numClasses - 1));
            }
            maxLabel = Math.max(maxLabel, y[i]);
        }
        byte[] px = img.data();
        float[] x = new float[px.length];
        for (int i = 0; i < px.length; i++) {
            x[i] = BYTE_TO_UNIT[px[i] & 0xff];
        }
        int[] sampleShape = Arrays.copyOfRange(img.dims(), 1, img.dims().length);
        int classes = numClasses > 0 ? numClasses : Math.max(1, maxLabel + 1);
        return new Dataset(name, x, y, sampleShape, classes, classNames);
    }

    static String shapeText(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < dims.length; k++) {
            sb.append(k == 0 ? "" : "x").append(dims[k]);
        }
        return sb.toString();
    }

    private static DataFormatException fault(Path file, String what) {
        return new DataFormatException(file + ": " + what);
    }

    private static int readUpTo(InputStream in, byte[] b, int off, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int r = in.read(b, off + total, len - total);
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }

    /**
     * Reads up to {@code limit} bytes into a buffer of {@code initial} bytes that grows only as data
     * actually arrives, so that a header claiming far more data than the stream holds costs at most
     * twice what is really there, or {@code initial}.
     */
    private static byte[] readGrowing(InputStream in, int limit, int initial) throws IOException {
        byte[] buf = new byte[Math.min(limit, initial)];
        int n = 0;
        while (n < limit) {
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min(limit, 2L * buf.length));
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
    }
}
