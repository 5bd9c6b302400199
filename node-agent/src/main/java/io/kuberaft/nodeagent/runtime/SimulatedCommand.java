package io.kuberaft.nodeagent.runtime;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a simulated container's command would do, for the few programs tutorials run in their pods: {@code echo},
 * {@code date}, {@code sleep N|infinity}, {@code env}/{@code printenv}, {@code hostname}, {@code cat /etc/hosts},
 * {@code tail -f}, {@code exit N}, {@code true}/{@code :}, {@code cd}, {@code pwd}, {@code export}, variable
 * assignments (with {@code $((i+1))}), output to a file ({@code >}, {@code >>}), a
 * {@code for x in …} loop over words and a {@code while true} loop — given directly or as a {@code sh -c} script
 * joined by {@code ;}, {@code &&} or newlines. Nothing is executed: the script is played on the simulation's clock,
 * so {@code sleep 3600} runs for an hour, {@code echo "Hello Job"} is what {@code kubectl logs} prints, and the
 * docs' counter pod logs a line a second. Anything else (a pipe, another redirect, an unknown program) is not understood
 * and the simulated runtime keeps its defaults for the container.
 */
final class SimulatedCommand {
    /** A loop whose body never sleeps still takes this long per round, so it cannot print without end in no time. */
    static final Duration BUSY_LOOP_ROUND = Duration.ofSeconds(1);
    /** Lines kept per container run: a long-running loop's log stops growing there. */
    static final int MAX_LINES = 20_000;
    private static final Set<String> SHELLS = Set.of("sh", "bash", "ash", "dash");
    private static final Set<String> PROGRAMS = Set.of("echo", "date", "sleep", "env", "printenv", "hostname", "cat", "tail",
            "exit", "true", ":", "ls", "rm", "touch", "cd", "pwd", "export", "id", "whoami", "test");
    /** Directories every image has: {@code test -d /tmp} (kubectl cp's question) holds though the image is not simulated. */
    private static final Set<String> IMAGE_DIRS = Set.of("/", "/bin", "/dev", "/etc", "/home", "/lib", "/mnt", "/opt", "/proc",
            "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/local", "/usr/share", "/var", "/var/log", "/var/tmp");
    private static final Pattern ASSIGNMENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=.*", Pattern.DOTALL);
    private static final Pattern SHELL_VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)");
    /** What busybox and GNU {@code date} print. */
    static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss zzz yyyy", Locale.ROOT).withZone(ZoneId.of("UTC"));

    /** The program: statements run once, then (when {@code loop} is non-empty) the loop body round after round. */
    private final List<List<String>> once;
    private final List<List<String>> loop;

    /** Words are taken as they are (a command without a shell), not expanded. */
    private final boolean literal;

    private SimulatedCommand(List<List<String>> once, List<List<String>> loop, boolean literal) {
        this.once = once;
        this.loop = loop;
        this.literal = literal;
    }

    /** The container's command line ({@code command} + {@code args}, already {@code $(VAR)}-expanded), when understood. */
    static Optional<SimulatedCommand> parse(List<String> argv) {
        if (argv.isEmpty()) {
            return Optional.empty();
        }
        String program = basename(argv.get(0));
        if (SHELLS.contains(program) && argv.size() >= 3 && argv.get(1).matches("-[a-z]*c")) {
            List<List<String>> statements = split(argv.get(2));
            return statements == null ? Optional.empty() : structure(statements);
        }
        // a direct command: its words are literal (no shell to expand them)
        List<List<String>> once = List.of(argv);
        return understood(once) ? Optional.of(new SimulatedCommand(once, List.of(), true)) : Optional.empty();
    }

    /** {@code sh}, {@code /bin/bash -l}, …: a shell that reads its commands from stdin ({@code kubectl exec -it POD -- sh}). */
    static boolean interactiveShell(List<String> argv) {
        return !argv.isEmpty() && SHELLS.contains(basename(argv.get(0)))
                && argv.subList(1, argv.size()).stream().allMatch(a -> a.matches("-[a-bd-z]+|--login|--norc|--noprofile"));
    }

    private static String basename(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** Statements of raw words (quotes kept for expansion), or null when the script uses what is not simulated. */
    private static List<List<String>> split(String script) {
        List<List<String>> out = new ArrayList<>();
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            if (c == '\'' || c == '"') {
                int end = script.indexOf(c, i + 1);
                if (end < 0) {
                    return null;
                }
                w.append(script, i, end + 1);
                inWord = true;
                i = end + 1;
            } else if (c == '$' && i + 1 < n && script.charAt(i + 1) == '(') {
                int j = closing(script, i + 1);
                if (j < 0) {
                    return null;
                }
                w.append(script, i, j + 1);
                inWord = true;
                i = j + 1;
            } else if (c == '#' && !inWord) {
                while (i < n && script.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == ' ' || c == '\t' || c == ';' || c == '\n' || (c == '&' && i + 1 < n && script.charAt(i + 1) == '&')) {
                if (inWord) {
                    words.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
                if (c != ' ' && c != '\t') {
                    if (!words.isEmpty()) {
                        out.add(words);
                        words = new ArrayList<>();
                    }
                    i += c == '&' ? 2 : 1;
                } else {
                    i++;
                }
            } else if (c == '>' && !(inWord && w.toString().matches("\\d+"))) {
                // stdout to a file: its own word (">" or ">>"; unquoted, so it cannot be an argument), the target the next
                if (inWord) {
                    words.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
                boolean append = i + 1 < n && script.charAt(i + 1) == '>';
                words.add(append ? ">>" : ">");
                i += append ? 2 : 1;
            } else if (c == '|' || c == '&' || c == '>' || c == '<' || c == '`' || c == '(' || c == ')' || c == '\\') {
                return null;
            } else {
                w.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(w.toString());
        }
        if (!words.isEmpty()) {
            out.add(words);
        }
        return out;
    }

    /** Finds the loops ({@code do} glued to the first statement of a body by {@link #split}) and checks every program. */
    private static Optional<SimulatedCommand> structure(List<List<String>> statements) {
        List<List<String>> once = new ArrayList<>();
        List<List<String>> loop = new ArrayList<>();
        for (int i = 0; i < statements.size(); i++) {
            List<String> s = statements.get(i);
            String head = s.get(0);
            if (head.equals("while") || head.equals("until") || head.equals("for")) {
                List<List<String>> body = new ArrayList<>();
                int j = i + 1;
                for (; j < statements.size() && !statements.get(j).get(0).equals("done"); j++) {
                    List<String> b = statements.get(j);
                    if (j == i + 1) {
                        if (!b.get(0).equals("do") || b.size() < 2) {
                            return Optional.empty();
                        }
                        b = b.subList(1, b.size());
                    }
                    body.add(b);
                }
                // an exit inside a loop would make the exit time unknowable when the container starts
                if (j >= statements.size() || statements.get(j).size() != 1 || body.isEmpty() || !understood(body)
                        || (!head.equals("for") && body.stream().anyMatch(b -> b.get(0).equals("exit")))) {
                    return Optional.empty();
                }
                if (head.equals("for")) {
                    if (s.size() < 3 || !s.get(2).equals("in") || !s.get(1).matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        return Optional.empty();
                    }
                    for (String value : s.subList(3, s.size())) {
                        once.add(List.of(s.get(1) + "=" + value));
                        once.addAll(body);
                    }
                    i = j;
                    continue;
                }
                String cond = String.join(" ", s.subList(1, s.size()));
                boolean forever = head.equals("while") ? Set.of("true", ":", "[ 1 ]", "[ true ]").contains(cond) : cond.equals("false");
                if (!forever || j != statements.size() - 1) {
                    return Optional.empty();
                }
                loop.addAll(body);
                break;
            }
            once.add(s);
        }
        return understood(once) ? Optional.of(new SimulatedCommand(once, loop, false)) : Optional.empty();
    }

    /** Where a statement's output goes: the index of its {@code >}/{@code >>} word, -1 when it has none. */
    private static int redirect(List<String> statement) {
        int i = statement.indexOf(">");
        return i >= 0 ? i : statement.indexOf(">>");
    }

    private static boolean understood(List<List<String>> statements) {
        for (List<String> statement : statements) {
            int r = redirect(statement);
            if (r == 0 || (r > 0 && r != statement.size() - 2)) {
                return false; // a redirect first, several, or without one target
            }
            List<String> s = r > 0 ? statement.subList(0, r) : statement;
            String head = s.get(0);
            if (ASSIGNMENT.matcher(head).matches() && s.size() == 1) {
                continue;
            }
            if (!PROGRAMS.contains(basename(head))) {
                return false;
            }
            List<String> operands = s.subList(1, s.size());
            boolean filesOnly = operands.stream().noneMatch(a -> a.startsWith("-"));
            if (basename(head).equals("id") && !(operands.isEmpty() || operands.size() == 1 && operands.get(0).matches("-[ugG]"))) {
                return false; // id USER, id -n, …: the image's user database is not simulated
            }
            if (basename(head).equals("test") && !(operands.size() == 2 && operands.get(0).matches("-[def]"))) {
                return false; // only the file tests
            }
            if (basename(head).equals("whoami") && !operands.isEmpty()) {
                return false;
            }
            if (basename(head).equals("cat") && (operands.isEmpty() || !filesOnly)) {
                return false; // cat without files reads its stdin; options (-n, …) are not simulated
            }
            if (basename(head).equals("touch") && (operands.isEmpty() || !filesOnly)) {
                return false;
            }
            if (basename(head).equals("rm") && (operands.stream().noneMatch(a -> !a.startsWith("-"))
                    || operands.stream().anyMatch(a -> a.startsWith("-") && !a.matches("-[rRf]+")))) {
                return false;
            }
            if (basename(head).equals("ls") && operands.stream().anyMatch(a -> a.startsWith("-") && !a.matches("-[1aA]+"))) {
                return false; // ls -l would need sizes, owners and times the simulation does not have
            }
            if (basename(head).equals("tail") && !s.contains("-f") && !s.contains("-F")) {
                return false;
            }
            if (head.equals("cd") && (operands.size() > 1 || !filesOnly)) {
                return false; // cd -, cd -P, …
            }
            if (head.equals("export") && (operands.isEmpty() || operands.stream().anyMatch(a -> !ASSIGNMENT.matcher(a).matches()
                    && !a.matches("[A-Za-z_][A-Za-z0-9_]*")))) {
                return false; // export alone (it lists), export -p, export -n, …
            }
        }
        return true;
    }

    /**
     * Plays the program from {@code start} for a container with environment {@code env} in the pod {@code pod}, on the
     * container's {@code files}. {@code imageFilesExist}: a file of the image (neither a volume's nor created nor removed
     * since the start) is taken to exist, empty — for probes and hooks, which the image's files are expected to pass —
     * rather than reported as not simulated ({@code kubectl exec}, the container's own command).
     */
    Run start(Instant start, Map<String, String> env, PodContext pod, SimulatedFiles files, boolean imageFilesExist) {
        return start(start, new Session(env, files.workingDir()), pod, files, imageFilesExist);
    }

    /** Plays the program as a line of an interactive shell: in its working directory, with its variables and {@code $?}, which it changes. */
    Run start(Instant start, Session session, PodContext pod, SimulatedFiles files, boolean imageFilesExist) {
        Run r = new Run(start, session, pod, files, imageFilesExist);
        r.advance(Duration.ZERO);
        return r;
    }

    /** What a shell keeps from one command line to the next: its variables, working directory and last exit status. */
    static final class Session {
        private final Map<String, String> vars;
        private String cwd;
        private int status;

        Session(Map<String, String> env, String cwd) {
            this.vars = new LinkedHashMap<>(env);
            this.cwd = cwd;
        }

        String cwd() {
            return cwd;
        }

        /** The status of a line the simulation could not play (127, as for a command not found). */
        void notPlayed() {
            status = 127;
        }
    }

    /** One container run of the program: what it printed when, and whether and when it exits. */
    final class Run {
        final Instant start;
        private final Map<String, String> vars;
        private final Session session;
        private final PodContext pod;
        private final SimulatedFiles files;
        private final boolean imageFilesExist;
        private final List<Line> lines = new ArrayList<>();
        /** The exit status of the last command ({@code $?}): a program without {@code exit} ends with it. */
        private int status;
        /** The script's own time: the offset from {@link #start} the next statement runs at. */
        private Duration t = Duration.ZERO;
        private int pc;
        private boolean inLoop;
        private boolean roundSlept;
        private boolean blocked;
        private Integer exitCode;

        /** A line the program printed, on stderr when {@code err}; the last of a file without a final newline has none. */
        record Line(Duration at, String text, boolean err, boolean newline) {
            /** The text as written: with {@code eol} after it, unless it has no newline. */
            String written(String eol) {
                return newline ? text + eol : text;
            }
        }

        private Run(Instant start, Session session, PodContext pod, SimulatedFiles files, boolean imageFilesExist) {
            this.start = start;
            this.session = session;
            this.vars = session.vars;
            this.status = session.status;
            this.pod = pod;
            this.files = files;
            this.imageFilesExist = imageFilesExist;
        }

        /** When the container exits of itself (its exit code then in {@link #exitCode()}); empty while it runs for ever. */
        synchronized Optional<Duration> exitsAfter() {
            return exitCode == null ? Optional.empty() : Optional.of(t);
        }

        synchronized int exitCode() {
            return exitCode == null ? 0 : exitCode;
        }

        /** Runs what is due by {@code now}: what the program has done to the container's files by then is done. */
        synchronized void advanceTo(Instant now) {
            advance(Duration.between(start, now));
        }

        /** Everything a run that ends (see {@link #exitsAfter}) prints. */
        List<Line> allLines() {
            return linesUntil(start.plus(exitsAfter().orElseThrow()));
        }

        /** The lines printed up to {@code now}. */
        synchronized List<Line> linesUntil(Instant now) {
            Duration elapsed = Duration.between(start, now);
            advance(elapsed);
            List<Line> out = new ArrayList<>();
            for (Line l : lines) {
                if (l.at().compareTo(elapsed) > 0) {
                    break;
                }
                out.add(l);
            }
            return out;
        }

        /** Runs statements due by {@code elapsed} (all of a program without a loop: its exit time is then known). */
        private void advance(Duration elapsed) {
            while (exitCode == null && !blocked && lines.size() < MAX_LINES && (!inLoop || t.compareTo(elapsed) <= 0)) {
                List<List<String>> code = inLoop ? loop : once;
                if (pc >= code.size()) {
                    if (loop.isEmpty()) {
                        exitCode = status;
                        session.status = status;
                        return;
                    }
                    if (inLoop && !roundSlept) {
                        t = t.plus(BUSY_LOOP_ROUND);
                    }
                    inLoop = true;
                    roundSlept = false;
                    pc = 0;
                    continue;
                }
                execute(code.get(pc++));
            }
        }

        private void execute(List<String> statement) {
            int r = literal ? -1 : redirect(statement);
            if (r < 0) {
                run(statement);
                return;
            }
            String target = expand(statement.get(r + 1));
            boolean append = statement.get(r).equals(">>");
            SimulatedFiles.Entry e = files.lookup(abs(target), start.plus(t));
            String why = e instanceof SimulatedFiles.Directory ? "Is a directory" : files.readOnly(abs(target)) ? "Read-only file system" : null;
            if (why != null) {
                // the shell cannot open the file, so the command does not run
                fail(1, files.busybox() ? "sh: can't create " + target + ": " + why : "bash: " + target + ": " + why);
                return;
            }
            int from = lines.size();
            run(statement.subList(0, r));
            StringBuilder out = new StringBuilder(append && e instanceof SimulatedFiles.File f
                    ? new String(f.content(), java.nio.charset.StandardCharsets.UTF_8) : "");
            for (java.util.Iterator<Line> it = lines.subList(from, lines.size()).iterator(); it.hasNext(); ) {
                Line l = it.next();
                if (!l.err()) {
                    out.append(l.written("\n"));
                    it.remove();
                }
            }
            if (!abs(target).equals("/dev/null")) {
                files.write(abs(target), out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), start.plus(t));
            }
        }

        private void run(List<String> words) {
            List<String> args = new ArrayList<>();
            words.forEach(w -> args.add(literal ? w : expand(w)));
            String program = basename(args.get(0));
            if (!literal && ASSIGNMENT.matcher(words.get(0)).matches() && words.size() == 1) {
                String a = args.get(0);
                vars.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
                return;
            }
            status = 0;
            switch (program) {
                case "echo" -> {
                    int from = 1;
                    while (from < args.size() && args.get(from).matches("-[neE]+")) {
                        from++;
                    }
                    print(String.join(" ", args.subList(from, args.size())));
                }
                case "date" -> print(DATE.format(start.plus(t)));
                case "hostname" -> print(hostname());
                case "id" -> {
                    SimulatedFiles.Identity who = files.identity();
                    print(args.size() == 1 ? who.id(files.busybox()) : switch (args.get(1)) {
                        case "-u" -> String.valueOf(who.uid());
                        case "-g" -> String.valueOf(who.gid());
                        default -> String.join(" ", who.groups(files.busybox()).stream().map(String::valueOf).toList());
                    });
                }
                case "whoami" -> {
                    if (files.identity().uid() == 0) {
                        print("root");
                    } else {
                        printErr(files.busybox() ? "whoami: unknown uid " + files.identity().uid()
                                : "whoami: cannot find name for user ID " + files.identity().uid());
                        status = 1;
                    }
                }
                case "env", "printenv" -> {
                    if (args.size() > 1) {
                        args.subList(1, args.size()).forEach(name -> {
                            if (environment().containsKey(name)) {
                                print(environment().get(name));
                            }
                        });
                    } else {
                        environment().forEach((k, v) -> print(k + "=" + v));
                    }
                }
                case "cat" -> cat(args);
                case "ls" -> ls(args);
                case "rm" -> rm(args);
                case "touch" -> touch(args);
                case "test" -> status = fileTest(args.get(1), args.get(2)) ? 0 : 1;
                case "sleep" -> {
                    Duration d = args.size() > 1 ? sleepTime(args.get(1)) : null;
                    if (d == null) {
                        blocked = true;
                    } else {
                        t = t.plus(d);
                        roundSlept = true;
                    }
                }
                case "tail" -> blocked = true;
                case "exit" -> {
                    try {
                        exitCode = args.size() > 1 ? Integer.parseInt(args.get(1)) & 0xff : status;
                    } catch (NumberFormatException e) {
                        exitCode = 2;
                    }
                    session.status = exitCode;
                }
                case "cd" -> cd(args.size() > 1 ? args.get(1) : environment().get("HOME"));
                case "pwd" -> print(session.cwd);
                case "export" -> args.subList(1, args.size()).stream().filter(a -> a.contains("="))
                        .forEach(a -> vars.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1)));
                default -> {
                    // true and ':' do nothing
                }
            }
        }

        private void print(String line) {
            for (String l : line.split("\n", -1)) {
                lines.add(new Line(t, l, false, true));
            }
        }

        /** Text as it is (a file's content): its lines, the last one without a newline unless the text ends with one. */
        private void printText(String text) {
            String[] split = text.split("\n", -1);
            for (int i = 0; i < split.length - 1; i++) {
                lines.add(new Line(t, split[i], false, true));
            }
            if (!split[split.length - 1].isEmpty()) {
                lines.add(new Line(t, split[split.length - 1], false, false));
            }
        }

        private void printErr(String line) {
            lines.add(new Line(t, line, true, true));
        }

        /** Why a file of the image cannot be shown (see {@link SimulatedFiles.Unknown}). */
        private String notSimulated() {
            return "not simulated (the simulated runtime knows the pod's volumes, /etc/hosts and /etc/hostname, not the files of "
                    + "image " + files.image() + "; use --runtime process)";
        }

        /** What {@code cat} prints; coreutils names itself as invoked ({@code /bin/cat: /start: No such file …}), busybox not. */
        private void cat(List<String> args) {
            String self = args.get(0);
            for (String path : args.subList(1, args.size())) {
                SimulatedFiles.Entry e = files.lookup(abs(path), start.plus(t));
                if (e instanceof SimulatedFiles.File f) {
                    printText(new String(f.content(), java.nio.charset.StandardCharsets.UTF_8));
                } else if (e instanceof SimulatedFiles.Directory) {
                    fail(1, files.busybox() ? "cat: read error: Is a directory" : self + ": " + path + ": Is a directory");
                } else if (e instanceof SimulatedFiles.Missing) {
                    fail(1, files.busybox() ? "cat: can't open '" + path + "': No such file or directory"
                            : self + ": " + path + ": No such file or directory");
                } else if (!imageFilesExist) {
                    fail(1, self + ": " + path + ": " + notSimulated());
                }
            }
        }

        private void ls(List<String> args) {
            List<String> paths = args.subList(1, args.size()).stream().filter(a -> !a.startsWith("-")).toList();
            if (paths.isEmpty()) {
                paths = List.of(".");
            }
            for (String path : paths) {
                if (paths.size() > 1 && files.lookup(abs(path), start.plus(t)) instanceof SimulatedFiles.Directory) {
                    print(path + ":");
                }
                SimulatedFiles.Entry e = files.lookup(abs(path), start.plus(t));
                if (e instanceof SimulatedFiles.File) {
                    print(path);
                } else if (e instanceof SimulatedFiles.Directory d) {
                    d.names().forEach(this::print);
                } else if (e instanceof SimulatedFiles.Missing) {
                    fail(files.busybox() ? 1 : 2, files.busybox() ? "ls: " + path + ": No such file or directory"
                            : "ls: cannot access '" + path + "': No such file or directory");
                } else if (!imageFilesExist) {
                    fail(2, "ls: " + path + ": " + notSimulated());
                }
            }
        }

        private void rm(List<String> args) {
            String flags = String.join("", args.subList(1, args.size()).stream().filter(a -> a.startsWith("-")).toList());
            boolean force = flags.contains("f");
            boolean recursive = flags.contains("r") || flags.contains("R");
            for (String path : args.subList(1, args.size()).stream().filter(a -> !a.startsWith("-")).toList()) {
                SimulatedFiles.Entry e = files.lookup(abs(path), start.plus(t));
                if (e instanceof SimulatedFiles.Missing) {
                    if (!force) {
                        fail(1, files.busybox() ? "rm: can't remove '" + path + "': No such file or directory"
                                : "rm: cannot remove '" + path + "': No such file or directory");
                    }
                } else if (e instanceof SimulatedFiles.Directory && !recursive) {
                    fail(1, files.busybox() ? "rm: '" + path + "' is a directory" : "rm: cannot remove '" + path + "': Is a directory");
                } else if (files.readOnly(abs(path))) {
                    fail(1, files.busybox() ? "rm: can't remove '" + path + "': Read-only file system"
                            : "rm: cannot remove '" + path + "': Read-only file system");
                } else {
                    files.remove(abs(path), start.plus(t));
                }
            }
        }

        private void touch(List<String> args) {
            for (String path : args.subList(1, args.size())) {
                if (files.readOnly(abs(path))) {
                    fail(1, files.busybox() ? "touch: " + path + ": Read-only file system" : "touch: cannot touch '" + path + "': Read-only file system");
                } else {
                    files.create(abs(path), start.plus(t));
                }
            }
        }

        /**
         * {@code test -d|-f|-e PATH}: from the simulation's files; a path of the image is a directory when every image
         * has it or the simulation knows files below it, and otherwise exists only where image files are taken to (probes).
         */
        private boolean fileTest(String op, String path) {
            Instant now = start.plus(t);
            SimulatedFiles.Entry e = files.lookup(abs(path), now);
            boolean dir = e instanceof SimulatedFiles.Directory || e instanceof SimulatedFiles.Unknown
                    && (IMAGE_DIRS.contains(abs(path)) || !files.filesUnder(abs(path), now).isEmpty());
            boolean file = e instanceof SimulatedFiles.File || e instanceof SimulatedFiles.Unknown && !dir && imageFilesExist;
            return switch (op) {
                case "-d" -> dir;
                case "-f" -> file;
                default -> dir || file;
            };
        }

        /** {@code path} relative to the shell's working directory. */
        private String abs(String path) {
            return SimulatedFiles.normalize(session.cwd, path);
        }

        /**
         * The shell's {@code cd}: to a directory of the simulation or of the image (which is taken to exist: the simulation
         * does not know the image's files), not to a file nor to what is known to be missing (below a volume, removed).
         */
        private void cd(String path) {
            SimulatedFiles.Entry e = files.lookup(abs(path), start.plus(t));
            String why = e instanceof SimulatedFiles.File ? "Not a directory" : e instanceof SimulatedFiles.Missing ? "No such file or directory" : null;
            if (why == null) {
                session.cwd = abs(path);
            } else if (files.busybox()) {
                fail(2, "sh: cd: can't cd to " + path + ": " + why);
            } else {
                fail(1, "bash: cd: " + path + ": " + why);
            }
        }

        private void fail(int code, String message) {
            printErr(message);
            status = code;
        }

        /** {@code sleep}'s argument: seconds, or with an s/m/h/d suffix; {@code infinity} (or nonsense: sleep fails … and we wait) is null. */
        private static Duration sleepTime(String arg) {
            Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)([smhd]?)").matcher(arg);
            if (!m.matches()) {
                return null;
            }
            double v = Double.parseDouble(m.group(1));
            long unit = switch (m.group(2)) {
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                case "d" -> 86_400_000;
                default -> 1000;
            };
            return Duration.ofMillis(Math.round(v * unit));
        }

        private String hostname() {
            return SimulatedFiles.hostname(pod);
        }

        /** What {@code env} prints in a container: the image's PATH, HOSTNAME, the container's variables, HOME. */
        private Map<String, String> environment() {
            Map<String, String> e = new LinkedHashMap<>();
            e.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            e.put("HOSTNAME", hostname());
            e.putAll(vars);
            e.putIfAbsent("HOME", "/root");
            return e;
        }


        /** The shell's word expansion: ~, quotes removed, $VAR, ${VAR}, $?, $((arithmetic)) and $(date|hostname|pwd) outside single quotes. */
        private String expand(String word) {
            if (word.equals("~") || word.startsWith("~/")) {
                word = environment().get("HOME") + word.substring(1); // tilde expansion
            }
            StringBuilder b = new StringBuilder();
            int i = 0;
            while (i < word.length()) {
                char c = word.charAt(i);
                if (c == '\'') {
                    int end = word.indexOf('\'', i + 1);
                    b.append(word, i + 1, end);
                    i = end + 1;
                } else if (c == '"') {
                    int end = word.indexOf('"', i + 1);
                    b.append(substitute(word.substring(i + 1, end)));
                    i = end + 1;
                } else {
                    int next = i;
                    while (next < word.length() && word.charAt(next) != '\'' && word.charAt(next) != '"') {
                        if (word.charAt(next) == '$' && next + 1 < word.length() && word.charAt(next + 1) == '(') {
                            int end = closing(word, next + 1);
                            next = end < 0 ? word.length() : end + 1;
                        } else {
                            next++;
                        }
                    }
                    b.append(substitute(word.substring(i, next)));
                    i = next;
                }
            }
            return b.toString();
        }

        private String substitute(String s) {
            StringBuilder b = new StringBuilder();
            int i = 0;
            while (i < s.length()) {
                if (s.startsWith("$(", i) && closing(s, i + 1) < 0) {
                    // unbalanced inside double quotes (split checks only what is unquoted): kept as written
                    b.append(s, i, s.length());
                    break;
                }
                if (s.startsWith("$((", i)) {
                    int end = closing(s, i + 1);
                    b.append(arithmetic(s.substring(i + 3, end - 1)));
                    i = end + 1;
                } else if (s.startsWith("$(", i)) {
                    int end = closing(s, i + 1);
                    String inner = s.substring(i + 2, end).trim();
                    b.append(switch (inner) {
                        case "date" -> DATE.format(start.plus(t));
                        case "hostname" -> hostname();
                        case "pwd" -> session.cwd;
                        default -> "";
                    });
                    i = end + 1;
                } else if (s.startsWith("$?", i)) {
                    b.append(status);
                    i += 2;
                } else {
                    Matcher m = SHELL_VAR.matcher(s).region(i, s.length());
                    if (s.charAt(i) == '$' && m.lookingAt()) {
                        String name = m.group(1) != null ? m.group(1) : m.group(2);
                        b.append(name.equals("HOSTNAME") ? hostname() : vars.getOrDefault(name, ""));
                        i = m.end();
                    } else {
                        b.append(s.charAt(i++));
                    }
                }
            }
            return b.toString();
        }

        /** Integer + - * / of numbers and variables, left to right (enough for counters). */
        private String arithmetic(String expr) {
            Matcher m = Pattern.compile("\\s*([+\\-*/]?)\\s*\\$?([A-Za-z_][A-Za-z0-9_]*|\\d+)").matcher(expr);
            long acc = 0;
            int at = 0;
            while (m.find() && m.start() == at) {
                String operand = m.group(2);
                long v;
                try {
                    v = Character.isDigit(operand.charAt(0)) ? Long.parseLong(operand) : Long.parseLong(vars.getOrDefault(operand, "0").trim());
                } catch (NumberFormatException e) {
                    v = 0;
                }
                acc = switch (m.group(1)) {
                    case "-" -> acc - v;
                    case "*" -> acc * v;
                    case "/" -> v == 0 ? acc : acc / v;
                    default -> acc + v;
                };
                at = m.end();
            }
            return Long.toString(acc);
        }
    }

    /** The index of the parenthesis closing the one at {@code open}, -1 when there is none ({@link #split} rejects those scripts). */
    private static int closing(String s, int open) {
        int depth = 0;
        for (int j = open; j < s.length(); j++) {
            if (s.charAt(j) == '(') {
                depth++;
            } else if (s.charAt(j) == ')' && --depth == 0) {
                return j;
            }
        }
        return -1;
    }
}
