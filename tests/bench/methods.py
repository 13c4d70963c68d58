"""methods.py: the four ways of running a probe matrix that the benchmark compares, each
measured as one sample {wall, user, sys, rss_kb, correct, total, note}.

- seed:     one curl / psql / dig process per probe, in sequence (the seed's kubectl exec way)
- blackbox: Prometheus blackbox_exporter in the pod, its /probe endpoints driven by curl --parallel
- curl:     curl --parallel on the matrix's HTTP(S) probes alone (libcurl's own ceiling)
- ztprobe:  the agent, `ztprobe run -c CFG --role R -o json`

Every sample also checks its verdicts (allow reached, deny not), so a method that fails fast is
seen failing, not taken as fast. CPU and peak RSS come from wait4() of each process, or from
/proc for the long-running exporter.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse

CURL_PARALLEL_CAP = 300          # curl refuses --parallel-max above 300


RUSAGE = os.environ.get("ZTBENCH_RUSAGE", "")   # the compiled rusage.c (run.sh builds it)


class Ru:
    def __init__(self, user, sys_, maxrss):
        self.ru_utime, self.ru_stime, self.ru_maxrss = user, sys_, maxrss


class Proc:
    """A process started in a lab namespace, its stdout and stderr in files. Measured through
    the rusage helper (see rusage.c for why not with this process's own wait4)."""

    def __init__(self, ns, argv, env=None, tmp="/tmp", measure=True):
        self.out = tempfile.TemporaryFile(dir=tmp)
        self.err = tempfile.TemporaryFile(dir=tmp)
        full = ["ip", "netns", "exec", ns] + argv if ns else list(argv)
        self.ru_file = None
        if measure:
            if not RUSAGE:
                raise RuntimeError("ZTBENCH_RUSAGE is not set (run through run.sh)")
            fd, self.ru_file = tempfile.mkstemp(dir=tmp, prefix="ru")
            os.close(fd)
            full = [RUSAGE, self.ru_file] + full
        # `ip netns exec` exec()s the command: what the helper's child measures is the
        # command itself.
        self.p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=self.out,
                                  stderr=self.err, env=env)
        self.rc = None
        self.ru = None

    def wait(self):
        self.rc = self.p.wait()
        if self.ru_file:
            with open(self.ru_file, encoding="ascii") as handle:
                f = handle.read().split()
            os.unlink(self.ru_file)
            if len(f) != 4:
                raise RuntimeError("rusage helper failed for %s" % self.p.args[2:])
            self.ru = Ru(float(f[0]), float(f[1]), int(f[2]))
            self.rc = int(f[3])
        return self

    def text(self, which="out"):
        f = self.out if which == "out" else self.err
        f.seek(0)
        data = f.read().decode("utf-8", "replace")
        f.close()
        return data


def run_all(jobs):
    """jobs: [(ns, argv, env)] started together. Returns (wall, procs)."""
    t0 = time.monotonic()
    procs = [Proc(ns, argv, env) for ns, argv, env in jobs]
    for p in procs:
        p.wait()
    return time.monotonic() - t0, procs


def sample(wall, procs, correct, total, note=""):
    user = sum(p.ru.ru_utime for p in procs)
    sys_ = sum(p.ru.ru_stime for p in procs)
    rss = max(p.ru.ru_maxrss for p in procs)
    return {"wall": wall, "user": user, "sys": sys_, "cpu": user + sys_, "rss_kb": rss,
            "correct": correct, "total": total, "note": note}


def secs(ms):
    return "%g" % (ms / 1000.0)


def probe_timeout(cfg, probe):
    return probe.get("timeout_ms", cfg["defaults"].get("timeout_ms", 3000))


def probe_ca(cfg, probe):
    return probe.get("ca_file", cfg["defaults"].get("ca_file"))


def status_ok(probe, code):
    want = probe.get("status")
    if want == "any":
        return code > 0
    if isinstance(want, list):
        return code in want
    return 200 <= code < 300


# ------------------------------------------------------------------ the seed's way

