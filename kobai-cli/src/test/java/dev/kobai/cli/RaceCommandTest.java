package dev.kobai.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kobai.surface.Surfaces;
import dev.kobai.surface.Trace;
import dev.kobai.tensor.DType;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class RaceCommandTest {
    /** What a GIF holds, frame by frame, as the JDK's reader decodes it. */
    record Gif(int frames, int[] delays, int loopExtensions, int loopCount, int width, int height) {}

    static Gif decode(Path file) throws Exception {
        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            reader.setInput(in);
            int n = reader.getNumImages(true);
            int[] delays = new int[n];
            int loops = 0;
            int loopCount = -1;
            for (int i = 0; i < n; i++) {
                reader.read(i);
                IIOMetadataNode root = (IIOMetadataNode) reader.getImageMetadata(i)
                        .getAsTree("javax_imageio_gif_image_1.0");
                Element control = (Element) root.getElementsByTagName("GraphicControlExtension").item(0);
                delays[i] = Integer.parseInt(control.getAttribute("delayTime"));
                NodeList apps = root.getElementsByTagName("ApplicationExtension");
                for (int k = 0; k < apps.getLength(); k++) {
                    IIOMetadataNode app = (IIOMetadataNode) apps.item(k);
                    if ("NETSCAPE".equals(app.getAttribute("applicationID"))
                            && "2.0".equals(app.getAttribute("authenticationCode"))) {
                        loops++;
                        byte[] data = (byte[]) app.getUserObject();
                        assertEquals(1, data[0], "sub-block id of the looping extension");
                        loopCount = (data[1] & 0xFF) | (data[2] & 0xFF) << 8;
                        assertEquals(0, i, "the looping extension belongs on the first frame");
                    }
                }
            }
            IIOMetadataNode stream = (IIOMetadataNode) reader.getStreamMetadata().getAsTree("javax_imageio_gif_stream_1.0");
            Element screen = (Element) stream.getElementsByTagName("LogicalScreenDescriptor").item(0);
            return new Gif(n, delays, loops, loopCount, Integer.parseInt(screen.getAttribute("logicalScreenWidth")),
                    Integer.parseInt(screen.getAttribute("logicalScreenHeight")));
        } finally {
            reader.dispose();
        }
    }

    @Test
    void gifHasOneFramePerStepShownLoopsOnceDeclaredAndKeepsTheDelay(@TempDir Path dir) throws Exception {
        Path gif = dir.resolve("r.gif");
        Path png = dir.resolve("r.png");
        Path csv = dir.resolve("r.csv");
        CliUsageTest.Result r = CliUsageTest.kobai("race", "--surface", "booth", "--optimizer", "sgd:lr=0.05",
                "--optimizer", "Adam=adam:lr=0.5", "--steps", "12", "--fps", "10", "--hold", "1.5", "--size",
                "640x400", "--out", gif.toString(), "--png", png.toString(), "--csv", csv.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(13 frames)"), r.out());
        Gif g = decode(gif);
        assertEquals(13, g.frames(), "steps 0 to 12");
        assertEquals(1, g.loopExtensions());
        assertEquals(0, g.loopCount(), "0 means for ever");
        for (int i = 0; i < 12; i++) {
            assertEquals(10, g.delays()[i], "frame " + i + " at 10 fps");
        }
        assertEquals(150, g.delays()[12], "the last frame holds 1.5 s");
        assertEquals(640, g.width());
        assertEquals(400, g.height());

        BufferedImage still = ImageIO.read(png.toFile());
        assertNotNull(still);
        assertEquals(640, still.getWidth());
        assertEquals(400, still.getHeight());
        assertTrue(distinctColours(still) > 20, "a drawn picture, not a blank one");
    }

    @Test
    void everyKStepsGivesAFrameForEachKthStepAndTheLast(@TempDir Path dir) throws Exception {
        Path gif = dir.resolve("r.gif");
        CliUsageTest.Result r = CliUsageTest.kobai("race", "--surface", "himmelblau", "--optimizer", "adam:lr=0.1",
                "--steps", "12", "--every", "5", "--fps", "25", "--hold", "0", "--out", gif.toString());
        assertEquals(0, r.code(), r.err());
        Gif g = decode(gif);
        assertEquals(4, g.frames(), "steps 0, 5, 10 and 12");
        assertTrue(Arrays.stream(g.delays()).allMatch(d -> d == 4), Arrays.toString(g.delays()));
    }

    @Test
    void csvHoldsExactlyThePathsKobaiTracePrints(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("paths.csv");
        String momentum = "sgd:lr=0.001,momentum=0.9";
        CliUsageTest.Result r = CliUsageTest.kobai("race", "--surface", "rosenbrock", "--start", "-1.2,1",
                "--optimizer", "Momentum=" + momentum, "--optimizer", "adam:lr=0.05", "--steps", "40", "--out",
                dir.resolve("r.gif").toString(), "--csv", csv.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(csv);
        assertEquals("optimizer,spec,step,x,y,loss", lines.getFirst());
        assertEquals(1 + 2 * 41, lines.size());
        for (String[] run : new String[][] {{"Momentum", "\"" + momentum + "\"", momentum}, {"adam", "adam:lr=0.05",
                "adam:lr=0.05"}}) {
            CliUsageTest.Result trace = CliUsageTest.kobai("trace", "--surface", "rosenbrock", "--start", "-1.2,1",
                    "--optimizer", run[2], "--steps", "40");
            assertEquals(0, trace.code(), trace.err());
            List<String> traced = trace.out().lines().skip(1).toList();
            String prefix = run[0] + "," + run[1] + ",";
            List<String> raced = new ArrayList<>();
            for (String line : lines) {
                if (line.startsWith(prefix)) {
                    raced.add(line.substring(prefix.length()));
                }
            }
            assertEquals(traced, raced, run[0]);
        }
        // And the same numbers as the library's Trace gives.
        var path = Trace.run(Surfaces.byName("rosenbrock"), "adam:lr=0.05", null, 40, DType.FLOAT64);
        String[] last = lines.getLast().split(",");
        assertEquals(path.getLast().x(), Double.parseDouble(last[3]));
        assertEquals(path.getLast().y(), Double.parseDouble(last[4]));
    }

    @Test
    void aDivergingPathIsReportedAndTheRaceStillSucceeds(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("p.csv");
        Path png = dir.resolve("p.png");
        CliUsageTest.Result r = CliUsageTest.kobai("race", "--surface", "rosenbrock", "--optimizer", "sgd:lr=0.01",
                "--optimizer", "adam:lr=0.01", "--steps", "30", "--out", dir.resolve("p.gif").toString(), "--png",
                png.toString(), "--csv", csv.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*sgd +sgd:lr=0.01 +(diverged at step \\d+ \\(NaN or infinite\\)|left the plot at"
                + " step \\d+).*"), r.out());
        assertTrue(r.out().matches("(?s).*adam +adam:lr=0.01 +ends at.*"), r.out());
        assertEquals(1 + 2 * 31, Files.readAllLines(csv).size(), "every step is recorded, diverged or not");
        assertNotNull(ImageIO.read(png.toFile()));
    }

    /** Pixels of exactly the legend's red, which only a NaN or infinite path is told in. */
    private static long redPixels(Path png) throws Exception {
        BufferedImage img = ImageIO.read(png.toFile());
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                n += (img.getRGB(x, y) & 0xFFFFFF) == 0xB00020 ? 1 : 0;
            }
        }
        return n;
    }

    @Test
    void aPathThatLeavesAnUnboundedSurfaceIsNotCalledDiverged(@TempDir Path dir) throws Exception {
        // A plane has no minimum: SGD walks off the window with every number finite.
        Path png = dir.resolve("plane.png");
        CliUsageTest.Result r = CliUsageTest.kobai("race", "--surface", "expr:x+y", "--domain", "-1,1,-1,1",
                "--start", "0,0", "--optimizer", "sgd:lr=0.1", "--steps", "30", "--out",
                dir.resolve("plane.gif").toString(), "--png", png.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*sgd +sgd:lr=0.1 +left the plot at step 1\\d\n.*"), r.out());
        assertTrue(!r.out().contains("diverged"), r.out());
        assertEquals(0, redPixels(png), "leaving the plot is told in a neutral colour");

        // An overflow to infinity is divergence, in red.
        Path nan = dir.resolve("nan.png");
        CliUsageTest.Result d = CliUsageTest.kobai("race", "--surface", "rosenbrock", "--optimizer", "sgd:lr=1e30",
                "--steps", "10", "--out", dir.resolve("nan.gif").toString(), "--png", nan.toString());
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().matches("(?s).*sgd +sgd:lr=1e30 +(diverged at step \\d+ \\(NaN or infinite\\)|left the plot"
                + " at step \\d+, NaN or infinite from step \\d+)\n.*"), d.out());
        assertTrue(redPixels(nan) > 0, "a NaN or infinite path is told in red");
    }

    @Test
    void expressionSurfacesRaceAndTrace(@TempDir Path dir) throws Exception {
        CliUsageTest.Result r = CliUsageTest.kobai("race", "--surface", "expr:x^2 + 10*y^2 + sin(3*x)", "--domain",
                "-3,3,-2,2", "--start", "2.5,1.5", "--optimizer", "rmsprop:lr=0.05", "--steps", "20", "--out",
                dir.resolve("e.gif").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(21, decode(dir.resolve("e.gif")).frames());
        CliUsageTest.Result t = CliUsageTest.kobai("trace", "--surface", "expr:(1-x)^2 + 100*(y-x^2)^2",
                "--optimizer", "sgd:lr=0.001", "--steps", "3");
        CliUsageTest.Result builtIn = CliUsageTest.kobai("trace", "--surface", "rosenbrock", "--start", "-1.5,1.5",
                "--optimizer", "sgd:lr=0.001", "--steps", "3");
        assertEquals(0, t.code(), t.err());
        List<String> a = builtIn.out().lines().skip(1).toList();
        List<String> b = t.out().lines().skip(1).toList();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            String[] x = a.get(i).split(",");
            String[] y = b.get(i).split(",");
            for (int k = 1; k < 4; k++) {
                assertEquals(Double.parseDouble(x[k]), Double.parseDouble(y[k]), 1e-9 * (1 + Math.abs(Double.parseDouble(x[k]))),
                        "the typed Rosenbrock from the expressions' default start follows the built-in one: " + i);
            }
        }
    }

    @Test
    void aBadExpressionPointsAtItsColumnAndIsAUsageError() {
        CliUsageTest.Result r = CliUsageTest.kobai("race", "--surface", "expr:x^2 + * y", "--optimizer", "adam");
        assertEquals(2, r.code());
        List<String> err = r.err().lines().toList();
        assertTrue(err.get(0).startsWith("kobai race: --surface: bad expression at column 7: unexpected '*'"),
                r.err());
        assertEquals("  x^2 + * y", err.get(1));
        assertEquals("        ^", err.get(2));
        CliUsageTest.Result t = CliUsageTest.kobai("trace", "--surface", "expr:sin(x", "--optimizer", "adam");
        assertEquals(2, t.code());
        assertTrue(t.err().contains("'(' is never closed"), t.err());
    }

    @Test
    void usageErrorsExitWithTwo(@TempDir Path dir) {
        String gif = dir.resolve("x.gif").toString();
        for (String[] args : List.of(
                new String[] {"race", "--optimizer", "adam", "--out", gif},
                new String[] {"race", "--surface", "beale", "--out", gif},
                new String[] {"race", "--preset", "beale", "--surface", "beale", "--out", gif},
                new String[] {"race", "--preset", "valley", "--out", gif},
                new String[] {"race", "--surface", "beale", "--optimizer", "adam:rate=1", "--out", gif},
                new String[] {"race", "--surface", "beale", "--optimizer", "adam", "--size", "10x10", "--out", gif},
                new String[] {"race", "--surface", "beale", "--optimizer", "adam", "--fps", "0", "--out", gif},
                new String[] {"race", "--surface", "beale", "--optimizer", "adam", "--out",
                        dir.resolve("missing/x.gif").toString()})) {
            CliUsageTest.Result r = CliUsageTest.kobai(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("kobai race: "), r.err());
        }
        assertFalse(new File(gif).exists());
    }

    @Test
    void presetsBehaveAsTheLecturesPicturesShow() {
        // Beale: the momentum methods swing far below the valley floor; the adaptive ones never cross y = 0.
        RacePresets.Preset beale = RacePresets.byName("beale");
        for (RacePresets.Entry e : beale.runners()) {
            var path = Trace.run(Surfaces.byName("beale"), e.spec(), beale.start(), beale.steps(), DType.FLOAT64);
            double minY = path.stream().mapToDouble(Trace.Sample::y).min().orElseThrow();
            switch (e.label()) {
                case "Momentum", "Nesterov" -> assertTrue(minY < -1, e + " overshoots: " + minY);
                case "Adagrad", "Adadelta", "RMSprop", "Adam" -> {
                    assertTrue(minY > 0, e + " heads along the valley: " + minY);
                    assertTrue(path.getLast().loss() < 0.1, e + " nears the minimum");
                }
                case "SGD" -> assertTrue(path.getLast().loss() > 0.1, "SGD is still on its way");
                default -> { }
            }
        }
        // Saddle: plain SGD is still near the saddle point when every adaptive method has left the picture.
        RacePresets.Preset saddle = RacePresets.byName("saddle");
        for (RacePresets.Entry e : saddle.runners()) {
            var path = Trace.run(Surfaces.byName("saddle"), e.spec(), saddle.start(), saddle.steps(), DType.FLOAT64);
            Trace.Sample end = path.getLast();
            if (e.label().equals("SGD")) {
                assertTrue(Math.abs(end.x()) < 0.05 && Math.abs(end.y()) < 0.5, "SGD stuck at the ridge: " + end);
            } else if (e.label().equals("Newton")) {
                assertTrue(Math.abs(end.x()) < 1e-12 && Math.abs(end.y()) < 1e-12, "plain Newton sits on the saddle: " + end);
            } else {
                assertTrue(!saddle.domain().contains(new dev.kobai.surface.Surface.Point(end.x(), end.y())),
                        e + " escapes: " + end);
            }
        }
    }

    private static int distinctColours(BufferedImage img) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                seen.add(img.getRGB(x, y));
            }
        }
        return seen.size();
    }
}
