package dev.kobai.serve;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request the server refuses: an HTTP status, a {@link Problem} and its arguments. The answer is
 * {@code {"error": "the English line", "code": "problem", "args": {"name": "value", ...}}}: the
 * English line for curl and logs, the code and arguments for the pages, which show the line in
 * English and fill the code's template of their own table (web/i18n.js) in Japanese.
 */
final class HttpError extends RuntimeException {
    /** A placeholder of a template: {@code {name}}. */
    static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)\\}");

    private final int status;
    private final Problem problem;
    private final Map<String, String> args;

    /**
     * {@code namesAndValues} alternates each placeholder of the problem's template with its value
     * ({@link String#valueOf} of it, cut to one line by {@link KobaiServer#oneLine}: an expression's
     * message goes on with the formula and a caret, which its first line names by column).
     */
    HttpError(int status, Problem problem, Object... namesAndValues) {
        this(status, problem, arguments(namesAndValues));
    }

    private HttpError(int status, Problem problem, Map<String, String> args) {
        super(problem.english(args), null, false, false);
        this.status = status;
        this.problem = problem;
        this.args = args;
    }

    int status() {
        return status;
    }

    Problem problem() {
        return problem;
    }

    /** The template's arguments, in the template's order. */
    Map<String, String> args() {
        return args;
    }

    static HttpError badRequest(Problem problem, Object... namesAndValues) {
        return new HttpError(400, problem, namesAndValues);
    }

    private static Map<String, String> arguments(Object[] namesAndValues) {
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            args.put((String) namesAndValues[i], KobaiServer.oneLine(String.valueOf(namesAndValues[i + 1])));
        }
        return Collections.unmodifiableMap(args);
    }

    /**
     * Everything the server refuses, each with its English line; {@code {name}} is an argument. A
     * {@code detail} is a message of Kobai's engine (an optimizer's or a formula's, the same words
     * {@code kobai trace} prints), which the pages quote as it is in either language.
     */
    enum Problem {
        ADDRESS_LONG("the address is {length} bytes long; at most {max} (a long formula goes in the body of a POST)"),
        USAGE("{detail}"),
        INTERNAL("internal error: {detail}"),
        NO_ENDPOINT("no API endpoint /api/{name}; there are {names}"),
        BUSY("the server is busy with {count} computations; try again"),
        METHOD("method {method} not allowed here; use {allowed}"),
        PARAMETER_TWICE("query parameter '{name}' given twice"),
        MALFORMED_QUERY("malformed query string: {detail}"),
        MALFORMED_LENGTH("malformed Content-Length '{value}'"),
        BODY_LONG("request body of {length} bytes; at most {max}"),
        BODY_OVER("request body over {max} bytes"),
        NO_PAGE("no such page: {path}"),
        NOT_AN_OBJECT("the request body must be a JSON object"),
        MALFORMED_JSON("malformed JSON in the request body"),
        MISSING("{name} is missing"),
        NOT_A_STRING("{name} must be a string"),
        NOT_A_NUMBER("{name} must be a number, got '{value}'"),
        NOT_WHOLE("{name} must be a whole number, got {value}"),
        OUT_OF_RANGE("{name} must be between {min} and {max}, got {value}"),
        DEADLINE("stopped after {seconds} s, the limit of one request"),
        DTYPE("dtype must be float32 or float64, got '{value}'"),
        NO_RUNNERS("runners must be a non-empty array of {\"label\", \"spec\"}"),
        TOO_MANY_RUNNERS("at most {max} runners, got {count}"),
        RUNNER_NOT_OBJECT("runners[{index}] must be an object {\"label\", \"spec\"}"),
        SPEC_LONG("runners[{index}].spec is {length} characters; at most {max}"),
        BAD_SPEC("runners[{index}].spec '{spec}': {detail}"),
        PATH_FAILED("runners[{index}] stopped: {detail}"),
        NO_SURFACE("surface is missing; give a name such as beale, or expr:FORMULA"),
        EXPRESSION_LONG("the expression is {length} characters long; at most {max}"),
        BAD_SURFACE("surface: {detail}"),
        START_NOT_POINT("start must be [x, y], two finite numbers"),
        START_RANGE("start must be finite numbers of at most 1e12, got {value}"),
        DOMAIN_PARTS("domain must be XMIN,XMAX,YMIN,YMAX, got '{value}'"),
        DOMAIN_NOT_NUMBERS("domain must be four numbers XMIN,XMAX,YMIN,YMAX, got '{value}'"),
        DOMAIN_RANGE("domain must be finite numbers of at most 1e12, got '{value}'"),
        DOMAIN_EMPTY("domain is empty: XMIN < XMAX and YMIN < YMAX are needed, got '{value}'"),
        NATURAL_METHOD("method must be sgd or natural, got '{value}'"),
        DATA("data must be digits or fashion-mnist, got '{value}'"),
        NO_FASHION("fashion-mnist is not installed here ({path}; Debian's package {package}); use digits"),
        MODEL_LONG("model is {length} characters; at most {max}"),
        OPT_LONG("opt is {length} characters; at most {max}"),
        BAD_OPT("opt '{spec}': {detail}"),
        OPT_COUNT("give 1 to {max} optimizers as opt=[LABEL=]SPEC, got {count}"),
        TRAINING_BUSY("another training is running; one runs at a time, try again when it ends"),
        BAD_TRAINING("{detail}"),
        TRAINING_FAILED("{detail}");

        private final String template;

        Problem(String template) {
            this.template = template;
        }

        /** The name the pages know it by: {@code out_of_range}. */
        String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The English line, with placeholders written as {@code {name}}. */
        String template() {
            return template;
        }

        /**
         * The template with each {@code {name}} replaced by its argument, in one pass: an argument's
         * own text (a spec the user typed) is never read as a placeholder.
         */
        String english(Map<String, String> args) {
            return PLACEHOLDER.matcher(template).replaceAll(m -> Matcher.quoteReplacement(args.get(m.group(1))));
        }
    }
}
