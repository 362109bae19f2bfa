package dev.kobai.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The pages in a real headless Chromium (Debian's chromium and chromium-driver, which .ci/run
 * installs; nothing is downloaded): the playground draws exactly what kobai trace prints, a slider
 * redraws a path, the quiz marks answers, the language switch changes the text, and no page logs an
 * error. With the environment variable {@code KOBAI_SCREENSHOTS=DIR} each section is also saved as a
 * PNG in DIR (the README's pictures come from {@code KOBAI_SCREENSHOTS=$PWD/docs/img}).
 */
class BrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    /** Kept, so that the level set on it holds (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger SELENIUM_LOG = java.util.logging.Logger.getLogger("org.openqa.selenium");

    private static KobaiServer server;
    private static ChromeDriver driver;
    private static Path profile;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        // Selenium warns that it has no DevTools bindings for this Chromium's version; they are not used.
        SELENIUM_LOG.setLevel(Level.SEVERE);
        server = KobaiServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        profile = Files.createTempDirectory("kobai-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--window-size=1100,1500", "--lang=en-US");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
        }
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Every page must leave the console free of errors. */
    @AfterEach
    void noConsoleErrors() {
        List<LogEntry> severe = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertTrue(severe.isEmpty(), "console: " + severe);
    }

    private static void open(String page) {
        driver.get(server.uri().resolve(page).toString());
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    private static void waitFor(String condition) {
        new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> Boolean.TRUE.equals(js("return !!(" + condition + ");")));
    }

    @Test
    void theHomePageLeadsToTheThreePagesInTheChosenLanguage() {
        open("?lang=ja");
        assertEquals("最適化の講義をブラウザで動かす", driver.findElement(By.cssSelector("h1")).getText());
        for (String id : List.of("to-lecture", "to-race", "to-lab")) {
            assertTrue(driver.findElement(By.id(id)).isDisplayed(), id);
        }
        driver.findElement(By.id("to-lab")).click();
        waitFor("document.querySelector('h1').textContent === '学習ラボ'");
        assertEquals("ja", js("return document.documentElement.lang;"));
        driver.findElement(By.id("lang")).click();
        assertEquals("Training lab", driver.findElement(By.cssSelector("h1")).getText());
    }

    @Test
    void thePlaygroundDrawsExactlyWhatKobaiTracePrints() throws Exception {
        String[] specs = {"Momentum=sgd:lr=0.001,momentum=0.9", "adam:lr=0.05", "newton"};
        StringBuilder url = new StringBuilder("race.html?surface=rosenbrock&start=-1.2,1&steps=80&speed=2000");
        for (String s : specs) {
            url.append("&r=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
        }
        open(url.toString());
        waitFor("window.kobaiRace.done && window.kobaiRace.shown === 80");
        assertEquals("80", driver.findElement(By.id("counter")).getText());
        @SuppressWarnings("unchecked")
        List<List<List<Number>>> paths = (List<List<List<Number>>>) js("return window.kobaiRace.paths;");
        assertEquals(3, paths.size());
        for (int r = 0; r < specs.length; r++) {
            String spec = specs[r].contains("=sgd") ? specs[r].substring(specs[r].indexOf('=') + 1) : specs[r];
            List<double[]> expected = ServerTest.trace("rosenbrock", "-1.2,1", spec, 80);
            assertEquals(81, paths.get(r).size(), spec);
            for (int k = 0; k <= 80; k++) {
                assertEquals(expected.get(k)[0], paths.get(r).get(k).get(0).doubleValue(), 0, spec + " x at step " + k);
                assertEquals(expected.get(k)[1], paths.get(r).get(k).get(1).doubleValue(), 0, spec + " y at step " + k);
            }
        }
        // The legend names every runner with its settings.
        String legend = driver.findElement(By.id("legend")).getText();
        assertTrue(legend.contains("Momentum") && legend.contains("sgd:lr=0.001,momentum=0.9")
                && legend.contains("adam:lr=0.05") && legend.contains("newton"), legend);
        screenshot(driver.findElement(By.cssSelector("main section")), "serve-race");
    }

    @Test
    void aClickSetsTheStartAndTheUrlKeepsTheSetup() {
        open("race.html?surface=" + URLEncoder.encode("expr:x^2+10*y^2", StandardCharsets.UTF_8)
                + "&steps=30&speed=2000&r=sgd:lr%3D0.05");
        waitFor("window.kobaiRace.done && window.kobaiRace.shown === 30");
        WebElement canvas = driver.findElement(By.id("plot"));
        // The canvas's upper-right quarter: x and y positive on the default window [-2, 2]^2.
        new org.openqa.selenium.interactions.Actions(driver)
                .moveToElement(canvas, canvas.getSize().width / 4, -canvas.getSize().height / 4).click().perform();
        waitFor("window.kobaiRace.done && window.kobaiRace.request.start && window.kobaiRace.request.start[0] > 0");
        @SuppressWarnings("unchecked")
        List<Number> start = (List<Number>) js("return window.kobaiRace.request.start;");
        assertTrue(start.get(0).doubleValue() > 0.5 && start.get(1).doubleValue() > 0.5, start.toString());
        @SuppressWarnings("unchecked")
        List<Number> first = (List<Number>) js("return window.kobaiRace.paths[0][0];");
        assertEquals(start.get(0).doubleValue(), first.get(0).doubleValue(), 0);
        String address = driver.getCurrentUrl();
        assertTrue(address.contains("start=" + start.get(0)) && address.contains("surface=expr%3Ax%5E2%2B10*y%5E2"),
                address);
        // Opening the address again restores the same race.
        open(address.substring(address.indexOf("race.html")));
        waitFor("window.kobaiRace.done");
        assertEquals(first.get(0).doubleValue(), ((Number) js("return window.kobaiRace.paths[0][0][0];")).doubleValue(), 0);
    }

    @Test
    void aBadSpecIsShownAsTheServersOneLine() {
        open("race.html?surface=beale&steps=10&r=sgd:lr%3D-1");
        waitFor("document.getElementById('error').textContent.length > 0");
        assertEquals("runners[0].spec 'sgd:lr=-1': Invalid learning rate: -1.0",
                driver.findElement(By.id("error")).getText());
        // The console logs the failed request (status 400); that is the page working, so clear it.
        driver.manage().logs().get(LogType.BROWSER);
    }

    /** The text of the page's error line, as the page wrote it (without CSS-generated quotes). */
    private static String errorText() {
        return (String) js("return document.getElementById('error').textContent;");
    }

    /** Opens the page, clicks the button with id {@code click} unless null, and waits for its error. */
    private static String errorOn(String address, String click) {
        open(address);
        if (click != null) {
            driver.findElement(By.id(click)).click();
        }
        waitFor("document.getElementById('error').textContent.length > 0");
        return errorText();
    }

    /** Switches the page's language and returns its error line then. */
    private static String errorAfterSwitch() {
        driver.findElement(By.id("lang")).click();
        return errorText();
    }

    /**
     * A refusal provoked in a Japanese page is shown in Japanese, the same one in an English page in
     * the server's English line, and a shown error follows the language switch both ways. The
     * engine's own message inside it (an optimizer's validation, a formula's parse error) is quoted as
     * it is; everything around it is the page's language.
     */
    @Test
    void theServersErrorsAreShownInThePagesLanguage() throws Exception {
        try {
            // A limit of the server: every word is the page's, both ways.
            String steps = "race.html?surface=beale&steps=99999&speed=2000&r=sgd:lr%3D0.01&lang=";
            String stepsJa = "steps は 0 以上 5000 以下で指定してください(指定値: 99999)";
            String stepsEn = "steps must be between 0 and 5000, got 99999";
            assertEquals(stepsJa, errorOn(steps + "ja", null));
            assertEquals(List.of(), untranslated("ja"));
            assertEquals(stepsEn, errorAfterSwitch());
            assertEquals(List.of(), untranslated("en"));
            assertEquals(stepsJa, errorAfterSwitch());
            assertEquals(stepsEn, errorOn(steps + "en", null));

            // A bad SPEC: the sentence in Japanese, the runner counted from 1, the optimizer's own
            // message quoted.
            assertEquals("2 番目のオプティマイザの SPEC sgd:lr=-1 は使えません: Invalid learning rate: -1.0",
                    errorOn("race.html?surface=beale&steps=10&r=adam&r=sgd:lr%3D-1&lang=ja", null));
            assertEquals("Invalid learning rate: -1.0", driver.findElement(By.cssSelector("#error q")).getText());
            assertEquals("sgd:lr=-1", driver.findElement(By.cssSelector("#error code")).getText());
            assertEquals(List.of(), untranslated("ja"));
            assertEquals("runners[1].spec 'sgd:lr=-1': Invalid learning rate: -1.0", errorAfterSwitch());

            // The training lab's refusal, in Japanese, then in English.
            assertEquals("オプティマイザ sgd:lr=-1 は使えません: Invalid learning rate: -1.0",
                    errorOn("lab.html?data=digits&model=mlp:64-10&epochs=1&opt=sgd:lr%3D-1&lang=ja", "train"));
            assertEquals(List.of(), untranslated("ja"));
            assertEquals("opt 'sgd:lr=-1': Invalid learning rate: -1.0", errorAfterSwitch());

            // A lecture figure given a formula that does not parse: the error is in Japanese, and
            // goes when the formula is fixed.
            open("lecture.html?lang=ja");
            waitFor("window.kobaiFigures.momentum && window.kobaiFigures.momentum.done");
            js("const f = document.querySelector('[data-figure=momentum]');"
                    + "const select = f.querySelector('select'); select.value = 'expr';"
                    + "select.dispatchEvent(new Event('change'));"
                    + "const input = f.querySelector('input.spec'); input.value = 'x^2+*y';"
                    + "input.dispatchEvent(new Event('change'));");
            waitFor("document.querySelector('[data-figure=momentum] .error').textContent.length > 0");
            String shown = (String) js("return document.querySelector('[data-figure=momentum] .error').textContent;");
            assertTrue(shown.startsWith("曲面を読み取れません: bad expression at column 5: "), shown);
            driver.findElement(By.id("lang")).click();
            String english = (String) js("return document.querySelector('[data-figure=momentum] .error').textContent;");
            assertEquals("surface: " + shown.substring("曲面を読み取れません: ".length()), english);
            js("const input = document.querySelector('[data-figure=momentum] input.spec'); input.value = 'x^2+y^2';"
                    + "input.dispatchEvent(new Event('change'));");
            waitFor("window.kobaiFigures.momentum.done && window.kobaiFigures.momentum.surface === 'expr:x^2+y^2'");
            assertEquals("", js("return document.querySelector('[data-figure=momentum] .error').textContent;"));
        } finally {
            // The refused requests log their statuses in the console: that is the page working.
            driver.manage().logs().get(LogType.BROWSER);
            // The language is remembered in the browser's storage: the other tests start in English.
            open("index.html?lang=en");
        }
    }

    @Test
    void movingASliderRedrawsThePath() throws Exception {
        open("lecture.html");
        waitFor("window.kobaiFigures.gd && window.kobaiFigures.gd.done");
        Object before = js("return JSON.stringify(window.kobaiFigures.gd.paths);");
        long redraws = (Long) js("return window.kobaiFigures.gd.redraws;");
        WebElement slider = driver.findElement(By.cssSelector("[data-figure=gd] input[type=range]"));
        // Keys move the slider as a user's would, and fire its input events.
        for (int i = 0; i < 60; i++) {
            slider.sendKeys(Keys.ARROW_LEFT);
        }
        // Settled: the figure was redrawn for the value the slider shows now.
        waitFor("window.kobaiFigures.gd.redraws > " + redraws + " && window.kobaiFigures.gd.done && "
                + "window.kobaiFigures.gd.specs[0] === 'sgd:lr=' + document.querySelector('[data-figure=gd] output').textContent");
        @SuppressWarnings("unchecked")
        Map<String, Object> drawn = (Map<String, Object>) js(
                "return {spec: window.kobaiFigures.gd.specs[0], json: JSON.stringify(window.kobaiFigures.gd.paths),"
                        + " path: window.kobaiFigures.gd.paths[0]};");
        assertNotEquals(before, drawn.get("json"));
        String spec = (String) drawn.get("spec");
        assertTrue(spec.startsWith("sgd:lr=") && !spec.equals("sgd:lr=0.015"), spec);
        // And the figure's path is the server's for its new setting, start and steps.
        List<double[]> expected = ServerTest.trace("long-valley", "-9,-1", spec, 60);
        @SuppressWarnings("unchecked")
        List<List<Number>> path = (List<List<Number>>) drawn.get("path");
        assertEquals(61, path.size());
        for (int k = 0; k <= 60; k++) {
            assertEquals(expected.get(k)[0], path.get(k).get(0).doubleValue(), 0, spec + " x at step " + k);
            assertEquals(expected.get(k)[1], path.get(k).get(1).doubleValue(), 0, spec + " y at step " + k);
        }
        waitFor("window.kobaiFigures['newton-saddle'].done && window.kobaiFigures['natural-natural'].done"
                + " && window.kobaiFigures.sgd.done && window.kobaiFigures.adam.done && window.kobaiFigures.adagrad.done"
                + " && window.kobaiFigures.adadelta.done && window.kobaiFigures.rmsprop.done");
        for (String section : List.of("gd", "sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam", "newton",
                "natural", "summary")) {
            screenshot(driver.findElement(By.id(section)), "serve-lecture-" + section);
        }
    }

    @Test
    void aLectureFigureTakesATypedSurface() {
        open("lecture.html");
        waitFor("window.kobaiFigures.momentum && window.kobaiFigures.momentum.done");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.cssSelector("[data-figure=momentum] select")))
                .selectByValue("expr");
        waitFor("window.kobaiFigures.momentum.done && window.kobaiFigures.momentum.surface.startsWith('expr:')");
        assertEquals("expr:x^2 + 10*y^2 + sin(3*x)", js("return window.kobaiFigures.momentum.surface;"));
        String spec = (String) js("return window.kobaiFigures.momentum.specs[1];");
        List<double[]> expected = ServerTest.trace("expr:x^2 + 10*y^2 + sin(3*x)", "-1.5,1.5", spec, 150);
        @SuppressWarnings("unchecked")
        List<List<Number>> path = (List<List<Number>>) js("return window.kobaiFigures.momentum.paths[1];");
        assertEquals(151, path.size());
        assertEquals(expected.getLast()[0], path.getLast().get(0).doubleValue(), 0);
        assertEquals(expected.getLast()[1], path.getLast().get(1).doubleValue(), 0);
    }

    @Test
    void theLecturesConstantsButtonRunsAdamWithThem() {
        open("lecture.html");
        waitFor("window.kobaiFigures.adam && window.kobaiFigures.adam.done");
        long redraws = (Long) js("return window.kobaiFigures.adam.redraws;");
        driver.findElement(By.cssSelector("button[data-i18n='adam.lecture']")).click();
        waitFor("window.kobaiFigures.adam.redraws > " + redraws + " && window.kobaiFigures.adam.done");
        assertEquals("adam:lr=0.05,betas=0.9999/1e-8", js("return window.kobaiFigures.adam.specs[0];"));
    }

    @Test
    void theQuizMarksAnswersAndExplainsEveryChoice() throws Exception {
        open("lecture.html");
        waitFor("document.querySelectorAll('[data-quiz=q1] .choice').length === 4");
        WebElement quiz = driver.findElement(By.cssSelector("[data-quiz=q1]"));
        assertTrue(quiz.findElements(By.cssSelector(".why")).stream().noneMatch(WebElement::isDisplayed));
        WebElement adam = quiz.findElement(By.cssSelector("[data-choice=a]"));
        adam.click();
        assertTrue(adam.getAttribute("class").contains("wrong"), adam.getAttribute("class"));
        WebElement natural = quiz.findElement(By.cssSelector("[data-choice=c]"));
        assertTrue(natural.getAttribute("class").contains("right"), natural.getAttribute("class"));
        assertEquals("Natural gradient", natural.getText());
        List<WebElement> whys = quiz.findElements(By.cssSelector(".why"));
        assertEquals(4, whys.size());
        assertTrue(whys.stream().allMatch(WebElement::isDisplayed));
        assertTrue(whys.get(2).getText().contains("inverse Fisher"), whys.get(2).getText());
        // A right answer is marked right.
        WebElement newton = driver.findElement(By.cssSelector("[data-quiz=q4] [data-choice=a]"));
        newton.click();
        assertTrue(newton.getAttribute("class").contains("right"));
        assertFalse(newton.getAttribute("class").contains("wrong"));
        screenshot(driver.findElement(By.id("quiz")), "serve-lecture-quiz");
    }

    @Test
    void theLanguageSwitchChangesTheTextAndStaysInTheAddress() throws Exception {
        open("lecture.html");
        waitFor("window.kobaiFigures.gd && window.kobaiFigures.gd.done");
        WebElement title = driver.findElement(By.cssSelector("#gd h2"));
        assertEquals("1. Gradient descent and the learning rate", title.getText());
        driver.findElement(By.id("lang")).click();
        assertEquals("1. 勾配降下法と学習率", title.getText());
        assertEquals("ja", js("return document.documentElement.lang;"));
        assertTrue(driver.getCurrentUrl().contains("lang=ja"), driver.getCurrentUrl());
        // The math is rendered again by KaTeX in the new text, and the quiz follows too.
        assertTrue(driver.findElements(By.cssSelector("#gd p .katex")).size() >= 3);
        assertEquals("自然勾配法", driver.findElement(By.cssSelector("[data-quiz=q1] [data-choice=c]")).getText());
        screenshot(driver.findElement(By.id("natural")), "serve-lecture-ja");
        // The choice carries over to the other pages.
        driver.findElement(By.cssSelector("header a[href^='race.html']")).click();
        waitFor("document.querySelector('h1').textContent === 'オプティマイザのレース'");
        driver.findElement(By.id("lang")).click();
        assertEquals("Race playground", driver.findElement(By.cssSelector("h1")).getText());
    }

    /**
     * The words of the page's text in the other language: in Japanese, runs of three or more
     * lower-case Latin letters (English words); in English, Japanese characters. Text inside
     * code, typeset math, scripts, and what is marked translate="no" (surface names and formulas,
     * specs, labels the user typed) does not count, nor do the language button and the command
     * line's {@code expr:}; hidden text (the
     * quiz's explanations, options) does, as do the page's title and the elements' tooltips.
     */
    @SuppressWarnings("unchecked")
    private static List<String> untranslated(String lang) {
        return (List<String>) js("""
                const pattern = arguments[0] === 'ja' ? /\\b[a-z]{3,}\\b/g : /[\\u3040-\\u30ff\\u4e00-\\u9fff]+/g;
                const found = [];
                const check = (text, where) => {
                  for (const m of text.match(pattern) || []) {
                    // expr: is the command line's prefix of a typed formula, in both languages.
                    if (m !== 'expr') found.push(m + ' in ' + where + ': ' + text.trim().slice(0, 80));
                  }
                };
                const skip = 'script, style, code, .katex, [translate=no], #lang, textarea';
                const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                for (let n; (n = walker.nextNode()); ) {
                  if (!n.parentElement.closest(skip)) check(n.textContent, n.parentElement.tagName.toLowerCase());
                }
                for (const el of document.querySelectorAll('[title]')) if (!el.closest(skip)) check(el.title, 'a tooltip');
                check(document.title, 'the title');
                return found;""", lang);
    }

    /**
     * Every page, once its figures, race or training have drawn, switched to Japanese has no English
     * left in its text, legends included, and switched back no Japanese.
     */
    @Test
    void everyPageSwitchesEveryTextItShows() throws Exception {
        record Page(String address, String ready, String action) {}
        long idleBy = System.nanoTime() + 60_000_000_000L;
        while (TrainLab.running() && System.nanoTime() < idleBy) {
            Thread.sleep(20);
        }
        for (Page page : List.of(
                new Page("index.html", "true", null),
                new Page("lecture.html", "Object.values(window.kobaiFigures).length >= 11"
                        + " && Object.values(window.kobaiFigures).every(f => f.done)", null),
                // Three runners, one of which leaves the plot (the legend says so).
                new Page("race.html?surface=beale&start=1,1.5&steps=40&speed=2000&r=Momentum%3Dsgd:lr%3D0.01,momentum%3D0.9"
                        + "&r=adam:lr%3D0.05&r=sgd:lr%3D0.05", "window.kobaiRace.done && window.kobaiRace.shown === 40", null),
                new Page("lab.html?data=digits&model=mlp:64-10&epochs=1&batch=64&opt=SGD%3Dsgd:lr%3D0.1",
                        "window.kobaiLab.done", "document.getElementById('train').click()"))) {
            open(page.address() + (page.address().contains("?") ? "&" : "?") + "lang=en");
            if (page.action() != null) {
                js(page.action());
            }
            waitFor(page.ready());
            assertEquals(List.of(), untranslated("en"), page.address() + " in English");
            driver.findElement(By.id("lang")).click();
            assertEquals("ja", js("return document.documentElement.lang;"));
            assertEquals(List.of(), untranslated("ja"), page.address() + " in Japanese");
            driver.findElement(By.id("lang")).click();
            assertEquals(List.of(), untranslated("en"), page.address() + " back in English");
        }
        // The legends were among what changed.
        open("lecture.html?lang=ja");
        waitFor("window.kobaiFigures.momentum && window.kobaiFigures.momentum.done");
        String legend = driver.findElement(By.cssSelector("[data-figure=momentum] .legend")).getText();
        assertTrue(legend.contains("モーメンタム") && legend.contains("ネステロフ"), legend);
    }

    @Test
    void theTrainingLabsCurvesGetOnePointPerEpochAndStopStops() throws Exception {
        // One training runs at a time in this JVM: a run another test stopped may still be ending
        // (it stops at its next minibatch), and the lab would then answer 503.
        long idleBy = System.nanoTime() + 60_000_000_000L;
        while (TrainLab.running() && System.nanoTime() < idleBy) {
            Thread.sleep(20);
        }
        assertFalse(TrainLab.running(), "a training of another test was still running after a minute");
        open("lab.html?data=digits&model=mlp:64-32-10&epochs=3&batch=32&seed=1"
                + "&opt=SGD%3Dsgd:lr%3D0.1&opt=Momentum%3Dsgd:lr%3D0.05,momentum%3D0.9&opt=Adam%3Dadam:lr%3D0.003");
        driver.findElement(By.id("train")).click();
        // The accuracy curve grows one point per finished epoch. The page may handle several events
        // of one network read in one go, so a poll cannot count on seeing exactly one point (it
        // missed it on a quick machine); ServerTest checks the events one by one, in order.
        waitFor("window.kobaiLab.epochs.length === 3 && window.kobaiLab.epochs[0].length >= 1");
        waitFor("window.kobaiLab.done");
        assertEquals(List.of(3L, 3L, 3L), js("return window.kobaiLab.epochs.map(e => e.length);"));
        assertEquals(List.of(1L, 2L, 3L), js("return window.kobaiLab.epochs[2].map(e => e.epoch);"));
        assertTrue((Long) js("return window.kobaiLab.batches[0].length;") > 3);
        assertEquals("done", driver.findElement(By.id("status")).getText());
        String legend = driver.findElement(By.id("legend")).getText();
        assertTrue(legend.contains("Momentum") && legend.contains("epoch 3: "), legend);
        assertTrue(driver.getCurrentUrl().contains("opt=Adam%3Dadam%3Alr%3D0.003"), driver.getCurrentUrl());
        screenshot(driver.findElement(By.cssSelector("main section")), "serve-lab");
        // A long run (3 optimizers x 20 epochs of 1437 steps on a wider network: half a minute or
        // more), stopped after its first events: the server stops too, long before it would end.
        ((JavascriptExecutor) driver).executeScript("document.getElementById('epochs').value = 20;"
                + "document.getElementById('batch').value = 1;"
                + "document.getElementById('model').value = 'mlp:64-256-256-10';");
        driver.findElement(By.id("train")).click();
        waitFor("window.kobaiLab.batches.length > 0 && window.kobaiLab.batches[0].length > 0");
        driver.findElement(By.id("stop")).click();
        assertEquals("stopped", driver.findElement(By.id("status")).getText());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (TrainLab.running() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(TrainLab.running(), "the server went on training after Stop");
        assertTrue((Long) js("return window.kobaiLab.epochs.flat().length;") < 60);
        assertEquals(Boolean.FALSE, js("return window.kobaiLab.done;"));
    }

    @Test
    void everyEquationIsTypesetByKatexFromTheJar() {
        open("lecture.html");
        waitFor("window.kobaiFigures.gd && window.kobaiFigures.gd.done");
        long equations = (Long) js("return document.querySelectorAll('[data-tex]').length;");
        long rendered = (Long) js("return document.querySelectorAll('[data-tex] .katex').length;");
        assertTrue(equations >= 9, "equations: " + equations);
        assertEquals(equations, rendered);
        assertEquals(0L, js("return document.querySelectorAll('.katex-error').length;"));
        // KaTeX's own font is in use, loaded from this server.
        waitFor("document.fonts.check('16px KaTeX_Main')");
        assertTrue((Boolean) js("return performance.getEntriesByType('resource').every(r => r.name.startsWith(location.origin));"));
    }

    /** Saves an element as a PNG in the directory $KOBAI_SCREENSHOTS names; does nothing without it. */
    private static void screenshot(WebElement element, String name) throws Exception {
        String dir = System.getenv("KOBAI_SCREENSHOTS");
        if (dir == null || dir.isBlank()) {
            return;
        }
        js("arguments[0].scrollIntoView();", element);
        Files.write(Path.of(dir, name + ".png"), element.getScreenshotAs(OutputType.BYTES));
    }

}
