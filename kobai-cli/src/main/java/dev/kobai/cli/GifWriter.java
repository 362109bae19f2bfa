package dev.kobai.cli;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import dev.kobai.io.AtomicFile;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Writes an animated, looping GIF with the JDK's own ImageIO writer. Frames come in as RGB images
 * and are mapped onto one fixed palette; after the first, each frame marks the pixels that did not
 * change as transparent and is cropped to the rectangle that did, which keeps a race of hundreds of
 * frames small. The NETSCAPE2.0 application extension that makes viewers loop is written on the
 * first frame only.
 *
 * <p>The file is replaced atomically ({@link AtomicFile}): frames go to a temporary file beside it,
 * renamed over it by {@link #finish()}; until then, and for ever if the race fails or is killed,
 * the old file stays whole.
 */
final class GifWriter implements Closeable {
    /** The palette index left free to mean "unchanged since the previous frame". */
    private static final int TRANSPARENT = 255;

    private final AtomicFile.Replacement file;
    private final ImageOutputStream stream;
    private final ImageWriter writer;
    private final IndexColorModel palette;
    private final int[] rgbOfIndex;
    private final int[] cacheKeys = new int[1 << 16];
    private final byte[] cacheValues = new byte[1 << 16];
    private int cached;
    private byte[] previous;
    private int width;
    private int height;
    private int frames;
    private boolean streamClosed;

    /**
     * Starts replacing {@code path}; {@code colours} are RGB values the frames use exactly (at most
     * 254 of them), to which the palette adds a colour cube for the blends that anti-aliasing makes.
     */
    GifWriter(Path path, List<Integer> colours) throws IOException {
        this.file = AtomicFile.begin(path);
        this.stream = new MemoryCacheImageOutputStream(file.stream());
        this.writer = ImageIO.getImageWritersByFormatName("gif").next();
        try {
            writer.setOutput(stream);
            writer.prepareWriteSequence(null);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        List<Integer> all = new ArrayList<>();
        for (int c : colours) {
            if (all.size() < 254 && !all.contains(c & 0xFFFFFF)) {
                all.add(c & 0xFFFFFF);
            }
        }
        // Fill the rest with an evenly spaced colour cube for anti-aliased edges.
        int[] steps = {0, 64, 128, 192, 255};
        outer:
        for (int r : steps) {
            for (int g : steps) {
                for (int b : steps) {
                    if (all.size() >= 255) {
                        break outer;
                    }
                    int c = (r << 16) | (g << 8) | b;
                    if (!all.contains(c)) {
                        all.add(c);
                    }
                }
            }
        }
        while (all.size() < 256) {
            all.add(0);
        }
        rgbOfIndex = all.stream().mapToInt(Integer::intValue).toArray();
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            r[i] = (byte) (rgbOfIndex[i] >> 16);
            g[i] = (byte) (rgbOfIndex[i] >> 8);
            b[i] = (byte) rgbOfIndex[i];
        }
        palette = new IndexColorModel(8, 256, r, g, b, TRANSPARENT);
    }

    /** Appends a frame shown for {@code delayCentiseconds} hundredths of a second. */
    void add(BufferedImage rgb, int delayCentiseconds) throws IOException {
        int w = rgb.getWidth();
        int h = rgb.getHeight();
        if (frames == 0) {
            width = w;
            height = h;
        } else if (w != width || h != height) {
            throw new IllegalArgumentException("frame size " + w + "x" + h + " differs from " + width + "x" + height);
        }
        int[] pixels = rgb.getRGB(0, 0, w, h, null, 0, w);
        byte[] indices = new byte[w * h];
        for (int i = 0; i < pixels.length; i++) {
            indices[i] = index(pixels[i]);
        }
        int x0 = 0;
        int y0 = 0;
        int x1 = w - 1;
        int y1 = h - 1;
        byte[] out = indices;
        if (previous != null) {
            x0 = w;
            y0 = h;
            x1 = -1;
            y1 = -1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = y * w + x;
                    if (indices[i] != previous[i]) {
                        x0 = Math.min(x0, x);
                        x1 = Math.max(x1, x);
                        y0 = Math.min(y0, y);
                        y1 = Math.max(y1, y);
                    }
                }
            }
            if (x1 < 0) {
                // Nothing changed: a one-pixel transparent frame keeps the frame count and the delay.
                x0 = x1 = y0 = y1 = 0;
            }
            int cw = x1 - x0 + 1;
            int ch = y1 - y0 + 1;
            out = new byte[cw * ch];
            for (int y = 0; y < ch; y++) {
                for (int x = 0; x < cw; x++) {
                    int i = (y + y0) * w + (x + x0);
                    out[y * cw + x] = indices[i] == previous[i] ? (byte) TRANSPARENT : indices[i];
                }
            }
        }
        int cw = x1 - x0 + 1;
        int ch = y1 - y0 + 1;
        BufferedImage frame = new BufferedImage(cw, ch, BufferedImage.TYPE_BYTE_INDEXED, palette);
        byte[] raster = ((DataBufferByte) frame.getRaster().getDataBuffer()).getData();
        System.arraycopy(out, 0, raster, 0, out.length);
        writer.writeToSequence(new IIOImage(frame, null, metadata(frame, delayCentiseconds, x0, y0)), null);
        previous = indices;
        frames++;
    }

    private IIOMetadata metadata(BufferedImage frame, int delay, int left, int top) throws IOException {
        ImageWriteParam param = writer.getDefaultWriteParam();
        IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), param);
        String format = meta.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);

        IIOMetadataNode descriptor = child(root, "ImageDescriptor");
        descriptor.setAttribute("imageLeftPosition", Integer.toString(left));
        descriptor.setAttribute("imageTopPosition", Integer.toString(top));
        descriptor.setAttribute("imageWidth", Integer.toString(frame.getWidth()));
        descriptor.setAttribute("imageHeight", Integer.toString(frame.getHeight()));
        descriptor.setAttribute("interlaceFlag", "FALSE");

        IIOMetadataNode control = child(root, "GraphicControlExtension");
        control.setAttribute("disposalMethod", "doNotDispose");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", frames == 0 ? "FALSE" : "TRUE");
        control.setAttribute("transparentColorIndex", Integer.toString(TRANSPARENT));
        control.setAttribute("delayTime", Integer.toString(delay));

        if (frames == 0) {
            // Loop for ever: NETSCAPE2.0, sub-block 1, loop count 0 (little-endian), first frame only.
            IIOMetadataNode apps = child(root, "ApplicationExtensions");
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[] {1, 0, 0});
            apps.appendChild(app);
        }
        meta.setFromTree(format, root);
        return meta;
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }

    /** The palette index nearest to {@code argb}, cached by exact colour in an open-addressed table. */
    private byte index(int argb) {
        int rgb = argb & 0xFFFFFF;
        int mask = cacheKeys.length - 1;
        int slot = (rgb * 0x9E3779B1 >>> 16) & mask;
        while (true) {
            int k = cacheKeys[slot];
            if (k == rgb + 1) {
                return cacheValues[slot];
            }
            if (k == 0) {
                break;
            }
            slot = (slot + 1) & mask;
        }
        if (cached * 2 > cacheKeys.length) {
            // Full enough: forget everything rather than grow; a frame uses few colours.
            java.util.Arrays.fill(cacheKeys, 0);
            cached = 0;
            slot = (rgb * 0x9E3779B1 >>> 16) & mask;
        }
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        int best = 0;
        long bestD = Long.MAX_VALUE;
        for (int i = 0; i < TRANSPARENT && bestD > 0; i++) {
            int dr = r - ((rgbOfIndex[i] >> 16) & 0xFF);
            int dg = g - ((rgbOfIndex[i] >> 8) & 0xFF);
            int db = b - (rgbOfIndex[i] & 0xFF);
            long d = 2L * dr * dr + 4L * dg * dg + 3L * db * db;
            if (d < bestD) {
                bestD = d;
                best = i;
            }
        }
        cacheKeys[slot] = rgb + 1;
        cacheValues[slot] = (byte) best;
        cached++;
        return (byte) best;
    }

    /** Frames written so far. */
    int frames() {
        return frames;
    }

    /** Ends the GIF and renames it over the file. */
    void finish() throws IOException {
        if (frames > 0) {
            writer.endWriteSequence();
        }
        streamClosed = true;
        stream.close();
        file.commit();
    }

    /** Releases the writer; without {@link #finish()}, the file is left as it was. */
    @Override
    public void close() throws IOException {
        try {
            writer.dispose();
            if (!streamClosed) {
                streamClosed = true;
                stream.close();
            }
        } finally {
            file.close();
        }
    }
}
