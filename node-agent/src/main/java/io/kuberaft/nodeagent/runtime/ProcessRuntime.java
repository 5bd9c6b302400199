package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs containers as host processes: {@code command} + {@code args} in a per-pod directory
 * ({@code ROOT/pods/<uid>}), with the container's environment ({@link PodEnvironment}) and its volumes written
 * as files ({@link PodVolumes}) under {@code rootfs/}; stdout and stderr go to one log file per run. There is
 * no image and no isolation: absolute paths in the pod (mountPath, workingDir) are taken below
 * {@code rootfs/}, which the process finds in {@code $KUBERAFT_ROOTFS}.
 */
public final class ProcessRuntime implements ContainerRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessRuntime.class);
    private final Path root;
    private final Clock clock;
    private final Map<String, Proc> containers = new ConcurrentHashMap<>();
    private final ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "process-runtime-killer");
        t.setDaemon(true);
        return t;
    });

    private final long logMaxBytes;
    private final int logMaxFiles;

    public ProcessRuntime(Path root, Clock clock) {
        this(root, clock, io.kuberaft.nodeagent.AgentConfig.CONTAINER_LOG_MAX_BYTES, io.kuberaft.nodeagent.AgentConfig.CONTAINER_LOG_MAX_FILES);
    }

    /** {@code logMaxBytes}, {@code logMaxFiles}: the kubelet's containerLogMaxSize and containerLogMaxFiles. */
    public ProcessRuntime(Path root, Clock clock, long logMaxBytes, int logMaxFiles) {
        this.root = root;
        this.clock = clock;
        this.logMaxBytes = logMaxBytes;
        this.logMaxFiles = logMaxFiles;
        reapOrphans();
    }

    /**
     * Processes a previous agent on this root started and left behind (it was killed, so it could not stop them): they
     * would run twice next to the ones this agent starts for the same pods, holding their ports. Their stdout went to
     * the dead agent, so they cannot be adopted; they are stopped (SIGTERM, SIGKILL 2 s later). A pid file names the
     * process and its start time, so a pid reused by an unrelated process is left alone.
     */
    private void reapOrphans() {
        Path pods = root.resolve("pods");
        if (!Files.isDirectory(pods)) {
            return;
        }
        try (Stream<Path> files = Files.find(pods, 3, (f, a) -> f.getFileName().toString().endsWith(".pid") && f.getParent().getFileName().toString().equals("run"))) {
            for (Path f : files.toList()) {
                try {
                    String[] pidAndStart = Files.readString(f).trim().split(" ");
                    Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(pidAndStart[0]));
                    if (h.isPresent() && h.get().isAlive()
                            && h.get().info().startInstant().map(i -> i.toEpochMilli() == Long.parseLong(pidAndStart[1])).orElse(false)) {
                        ProcessHandle p = h.get();
                        LOG.info("event=orphan-process-stopped pid={} pid-file={}", p.pid(), f);
                        p.descendants().forEach(ProcessHandle::destroy);
                        p.destroy();
                        killer.schedule(() -> {
                            p.descendants().forEach(ProcessHandle::destroyForcibly);
                            p.destroyForcibly();
                        }, 2, TimeUnit.SECONDS);
                    }
                    Files.deleteIfExists(f);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("event=pid-file-unreadable file={} error={}", f, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("event=orphan-scan-failed dir={} error={}", pods, e.toString());
        }
    }

    /** Remembers a started process (pid and start time) for {@link #reapOrphans} of the next agent on this root. */
    private void writePidFile(Path podDir, String container, int attempt, Process p) {
        try {
            Path run = Files.createDirectories(podDir.resolve("run"));
            long started = p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
            Files.writeString(run.resolve(container + "-" + attempt + ".pid"), p.pid() + " " + started + "\n");
        } catch (IOException e) {
            LOG.warn("event=pid-file-not-written pid={} error={}", p.pid(), e.toString());
        }
    }

    @Override
    public String version() {
        return "process://0.1.0";
    }

    /** The process runtime has no mount namespace: a container writes it under {@code $KUBERAFT_ROOTFS}. */
    @Override
    public Optional<byte[]> terminationMessage(RuntimeContainer container, String path) {
        if (!(container instanceof ContainerRun run)) {
            return Optional.empty();
        }
        Path file = podDir(run.podUid).resolve("rootfs").resolve(path.replaceFirst("^/+", ""));
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public void refreshVolumes(PodContext pod, RuntimeContainer container, Container spec) {
        try {
            PodVolumes.refresh(pod, podDir(pod.uid()).resolve("volumes"));
        } catch (IOException e) {
            LOG.warn("event=volume-refresh-failed pod={}/{} error={}", pod.namespace(), pod.name(), e.toString());
        }
    }

    Path podDir(String uid) {
        return root.resolve("pods").resolve(uid);
    }

    @Override
    public RuntimeContainer start(PodContext pod, Container c, int attempt) throws CannotStartException {
        List<String> cmd = new ArrayList<>();
        if (c.getCommand() != null) {
            cmd.addAll(c.getCommand());
        }
        if (c.getArgs() != null) {
            cmd.addAll(c.getArgs());
        }
        if (c.getCommand() == null || c.getCommand().isEmpty()) {
            throw new CannotStartException("CreateContainerError", "the process runtime runs spec.containers[].command; container "
                    + c.getName() + " has none (image " + c.getImage() + "'s entrypoint cannot be run without a container engine)");
        }
        Map<String, String> env = PodEnvironment.of(pod, c);
        cmd = PodEnvironment.expand(cmd, env);
        String exe = cmd.get(0);
        if (!executable(exe, env.getOrDefault("PATH", System.getenv("PATH")))) {
            throw new CannotStartException("RunContainerError", "exec: \"" + exe + "\": executable file not found in $PATH");
        }
        Path dir = podDir(pod.uid());
        Path rootfs = dir.resolve("rootfs");
        try {
            Files.createDirectories(rootfs);
            PodVolumes.write(pod, dir.resolve("volumes"));
            if (c.getVolumeMounts() != null) {
                for (VolumeMount m : c.getVolumeMounts()) {
                    PodVolumes.link(dir.resolve("volumes"), m, rootfs);
                }
            }
            Path workDir = c.getWorkingDir() == null || c.getWorkingDir().isEmpty() ? rootfs
                    : rootfs.resolve(c.getWorkingDir().replaceFirst("^/+", ""));
            Files.createDirectories(workDir);
            Path logPath = dir.resolve("logs").resolve(c.getName()).resolve(attempt + ".log");
            Files.createDirectories(logPath.getParent());
            ContainerLogFile log = new ContainerLogFile(logPath, logMaxBytes, logMaxFiles, clock);
            // spec.stdin: a pipe that kubectl attach -i writes to; otherwise /dev/null, as a container engine does.
            // spec.tty: stdin, stdout and stderr are one pseudo-terminal (its input is what attach -i sends).
            boolean stdin = Boolean.TRUE.equals(c.getStdin());
            Map<String, String> processEnv = processEnvironment(rootfs, pod.name(), env);
            Process p;
            try {
                if (Boolean.TRUE.equals(c.getTty())) {
                    p = TerminalProcess.start(cmd, processEnv, workDir, TerminalSize.DEFAULT);
                } else {
                    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                            .redirectInput(stdin ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.from(new File("/dev/null")));
                    pb.environment().clear();
                    pb.environment().putAll(processEnv);
                    p = pb.start();
                }
            } catch (IOException e) {
                log.close();
                throw e;
            }
            Proc proc = new Proc(version().replace("0.1.0", "") + pod.uid().substring(0, Math.min(8, pod.uid().length())) + "-" + c.getName()
                    + "-" + attempt + "-" + p.pid(), c.getName(), c.getImage(), clock.instant(), p, log, env, workDir, pod.uid(), stdin);
            writePidFile(dir, c.getName(), attempt, p);
            p.onExit().thenRun(() -> proc.finishedAt = clock.instant());
            LogPump.start(p, log, clock, proc.drained, proc.containerId, p instanceof TerminalProcess);
            containers.put(proc.containerId, proc);
            LOG.info("event=process-started pod={}/{} container={} pid={}", pod.namespace(), pod.name(), c.getName(), p.pid());
            return proc;
        } catch (IOException e) {
            throw new CannotStartException("RunContainerError", "cannot start " + exe + ": " + e.getMessage());
        }
    }

    /** A container process's whole environment: the host's PATH, a HOME in the pod's rootfs, then the container's own. */
    private static Map<String, String> processEnvironment(Path rootfs, String hostname, Map<String, String> containerEnv) {
        Map<String, String> e = new java.util.LinkedHashMap<>();
        e.put("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        e.put("HOME", rootfs.toString());
        e.put("KUBERAFT_ROOTFS", rootfs.toString());
        e.put("HOSTNAME", hostname);
        e.putAll(containerEnv);
        return e;
    }

    private static boolean executable(String exe, String path) {
        if (exe.contains("/")) {
            return Files.isExecutable(Path.of(exe));
        }
        for (String d : (path == null ? "" : path).split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void stop(RuntimeContainer container, Duration grace) {
        if (!(container instanceof Proc p) || !p.process.isAlive()) {
            return; // a restored run has no process
        }
        // SIGTERM to the process and what it started, SIGKILL to whatever is left when the grace period is over.
        p.process.descendants().forEach(ProcessHandle::destroy);
        p.process.destroy();
        killer.schedule(() -> {
            p.process.descendants().forEach(ProcessHandle::destroyForcibly);
            p.process.destroyForcibly();
        }, Math.max(0, grace.toMillis()), TimeUnit.MILLISECONDS);
    }

    @Override
    public Optional<LogChunk> log(RuntimeContainer container, long from) {
        try {
            return Optional.of(((LoggedRun) container).log.read(from, 64 * 1024 * 1024));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public long logStart(RuntimeContainer container) {
        return ((LoggedRun) container).log.currentStart();
    }

    @Override
    public Optional<java.io.OutputStream> stdin(RuntimeContainer container) {
        return container instanceof Proc p && p.stdin ? Optional.of(p.process.getOutputStream()) : Optional.empty();
    }

    @Override
    public void resize(RuntimeContainer container, TerminalSize size) {
        if (container instanceof Proc p && p.process instanceof TerminalProcess t) {
            t.resize(size);
        }
    }

    /** The pod's processes share the host's network: its ports are the host's loopback ports. */
    @Override
    public java.net.InetSocketAddress podPortAddress(String podUid, int port) {
        return new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port);
    }

    @Override
    public Process startExec(RuntimeContainer container, List<String> command, TerminalSize tty) throws CannotStartException {
        if (!(container instanceof Proc p)) {
            throw new CannotStartException("ExecFailed", "container not running (" + container.containerId() + ")");
        }
        if (command.isEmpty()) {
            throw new CannotStartException("ExecFailed", "command must not be empty");
        }
        if (!executable(command.get(0), p.env.getOrDefault("PATH", System.getenv("PATH")))) {
            throw new CannotStartException("ExecFailed", "exec: \"" + command.get(0) + "\": executable file not found in $PATH");
        }
        Map<String, String> env = processEnvironment(podDir(p.podUid).resolve("rootfs"), p.env.getOrDefault("HOSTNAME", ""), p.env);
        try {
            if (tty != null) {
                return TerminalProcess.start(command, env, p.workDir, tty);
            }
            ProcessBuilder pb = new ProcessBuilder(command).directory(p.workDir.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            return pb.start();
        } catch (IOException e) {
            throw new CannotStartException("ExecFailed", "cannot start " + command.get(0) + ": " + e.getMessage());
        }
    }

    @Override
    public ExecResult exec(RuntimeContainer container, List<String> command, Duration timeout) {
        if (!(container instanceof Proc p)) {
            return new ExecResult(126, "container not running (" + container.containerId() + ")");
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(p.workDir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(p.env);
            Process proc = pb.start();
            byte[] out = proc.getInputStream().readNBytes(64 * 1024);
            if (!proc.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                proc.destroyForcibly();
                return new ExecResult(1, "command timed out after " + timeout.toSeconds() + "s");
            }
            return new ExecResult(proc.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new ExecResult(126, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ExecResult(1, "interrupted");
        }
    }

    /**
     * The log files stay on this root when an agent is restarted (only {@link #removePod} deletes them): the finished
     * run's log is the newest attempt's file of the container, read as it was left.
     */
    @Override
    public Optional<RuntimeContainer> restore(PodContext pod, Container container, int exitCode, Instant startedAt, Instant finishedAt) {
        Path dir = podDir(pod.uid()).resolve("logs").resolve(container.getName());
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            Optional<Integer> newest = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("\\d+\\.log"))
                    .map(n -> Integer.parseInt(n.substring(0, n.length() - ".log".length()))).max(Integer::compare);
            if (newest.isEmpty()) {
                return Optional.empty();
            }
            ContainerLogFile log = new ContainerLogFile(dir.resolve(newest.get() + ".log"), logMaxBytes, logMaxFiles, clock);
            log.close(); // read only: reads open the file themselves
            String id = version().replace("0.1.0", "") + pod.uid().substring(0, Math.min(8, pod.uid().length())) + "-"
                    + container.getName() + "-" + newest.get() + "-restored";
            return Optional.of(new Restored(id, container.getName(), container.getImage(), startedAt, pod.uid(), log,
                    RuntimeContainer.Exit.of(exitCode, finishedAt)));
        } catch (IOException | RuntimeException e) {
            LOG.warn("event=log-not-restored pod={}/{} container={} error={}", pod.namespace(), pod.name(), container.getName(), e.toString());
            return Optional.empty();
        }
    }

    @Override
    public void removePod(String podUid) {
        containers.values().removeIf(p -> {
            if (p.podUid.equals(podUid)) {
                p.process.descendants().forEach(ProcessHandle::destroyForcibly);
                p.process.destroyForcibly();
                return true;
            }
            return false;
        });
        Path dir = podDir(podUid);
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(x);
                }
            } catch (IOException e) {
                LOG.warn("event=pod-dir-not-removed dir={} error={}", dir, e.toString());
            }
        }
    }

    @Override
    public void close() {
        for (Proc p : containers.values()) {
            p.process.descendants().forEach(ProcessHandle::destroyForcibly);
            p.process.destroyForcibly();
        }
        killer.shutdownNow();
    }

    /** The container's process and everything it started, summed as its cgroup would count them. */
    @Override
    public Optional<ContainerUsage> usage(RuntimeContainer container, Pod pod) {
        if (!(container instanceof Proc p) || !p.process.isAlive()) {
            return Optional.empty();
        }
        long cpu = 0;
        long rss = 0;
        boolean any = false;
        for (ProcessHandle h : Stream.concat(Stream.of(p.process.toHandle()), p.process.descendants()).toList()) {
            Optional<ProcStat> st = ProcStat.read(h.pid());
            if (st.isPresent()) {
                any = true;
                cpu += st.get().cpuNanos();
                rss += st.get().rssBytes();
            }
        }
        return any ? Optional.of(new ContainerUsage(clock.instant(), cpu, rss)) : Optional.empty();
    }

    /** A run whose log this runtime reads: a process it started, or one a previous agent started ({@link #restore}). */
    private abstract static class LoggedRun extends ContainerRun {
        final ContainerLogFile log;

        LoggedRun(String containerId, String name, String image, Instant startedAt, String podUid, ContainerLogFile log) {
            super(containerId, name, image, startedAt, podUid);
            this.log = log;
        }
    }

    /** A run that ended before this agent started: its log file, and the exit the pod's status recorded. */
    private static final class Restored extends LoggedRun {
        private final RuntimeContainer.Exit exit;

        Restored(String containerId, String name, String image, Instant startedAt, String podUid, ContainerLogFile log, RuntimeContainer.Exit exit) {
            super(containerId, name, image, startedAt, podUid, log);
            this.exit = exit;
        }

        @Override
        public Optional<Exit> exit() {
            return Optional.of(exit);
        }
    }

    private static final class Proc extends LoggedRun {
        final Process process;
        final Map<String, String> env;
        final Path workDir;
        final java.util.concurrent.CountDownLatch drained = new java.util.concurrent.CountDownLatch(2);
        final boolean stdin;
        volatile Instant finishedAt;

        Proc(String containerId, String name, String image, Instant startedAt, Process process, ContainerLogFile log, Map<String, String> env,
             Path workDir, String podUid, boolean stdin) {
            super(containerId, name, image, startedAt, podUid, log);
            this.stdin = stdin;
            this.process = process;
            this.env = env;
            this.workDir = workDir;
        }

        @Override
        public Optional<Exit> exit() {
            if (process.isAlive()) {
                return Optional.empty();
            }
            // Exited once its output is in the log (a child that keeps stdout open is not waited for long).
            if (drained.getCount() > 0 && (finishedAt == null || finishedAt.plusSeconds(2).isAfter(Instant.now()))) {
                return Optional.empty();
            }
            Instant at = finishedAt != null ? finishedAt : Instant.now();
            return Optional.of(Exit.of(process.exitValue(), at));
        }
    }
}
