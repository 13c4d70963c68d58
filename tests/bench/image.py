"""image.py: the lean image's figures for `make bench` (issue 15), beside the host build's.

run.sh mounts the image built by `make image` and runs bench.py inside tests/image/inpod.sh's
mounts (the lab's backend CA at /etc/ztprobe, its kube-dns resolv.conf, the host's /tmp, a
read-only root), so the image's ztprobe runs as `chroot ROOT /usr/local/bin/ztprobe`: its own
loader, libc and CA bundle, nothing of the host's. Measured here:

- the shared objects a running ztprobe maps (/proc/PID/maps, while it waits on its config);
- the targets: image size, objects mapped, `ztprobe version` peak RSS and CPU, the backend
  matrix's peak RSS against 8 MB and half of blackbox_exporter's on the same matrix; and issue
  6's 10 MB at 100 probes (scale-100), which the host build misses, for the image.
"""

import os
import re
import subprocess
import time

MATRICES = ("backend", "scale-100")   # run with the image's ztprobe too
IMAGE_MAX_MB = 20.0
MAPPED_MAX = 8
VERSION_RSS_MAX_KB = 4 * 1024
VERSION_CPU_MAX = 0.005
BACKEND_RSS_MAX_KB = 8 * 1024
BACKEND_BB_RATIO = 0.5
SCALE100_RSS_MAX_KB = 10 * 1024


def argv(root):
    """The image's ztprobe, as the bench runs it (root: the mounted image)."""
    return ["chroot", root, "/usr/local/bin/ztprobe"]


