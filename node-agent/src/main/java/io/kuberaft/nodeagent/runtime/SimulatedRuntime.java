package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Containers that only pretend to run (as KWOK's): nothing is executed, so one JVM can host thousands of
 * nodes. A container runs until its pod says otherwise; pods with restartPolicy Never or OnFailure exit 0
 * after a run time so Jobs complete. Tests steer it with pod annotations ({@link #PREFIX}; each key may be
 * suffixed with {@code .<container>} to apply to one container only):
 * <ul>
 *   <li>{@code run-seconds}: how long a container runs before it exits (default: the runtime's run time for
 *   Never/OnFailure pods, forever for Always pods).</li>
 *   <li>{@code exit-code}: the exit code when it exits (default 0; reason Completed for 0, else Error).</li>
 *   <li>{@code crash-loop: "true"}: every run exits after {@code run-seconds} (default 1) with {@code exit-code}
 *   (default 1), whatever the restart policy: an Always pod goes into CrashLoopBackOff.</li>
 *   <li>{@code start-error: <message>}: the container cannot start (waiting reason CreateContainerError).</li>
 *   <li>{@code probe-fail: liveness,readiness,startup,poststart,prestop}: those probes and lifecycle hooks fail (all
 *   others succeed).</li>
 *   <li>{@code log: <text>}: lines the container "prints" (what {@code kubectl logs} returns).</li>
 *   <li>{@code stop-seconds}: how long a container takes to stop after SIGTERM (capped by the grace period;
 *   default 0).</li>
 *   <li>{@code cpu-usage}, {@code memory-usage}: what the running container uses, as quantities ({@code 250m},
 *   {@code 64Mi}; default {@value #IDLE_CPU} and {@value #IDLE_MEMORY}, an idle container), reported to
 *   {@code kubectl top} and the HorizontalPodAutoscaler. Read from the pod as it is now, so {@code kubectl annotate
 *   pod web-x sim.kuberaft.io/cpu-usage=400m --overwrite} simulates load.</li>
 * </ul>
 */
public final class SimulatedRuntime implements ContainerRuntime {
    public static final String PREFIX = "sim.kuberaft.io/";
    static final String IDLE_CPU = "1m";
    static final String IDLE_MEMORY = "4Mi";
    private final Clock clock;
    private final Duration runTime;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Sim> containers = new ConcurrentHashMap<>();

    /** @param runTime how long containers of Never/OnFailure pods run before they exit 0 */
    public SimulatedRuntime(Clock clock, Duration runTime) {
        this.clock = clock;
        this.runTime = runTime;
    }

    @Override
    public String version() {
        return "simulated://0.1.0";
    }

    static String setting(PodContext pod, String container, String key) {
        return setting(pod.pod().getMetadata().getAnnotations(), container, key);
    }

    private static String setting(Map<String, String> annotations, String container, String key) {
        if (annotations == null) {
            return null;
        }
        String own = annotations.get(PREFIX + key + "." + container);
        return own != null ? own : annotations.get(PREFIX + key);
    }

    /** A quantity annotation, or {@code idle} when it is missing or not a quantity (usage has nowhere to report an error). */
    private static BigDecimal quantity(Map<String, String> annotations, String container, String key, String idle) {
        String v = setting(annotations, container, key);
        if (v != null) {
            try {
                return Quantity.getAmountInBytes(new Quantity(v.trim()));
            } catch (RuntimeException e) {
                // fall through to the idle value
            }
        }
        return Quantity.getAmountInBytes(new Quantity(idle));
    }

    /**
     * CPU accrues at the rate the pod's annotation gives now (integrated since the last sample, so changing the
     * annotation changes the rate from then on), memory is what the annotation says.
     */
    @Override
    public Optional<ContainerUsage> usage(RuntimeContainer container, Pod pod) {
        Sim sim = (Sim) container;
        synchronized (sim) {
            if (sim.exit().isPresent()) {
                return Optional.empty();
            }
            Map<String, String> a = pod.getMetadata().getAnnotations();
            Instant now = clock.instant();
            long elapsedNanos = Math.max(0, Duration.between(sim.usageAt, now).toNanos());
            // whole nanocores (a quantity has nano precision) times nanoseconds, the remainder carried to the next sample:
            // the counter never drifts from the annotated rate, so a constant rate comes out exact
            long nanoCores = Math.max(0, quantity(a, sim.name, "cpu-usage", IDLE_CPU).movePointRight(9).setScale(0, RoundingMode.HALF_UP).longValue());
            BigInteger[] used = BigInteger.valueOf(nanoCores).multiply(BigInteger.valueOf(elapsedNanos))
                    .add(BigInteger.valueOf(sim.cpuCarry)).divideAndRemainder(BigInteger.valueOf(1_000_000_000L));
            sim.cpuNanos += used[0].longValueExact();
            sim.cpuCarry = used[1].longValueExact();
            sim.usageAt = now;
            long memory = Math.max(0, quantity(a, sim.name, "memory-usage", IDLE_MEMORY).longValue());
            return Optional.of(new ContainerUsage(now, sim.cpuNanos, memory));
        }
    }

    private static Duration seconds(String value, String key) throws CannotStartException {
        try {
            return Duration.ofMillis(Math.round(Double.parseDouble(value.trim()) * 1000));
        } catch (NumberFormatException e) {
            throw new CannotStartException("CreateContainerConfigError", "annotation " + PREFIX + key + ": not a number of seconds: " + value);
        }
    }

    @Override
    public RuntimeContainer start(PodContext pod, Container container, int attempt) throws CannotStartException {
        String name = container.getName();
        String startError = setting(pod, name, "start-error");
        if (startError != null) {
            throw new CannotStartException("CreateContainerError", startError);
        }
        boolean crashLoop = "true".equalsIgnoreCase(setting(pod, name, "crash-loop"));
        String runSeconds = setting(pod, name, "run-seconds");
        String exitCode = setting(pod, name, "exit-code");
        String policy = pod.pod().getSpec().getRestartPolicy();
        Instant now = clock.instant();
        // as the kubelet: the environment (a missing ConfigMap or Secret key stops the start), $(VAR) in command and args
        Map<String, String> env = PodEnvironment.of(pod, container);
        // as the kubelet: the volumes (a missing ConfigMap or Secret stops the start)
        SimulatedFiles files = SimulatedFiles.of(pod, container);
        SimulatedCommand.Run script = play(pod, container, env, now, files);
        // `kubectl run -it --image=busybox -- sh`: a shell reading the stdin kubectl attaches to, until it exits
        boolean shell = script == null && Boolean.TRUE.equals(container.getStdin()) && SimulatedCommand.interactiveShell(argv(container, env));
        Duration runFor;
        if (shell && runSeconds == null && !crashLoop) {
            runFor = null;
        } else if (runSeconds != null) {
            runFor = seconds(runSeconds, "run-seconds");
        } else if (crashLoop) {
            runFor = Duration.ofSeconds(1);
        } else if (script != null) {
            // A script that exits at once still takes the run time a short command is given, so that its pod is seen
            // Running; not in a container with stdin (`kubectl run -i`), which kubectl attaches to once Running: the
            // output would go before the attach and the attach would then wait for nothing. Exited at once, the attach
            // is refused and kubectl prints the container's log instead, as upstream when the command beats the attach.
            boolean stdin = Boolean.TRUE.equals(container.getStdin());
            runFor = script.exitsAfter().map(d -> d.isZero() && !stdin ? runTime : d).orElse(null);
        } else if (("Never".equals(policy) || "OnFailure".equals(policy)) && (exitCode != null || !runsAServer(container))) {
            runFor = runTime;
        } else {
            runFor = null;
        }
        int code;
        try {
            code = exitCode != null ? Integer.parseInt(exitCode.trim()) : crashLoop ? 1 : script != null ? script.exitCode() : 0;
        } catch (NumberFormatException e) {
            throw new CannotStartException("CreateContainerConfigError", "annotation " + PREFIX + "exit-code: not an integer: " + exitCode);
        }
        String stop = setting(pod, name, "stop-seconds");
        Duration stopTime = stop == null ? Duration.ZERO : seconds(stop, "stop-seconds");
        String probeFail = setting(pod, name, "probe-fail");
        List<String> failing = probeFail == null ? List.of() : Arrays.stream(probeFail.split(",")).map(String::trim).toList();
        StringBuilder log = new StringBuilder();
        log.append("simulated container ").append(name).append(" of pod ").append(pod.namespace()).append('/').append(pod.name())
                .append(" started (image ").append(container.getImage()).append(", run ").append(attempt + 1).append(")\n");
        String lines = setting(pod, name, "log");
        if (lines != null) {
            log.append(lines.endsWith("\n") ? lines : lines + "\n");
        }
        Sim sim = new Sim("simulated://" + Long.toHexString(0x5100_0000_0000L + ids.incrementAndGet()),
                name, container.getImage(), now, runFor == null ? null : now.plus(runFor), code, stopTime, failing, log.toString(), script,
                env, pod, files);
        if (shell) {
            sim.startShell(Boolean.TRUE.equals(container.getTty()));
        }
        containers.put(sim.containerId, sim);
        return sim;
    }

    /** Images whose own entrypoint is a server: run without a command, they run until stopped, whatever the restart policy. */
    private static final java.util.Set<String> SERVER_IMAGES = java.util.Set.of("nginx", "nginx-unprivileged", "httpd", "redis",
            "postgres", "mysql", "mariadb", "mongo", "memcached", "rabbitmq", "traefik", "caddy", "haproxy", "pause", "echoserver",
            "echo-server", "http-echo", "hello-app", "hello", "tomcat", "wordpress", "grafana", "prometheus", "registry", "etcd",
            "elasticsearch", "jenkins", "consul", "vault", "coredns");

    /**
     * Whether the container runs its image's entrypoint and that is a server ({@code kubectl run web --image=nginx
     * --restart=Never} stays Running upstream), not a short command (perl computing pi, a shell reading no input).
     */
    static boolean runsAServer(Container c) {
        if (c.getCommand() != null && !c.getCommand().isEmpty() || c.getArgs() != null && !c.getArgs().isEmpty() || c.getImage() == null) {
            return false;
        }
        String image = c.getImage().replaceFirst("@.*$", "");
        image = image.substring(image.lastIndexOf('/') + 1).replaceFirst(":[^:]*$", "");
        return SERVER_IMAGES.contains(image);
    }

    /**
     * The container's command line played from {@code start}, or null when not understood. As the kubelet: $(VAR) of the
     * environment expanded in command and args; args alone replace the image's CMD (`kubectl run x --image=busybox --
     * sleep 3600`: busybox has no ENTRYPOINT), and args that name no program we know (an ENTRYPOINT's) are not understood.
     */
    private static SimulatedCommand.Run play(PodContext pod, Container container, Map<String, String> env, Instant start, SimulatedFiles files) {
        return SimulatedCommand.parse(argv(container, env)).map(c -> c.start(start, env, pod, files, false)).orElse(null);
    }

    private static List<String> argv(Container container, Map<String, String> env) {
        List<String> argv = new ArrayList<>();
        argv.addAll(PodEnvironment.expand(container.getCommand() == null ? List.of() : container.getCommand(), env));
        argv.addAll(PodEnvironment.expand(container.getArgs() == null ? List.of() : container.getArgs(), env));
        return argv;
    }

    /** The simulation is deterministic: the command is played again from the recorded start, up to the recorded end. */
    @Override
    public Optional<RuntimeContainer> restore(PodContext pod, Container container, int exitCode, Instant startedAt, Instant finishedAt) {
        Map<String, String> env;
        try {
            env = PodEnvironment.of(pod, container);
        } catch (CannotStartException e) {
            env = Map.of();
        }
        SimulatedFiles files;
        try {
            files = SimulatedFiles.of(pod, container);
        } catch (CannotStartException e) {
            files = SimulatedFiles.kubeletFiles(pod, container);
        }
        SimulatedCommand.Run script = play(pod, container, env, startedAt, files);
        String log = "simulated container " + container.getName() + " of pod " + pod.namespace() + "/" + pod.name()
                + " started (image " + container.getImage() + ", restored after an agent restart)\n";
        return Optional.of(new Sim("simulated://" + Long.toHexString(0x5100_0000_0000L + ids.incrementAndGet()), container.getName(),
                container.getImage(), startedAt, finishedAt, exitCode, Duration.ZERO, List.of(), log, script, env, pod, files));
    }

    @Override
    public void stop(RuntimeContainer container, Duration grace) {
        Sim sim = (Sim) container;
        synchronized (sim) {
            if (sim.stopAt == null) {
                Duration d = sim.stopTime.compareTo(grace) < 0 ? sim.stopTime : grace;
                sim.stopAt = clock.instant().plus(d);
                // A container that needed the whole grace period was killed (137); one that stopped in time exits 143 on SIGTERM.
                sim.stopCode = sim.stopTime.compareTo(grace) >= 0 && !grace.isZero() ? 137 : 143;
            }
        }
        if (sim.shell != null) {
            sim.shell.destroy();
        }
    }

    @Override
    public Optional<LogChunk> log(RuntimeContainer container, long from) {
        Sim sim = (Sim) container;
        StringBuilder b = new StringBuilder();
        Optional<RuntimeContainer.Exit> exit = sim.exit();
        if (sim.script != null) {
            // what the command printed, up to now or its end
            for (SimulatedCommand.Run.Line l : sim.script.linesUntil(exit.map(RuntimeContainer.Exit::finishedAt).orElse(clock.instant()))) {
                b.append(CriLog.format(sim.startedAt.plus(l.at()), l.err() ? "stderr" : "stdout", l.text(), !l.newline()));
            }
        } else {
            for (String line : sim.log.split("\n")) {
                b.append(CriLog.format(sim.startedAt, "stdout", line, false));
            }
            if (sim.shell != null) {
                b.append(sim.shellLog); // what the shell wrote
            } else {
                exit.ifPresent(e -> b.append(CriLog.format(e.finishedAt(), "stdout", "simulated container " + sim.name + " exited with code " + e.exitCode(), false)));
            }
        }
        byte[] all = b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int start = (int) Math.min(Math.max(0, from), all.length);
        return Optional.of(new LogChunk(start, java.util.Arrays.copyOfRange(all, start, all.length)));
    }

    /**
     * An exec probe or hook: played on the container's files as they are now (after what its own command did so far:
     * {@code touch /tmp/healthy; sleep 30; rm /tmp/healthy}), the image's files taken to exist. A command the
     * simulation does not understand succeeds, as the image's program is expected to.
     */
    @Override
    public ExecResult exec(RuntimeContainer container, List<String> command, Duration timeout) {
        Sim sim = (Sim) container;
        SimulatedCommand.Run run = played(sim, command, true);
        if (run == null) {
            return new ExecResult(0, "");
        }
        StringBuilder out = new StringBuilder();
        run.allLines().forEach(l -> out.append(l.written("\n")));
        return new ExecResult(run.exitCode(), out.toString());
    }

    @Override
    public Process startExec(RuntimeContainer container, List<String> command, TerminalSize tty) throws CannotStartException {
        Sim sim = (Sim) container;
        if (SimulatedCommand.interactiveShell(command)) {
            return shell(sim, tty != null);
        }
        if (SimulatedTar.plays(command)) {
            return SimulatedTar.start(sim.files, command, clock::instant); // kubectl cp
        }
        // the commands a simulated container can play (env, cat of its volumes' files, echo, …) answer at once; anything else cannot run
        SimulatedCommand.Run run = played(sim, command, false);
        if (run == null) {
            throw new CannotStartException("ExecNotSupported", "the simulated runtime cannot run " + String.join(" ", command)
                    + ": container " + container.name() + " only pretends to run (it plays echo, date, env, printenv, hostname, "
                    + "cat, ls, rm and touch on its volumes and /etc/hosts, cd, pwd, export, > and >> into files, sleep and exit, tar for "
                    + "kubectl cp, and an interactive sh of these; use --runtime "
                    + "process to exec anything else)");
        }
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        run.allLines().forEach(l -> (l.err() ? err : out).append(l.written("\n")));
        return new PlayedProcess(out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                err.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), run.exitCode());
    }

    /** The stdin of a container running a shell ({@code kubectl run -it … -- sh}): what {@code attach -i} sends it. */
    @Override
    public Optional<java.io.OutputStream> stdin(RuntimeContainer container) {
        SimulatedShell shell = ((Sim) container).shell;
        return shell == null ? Optional.empty() : Optional.of(shell.getOutputStream());
    }

    /** A simulated interactive shell in the container: each line played as {@code sh -c LINE} in the shell's session. */
    private SimulatedShell shell(Sim sim, boolean tty) {
        SimulatedCommand.Session session = new SimulatedCommand.Session(sim.env, sim.files.workingDir());
        return new SimulatedShell(line -> {
            SimulatedCommand.Run r = played(sim, List.of("sh", "-c", line), false, session);
            if (r == null) {
                session.notPlayed();
                return null;
            }
            return new SimulatedShell.Played(r.allLines(), r.exitCode());
        }, tty, () -> prompt(sim, session.cwd()));
    }

    /** The prompt of the image's shell for root in {@code cwd}: busybox's {@code / # }, bash's {@code root@HOST:/# } ({@code ~} for /root). */
    private static String prompt(Sim sim, String cwd) {
        String wd = cwd.equals("/root") || cwd.startsWith("/root/") ? "~" + cwd.substring("/root".length()) : cwd;
        return sim.files.busybox() ? wd + " # " : "root@" + SimulatedFiles.hostname(sim.pod) + ":" + wd + "# ";
    }

    /** {@code command} played in the container now, or null when the simulation does not understand it or it would not end. */
    private SimulatedCommand.Run played(Sim sim, List<String> command, boolean imageFilesExist) {
        return played(sim, command, imageFilesExist, new SimulatedCommand.Session(sim.env, sim.files.workingDir()));
    }

    private SimulatedCommand.Run played(Sim sim, List<String> command, boolean imageFilesExist, SimulatedCommand.Session session) {
        Instant now = clock.instant();
        if (sim.script != null) {
            sim.script.advanceTo(now); // the container's own command has done what it does by now
        }
        return SimulatedCommand.parse(command).map(c -> c.start(now, session, sim.pod, sim.files, imageFilesExist))
                .filter(r -> r.exitsAfter().isPresent()).orElse(null);
    }

    @Override
    public java.net.InetSocketAddress podPortAddress(String podUid, int port) throws CannotStartException {
        throw new CannotStartException("PortForwardNotSupported", "the simulated runtime runs no processes, so nothing listens on port "
                + port + " (use --runtime process to reach pod ports)");
    }

    @Override
    public Optional<Boolean> simulatedProbe(RuntimeContainer container, String probeKind) {
        return Optional.of(!((Sim) container).failingProbes.contains(probeKind));
    }

    @Override
    public void removePod(String podUid) {
        containers.values().removeIf(s -> s.podUid.equals(podUid));
    }

    @Override
    public Optional<byte[]> terminationMessage(RuntimeContainer container, String path) {
        if (container instanceof Sim sim && sim.exit().isPresent()
                && sim.files.lookup(path, sim.exit().get().finishedAt()) instanceof SimulatedFiles.File f) {
            return Optional.of(f.content());
        }
        return Optional.empty();
    }

    @Override
    public void refreshVolumes(PodContext pod, RuntimeContainer container, Container spec) {
        if (container instanceof Sim sim) {
            sim.files.refreshVolumes(pod, spec);
        }
    }

    private final class Sim extends ContainerRun {
        final Instant exitAt;
        final int exitCode;
        final Duration stopTime;
        final List<String> failingProbes;
        final String log;
        /** The container's command as played by {@link SimulatedCommand}, when understood. */
        final SimulatedCommand.Run script;
        /** The container's environment and pod, for what {@code kubectl exec} plays in it. */
        final Map<String, String> env;
        final PodContext pod;
        /** What the container's files are now (its volumes, and what its commands removed or created). */
        final SimulatedFiles files;
        /** The shell a container with stdin whose command is {@code sh} runs (see {@link #startShell}), else null. */
        SimulatedShell shell;
        /** What the shell wrote, as CRI log entries (what {@code attach} and {@code logs} read). */
        final StringBuffer shellLog = new StringBuffer();
        volatile Exit shellExit;
        Instant stopAt;
        int stopCode;
        /** CPU time used up to {@link #usageAt} (see {@link #usage}). */
        long cpuNanos;
        /** nanocore-nanoseconds not yet a whole nanosecond of {@link #cpuNanos}. */
        long cpuCarry;
        Instant usageAt;

        Sim(String containerId, String name, String image, Instant startedAt, Instant exitAt, int exitCode, Duration stopTime,
            List<String> failingProbes, String log, SimulatedCommand.Run script, Map<String, String> env, PodContext pod,
            SimulatedFiles files) {
            super(containerId, name, image, startedAt, pod.uid());
            this.script = script;
            this.env = env;
            this.pod = pod;
            this.files = files;
            this.exitAt = exitAt;
            this.exitCode = exitCode;
            this.stopTime = stopTime;
            this.failingProbes = failingProbes;
            this.log = log;
            this.usageAt = startedAt;
        }

        /** Runs the container's shell: its output goes to the log as it comes, its end is the container's. */
        void startShell(boolean tty) {
            shell = SimulatedRuntime.this.shell(this, tty);
            CountDownLatch drained = new CountDownLatch(2);
            LogPump.start(shell, new LogPump.Sink() {
                @Override
                public void append(byte[] entry) {
                    shellLog.append(new String(entry, java.nio.charset.StandardCharsets.UTF_8));
                }

                @Override
                public void close() {
                    // the log lives as long as the container
                }
            }, clock, drained, containerId, true);
            Thread waiter = new Thread(() -> {
                try {
                    int code = shell.waitFor();
                    drained.await();
                    shellExit = Exit.of(code, clock.instant());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "simulated-shell-exit-" + containerId);
            waiter.setDaemon(true);
            waiter.start();
        }

        @Override
        public synchronized Optional<Exit> exit() {
            Instant now = clock.instant();
            Exit ended = shellExit;
            if (ended != null && (stopAt == null || ended.finishedAt().isBefore(stopAt))) {
                return Optional.of(ended);
            }
            Instant natural = exitAt;
            if (stopAt != null && (natural == null || stopAt.isBefore(natural))) {
                return now.isBefore(stopAt) ? Optional.empty() : Optional.of(Exit.of(stopCode, stopAt));
            }
            if (natural != null && !now.isBefore(natural)) {
                return Optional.of(Exit.of(exitCode, natural));
            }
            return Optional.empty();
        }
    }
}