def seed_argv(cfg, probe):
    """(argv, env additions, check(rc, stdout) -> bool) of the command a person types."""
    t = probe_timeout(cfg, probe)
    deny = probe["expect"] == "deny"
    kind = probe["kind"]
    if kind in ("http", "https"):
        argv = ["curl", "-s", "-w", "\n%{http_code}"]
        if kind == "https" and probe_ca(cfg, probe):
            argv += ["--cacert", probe_ca(cfg, probe)]
        # A deny probe as the seed does it: --connect-timeout (1 s, the matrix's deny timeout).
        argv += ["--connect-timeout", secs(t)] if deny else ["--max-time", secs(t)]
        argv.append(probe["url"])

        def check(rc, out):
            body, _, code = out.rpartition("\n")
            code = int(code) if code.strip().isdigit() else 0
            if deny:
                return rc in (7, 28) and code == 0
            return (rc == 0 and status_ok(probe, code) and
                    probe.get("body_contains", "") in body)
        return argv, {}, check
    if kind == "tcp":
        # The seed's TCP check: `curl -s --connect-timeout 5 postgres-service:5432`.
        argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_connect}",
                "--connect-timeout", secs(t), "--max-time", secs(t),
                "%s:%d" % (probe["host"], probe["port"])]

        def check(rc, out):
            try:
                connected = float(out.strip() or 0) > 0
            except ValueError:
                connected = False
            return (not connected and rc in (7, 28)) if deny else connected
        return argv, {}, check
    if kind == "postgres":
        argv = ["psql", "-h", probe["host"], "-p", str(probe.get("port", 5432)),
                "-U", probe["user"], "-d", probe["dbname"], "-tA",
                "-c", probe.get("query", "SELECT 1")]
        env = {"PGSSLMODE": probe.get("sslmode", "prefer"),
               "PGCONNECT_TIMEOUT": str(max(2, t // 1000))}
        if probe.get("sslrootcert"):  # verify-full needs the CA the probe trusts
            env["PGSSLROOTCERT"] = probe["sslrootcert"]
        return argv, env, (lambda rc, out: (rc != 0) if deny else rc == 0)
    if kind == "dns":
        argv = ["dig", "+search", "+short", "+time=%d" % max(1, t // 1000), "+tries=1",
                "-t", probe.get("type", "A"), probe["query"]]
        if probe.get("server"):
            argv.insert(1, "@" + probe["server"].split(":")[0])

        def check(rc, out):
            answered = rc == 0 and re.search(r"^[0-9a-f.:]+$", out, re.M) is not None
            return not answered if deny else answered
        return argv, {}, check
    raise ValueError("seed: no command for kind %s" % kind)


def run_seed(ns, cfg, role, env):
    probes = cfg["roles"][role]["probes"]
    t0 = time.monotonic()
    procs, correct = [], 0
    for probe in probes:
        argv, extra, check = seed_argv(cfg, probe)
        p = Proc(ns, argv, dict(env, **extra)).wait()
        procs.append(p)
        correct += bool(check(p.rc, p.text()))
        p.text("err")
    return sample(time.monotonic() - t0, procs, correct, len(probes))


# ------------------------------------------------------------------ curl --parallel, HTTP only

def http_probes(cfg, role):
    return [p for p in cfg["roles"][role]["probes"] if p["kind"] in ("http", "https")]


def curl_groups(cfg, probes, base=0):
    """A curl -K config: one `next`-separated group per probe (each has its own timeout); each
    transfer writes "INDEX CODE" so its verdict can be checked."""
    lines = []
    for i, probe in enumerate(probes):
        t = probe_timeout(cfg, probe)
        if i:
            lines.append("next")
        lines += ["silent", 'output = "/dev/null"',
                  'write-out = "%d %%{http_code}\\n"' % (base + i)]
        if probe["expect"] == "deny":
            lines.append("connect-timeout = %s" % secs(t))
        else:
            lines.append("max-time = %s" % secs(t))
        if probe["kind"] == "https" and probe_ca(cfg, probe):
            lines.append('cacert = "%s"' % probe_ca(cfg, probe))
        lines.append('url = "%s"' % probe["url"])
    return lines


def curl_check(probes, procs):
    seen = {}
    for p in procs:
        for line in p.text().splitlines():
            idx, _, code = line.partition(" ")
            if idx.isdigit() and code.isdigit():
                seen[int(idx)] = int(code)
        p.text("err")
    correct = 0
    for i, probe in enumerate(probes):
        code = seen.get(i, 0)
        if probe["expect"] == "deny":
            correct += code == 0
        else:
            correct += status_ok(probe, code)
    return correct


def run_curl(ns, cfg, probes, parallel_max, tmpdir, env):
    """curl --parallel over probes. Above curl's cap of 300 transfers in flight, several curls
    run side by side, 300 each, so that the cap is not what is measured."""
    per = max(1, min(parallel_max, CURL_PARALLEL_CAP))
    n_procs = 1 if parallel_max <= CURL_PARALLEL_CAP else -(-len(probes) // per)
    size = -(-len(probes) // n_procs)
    jobs = []
    for k in range(n_procs):
        chunk = probes[k * size:(k + 1) * size]
        path = os.path.join(tmpdir, "curl-%d.cfg" % k)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(curl_groups(cfg, chunk, k * size)) + "\n")
        jobs.append((ns, ["curl", "--parallel", "--parallel-max", str(per),
                          "--parallel-immediate", "-K", path], env))
    wall, procs = run_all(jobs)
    note = "" if n_procs == 1 else "%d curl processes side by side" % n_procs
    return sample(wall, procs, curl_check(probes, procs), len(probes), note)


# ------------------------------------------------------------------ blackbox_exporter

def bb_module(probe, nameserver):
    """(module, target) of blackbox.yml for a probe; ValueError when there is none."""
    kind, deny = probe["kind"], probe["expect"] == "deny"
    if kind in ("http", "https"):
        if deny:
            return kind + "_deny", probe["url"]
        if probe.get("status") == "any":
            return kind + "_any", probe["url"]
        if probe.get("body_contains") == '"status":"healthy"':
            return kind + "_healthy", probe["url"]
        if probe.get("body_contains") or probe.get("status") not in (None, [200]):
            raise ValueError("blackbox.yml has no module for %s" % probe["name"])
        return kind + "_2xx", probe["url"]
    if kind in ("tcp", "postgres"):
        # blackbox_exporter has no PostgreSQL prober: a TCP connect is all it can check.
        return ("tcp_deny" if deny else "tcp_connect"), "%s:%d" % (probe["host"],
                                                                  probe.get("port", 5432))
    if kind == "dns" and not deny:
        return "dns_" + probe["query"].replace("-", "_"), probe.get("server") or nameserver
    raise ValueError("blackbox.yml has no module for %s" % probe["name"])


def proc_cpu_rss(pid):
    """(CPU seconds, peak RSS KB) of a running process: the sum of its threads' run time from
    schedstat (nanoseconds, where /proc/PID/stat counts 10 ms ticks), and VmHWM."""
    cpu = 0.0
    task = "/proc/%d/task" % pid
    for tid in os.listdir(task):
        try:
            with open("%s/%s/schedstat" % (task, tid), encoding="ascii") as handle:
                cpu += int(handle.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            pass
    hwm = 0
    with open("/proc/%d/status" % pid, encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return cpu, hwm


def bb_wait_ready(ns, port, exporter):
    for _ in range(100):
        if exporter.p.poll() is not None:
            raise RuntimeError("blackbox_exporter exited: %s" % exporter.text("err")[-500:])
        r = subprocess.run(["ip", "netns", "exec", ns, "curl", "-sf", "-o", "/dev/null",
                            "http://127.0.0.1:%d/-/healthy" % port], check=False)
        if r.returncode == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("blackbox_exporter did not become ready")


def run_blackbox(ns, cfg, role, bb_config, nameserver, tmpdir, env, port=9115):
    """A fresh exporter on the pod's loopback per sample. Wall: the driver's (the exporter is
    a daemon, already up). CPU: the exporter's during the run. RSS: the exporter's peak
    (VmHWM, start-up included)."""
    probes = cfg["roles"][role]["probes"]
    targets = [bb_module(p, nameserver) for p in probes]
    exporter = Proc(ns, ["prometheus-blackbox-exporter", "--config.file", bb_config,
                         "--web.listen-address", "127.0.0.1:%d" % port, "--log.level", "error"],
                    env, measure=False)
    try:
        bb_wait_ready(ns, port, exporter)
        outdir = tempfile.mkdtemp(dir=tmpdir, prefix="bb")
        per = CURL_PARALLEL_CAP
        jobs = []
        for k in range(0, len(targets), per):
            lines = ["silent", "parallel-max = %d" % per]
            for i in range(k, min(k + per, len(targets))):
                module, target = targets[i]
                q = urllib.parse.urlencode({"module": module, "target": target})
                lines += ['url = "http://127.0.0.1:%d/probe?%s"' % (port, q),
                          'output = "%s/%d"' % (outdir, i)]
            path = os.path.join(tmpdir, "bb-%d.cfg" % k)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
            jobs.append((ns, ["curl", "--parallel", "--parallel-immediate", "-K", path], env))
        c0, _ = proc_cpu_rss(exporter.p.pid)
        wall, procs = run_all(jobs)
        c1, hwm = proc_cpu_rss(exporter.p.pid)
        for p in procs:
            p.text()
            p.text("err")
        correct = 0
        for i, probe in enumerate(probes):
            try:
                with open(os.path.join(outdir, str(i)), encoding="utf-8") as handle:
                    ok = re.search(r"^probe_success 1$", handle.read(), re.M) is not None
            except OSError:
                continue
            correct += ok == (probe["expect"] == "allow")
        shutil.rmtree(outdir, ignore_errors=True)
        s = sample(wall, procs, correct, len(probes))
        # The exporter's own CPU during the run is what is compared (the driver stands in
        # for Prometheus' scrapes); the driver's is kept beside it.
        s["driver_cpu"] = s["cpu"]
        s["cpu"] = c1 - c0
        s["exporter_cpu_lifetime"] = c1     # with its start-up, for the record
        s["user"] = s["sys"] = None
        s["rss_kb"] = hwm
        s["driver_rss_kb"] = max(p.ru.ru_maxrss for p in procs)
        s["note"] = "postgres as tcp_connect" if any(p["kind"] == "postgres"
                                                     for p in probes) else ""
        return s
    finally:
        if exporter.p.poll() is None:
            exporter.p.terminate()
        try:
            exporter.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            exporter.p.kill()
            exporter.p.wait()
        exporter.text()
        exporter.text("err")


# ------------------------------------------------------------------ ztprobe

def cmd(binary):
    """The command that runs ztprobe: a path, or an argv prefix (the image's: chroot ROOT ...)."""
    return list(binary) if isinstance(binary, (list, tuple)) else [binary]


def run_version(ns, binary, env):
    """`ztprobe version`: what loading the program and its libraries costs, before any probe."""
    wall, procs = run_all([(ns, cmd(binary) + ["version"], env)])
    procs[0].text()
    procs[0].text("err")
    return sample(wall, procs, int(procs[0].rc == 0), 1)


def run_ztprobe(ns, binary, cfg_path, role, env, tmpdir):
    out = os.path.join(tmpdir, "report.json")
    wall, procs = run_all([(ns, cmd(binary) + ["run", "-c", cfg_path, "--role", role, "-o",
                                               "json", "--out", out], env)])
    err = procs[0].text("err")
    procs[0].text()
    correct, total, note = 0, 0, ""
    try:
        with open(out, encoding="utf-8") as handle:
            rep = json.load(handle)
        correct, total = rep["summary"]["passed"], rep["summary"]["total"]
        codes = [d["code"] for d in rep.get("diagnoses", [])]
        note = ",".join(codes)
        os.unlink(out)
    except (OSError, ValueError, KeyError):
        note = "no report (exit %d): %s" % (procs[0].rc, err.strip()[-200:])
    return sample(wall, procs, correct, total, note)