def image_config(lab_json, path):
    """A matrix with the lab CA where the image sees it (/etc/ztprobe, see run.sh)."""
    with open(lab_json, encoding="utf-8") as handle:
        text = handle.read().replace("/etc/ztprobe-lab/ca.pem", "/etc/ztprobe/ca.pem")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def mapped_objects(cmd, config):
    """(count, names) of the shared objects (.so files; the vDSO not counted) mapped by
    `CMD validate -c /dev/stdin` while it waits for its config on a pipe."""
    p = subprocess.Popen(cmd + ["validate", "-c", "/dev/stdin"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    names = set()
    try:
        # Read once it blocks reading the pipe: by then the loader has mapped everything
        # (right after exec, the maps hold the program and the loader alone).
        for _ in range(500):
            try:
                with open("/proc/%d/wchan" % p.pid, encoding="ascii") as handle:
                    wchan = handle.read()
                with open("/proc/%d/maps" % p.pid, encoding="utf-8") as handle:
                    maps = handle.read()
            except OSError:
                break
            if "pipe" in wchan and re.search(r"/ztprobe$", maps, re.M):
                names = {os.path.basename(m) for m in
                         re.findall(r"(/\S+\.so(?:\.[0-9.]+)?)$", maps, re.M)}
                break
            time.sleep(0.01)
    finally:
        with open(config, "rb") as handle:
            p.communicate(handle.read(), timeout=30)
    return len(names), sorted(names)


def facts(bin_host, root, size_bytes, config):
    f = {"image_size_mb": size_bytes / 1e6 if size_bytes else None}
    f["mapped_host"] = mapped_objects([bin_host], config)
    if root:
        f["mapped_image"] = mapped_objects(argv(root), config)
    return f


def _median(by_name, matrix, method, key):
    row = by_name.get(matrix, {}).get("methods", {}).get(method)
    return row[key]["median"] if row else None


def targets(res, lean, add):
    """Appends issue 15's targets to res["targets"] through add(out, what, matrix, measured,
    goal, ok, note); a figure that could not be measured is a MISS, never a pass."""
    out = res["targets"]
    by_name = {m["name"]: m for m in res["matrices"]}
    none = "no image measured: run `make image` first"
    size = lean.get("image_size_mb")
    add(out, "image size <= 20 MB", "image", "%.1f MB" % size if size else "-",
        "<= %.0f MB" % IMAGE_MAX_MB, bool(size) and size <= IMAGE_MAX_MB, "" if size else none)
    n, names = lean.get("mapped_image", (None, []))
    nh = lean["mapped_host"][0]
    add(out, "shared objects mapped <= 8", "ztprobe validate",
        "%s (%s); host build %d" % (n, " ".join(names), nh) if n is not None else "host build %d" % nh,
        "<= %d" % MAPPED_MAX, n is not None and n <= MAPPED_MAX, "" if n is not None else none)
    rss = _median(by_name, "start-up", "ztprobe version (image)", "rss_kb")
    cpu = _median(by_name, "start-up", "ztprobe version (image)", "cpu")
    hr = _median(by_name, "start-up", "ztprobe version (start-up floor)", "rss_kb")
    hc = _median(by_name, "start-up", "ztprobe version (start-up floor)", "cpu")
    add(out, "`ztprobe version` <= 4 MB peak RSS and <= 5 ms CPU", "start-up",
        ("%.1f MB, %.1f ms; host build %.1f MB, %.1f ms" % (rss / 1024, cpu * 1000, hr / 1024,
                                                            hc * 1000)) if rss else "-",
        "<= 4 MB, <= 5 ms", rss is not None and rss <= VERSION_RSS_MAX_KB and cpu <= VERSION_CPU_MAX,
        "" if rss else none)
    rss = _median(by_name, "backend", "ztprobe (image)", "rss_kb")
    cpu = _median(by_name, "backend", "ztprobe (image)", "cpu")
    bb = _median(by_name, "backend", "blackbox_exporter", "rss_kb")
    right = by_name.get("backend", {}).get("methods", {}).get("ztprobe (image)")
    wrong = "" if not right or right["correct_min"] == right["total"] else \
        "image verdicts right: %d/%d" % (right["correct_min"], right["total"])
    add(out, "backend matrix <= 8 MB peak RSS and <= 0.5 x blackbox_exporter's", "backend",
        ("%.1f MB (CPU %.0f ms); blackbox_exporter %.1f MB" % (rss / 1024, cpu * 1000, bb / 1024))
        if rss and bb else "-", "<= 8 MB and <= %.1f MB" % (BACKEND_BB_RATIO * (bb or 0) / 1024),
        bool(rss and bb) and rss <= BACKEND_RSS_MAX_KB and rss <= BACKEND_BB_RATIO * bb and not wrong,
        wrong or ("" if rss else none))
    rss = _median(by_name, "scale-100", "ztprobe (image)", "rss_kb")
    host = _median(by_name, "scale-100", "ztprobe", "rss_kb")
    add(out, "image: peak RSS <= 10 MB at 100 probes", "scale-100",
        "%.1f MB; host build %.1f MB" % (rss / 1024, host / 1024) if rss and host else "-",
        "<= 10 MB", bool(rss) and rss <= SCALE100_RSS_MAX_KB, "" if rss else none)


def markdown(res):
    lean = res.get("lean")
    if not lean:
        return []
    by_name = {m["name"]: m for m in res["matrices"]}

    def cell(matrix, method):
        row = by_name.get(matrix, {}).get("methods", {}).get(method)
        if not row:
            return "-"
        return "%.1f MB / %.1f ms" % (row["rss_kb"]["median"] / 1024, row["cpu"]["median"] * 1000)
    size = lean.get("image_size_mb")
    nh, hn = lean["mapped_host"]
    ni, inames = lean.get("mapped_image", (None, []))
    return ["### The image and the host build (issue 15)", "",
            "| | image (`make image`, chrooted) | host build (Debian's -dev packages) | blackbox_exporter |",
            "|---|---|---|---|",
            "| image size | %s | - | - |" % ("%.1f MB" % size if size else "not built"),
            "| shared objects mapped | %s | %d | - |" % (
                "%d (%s)" % (ni, ", ".join(inames)) if ni is not None else "-", nh),
            "| `ztprobe version`: peak RSS / CPU | %s | %s | - |" % (
                cell("start-up", "ztprobe version (image)"),
                cell("start-up", "ztprobe version (start-up floor)")),
            "| backend matrix: peak RSS / CPU | %s | %s | %s |" % (
                cell("backend", "ztprobe (image)"), cell("backend", "ztprobe"),
                cell("backend", "blackbox_exporter")),
            "| scale-100 matrix: peak RSS / CPU | %s | %s | %s |" % (
                cell("scale-100", "ztprobe (image)"), cell("scale-100", "ztprobe"),
                cell("scale-100", "blackbox_exporter")), "",
            "Host build's shared objects: %s." % ", ".join(hn), ""]
