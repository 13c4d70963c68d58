"""report.py: medians, spread, ratios and the targets of issue 6 item 3, as JSON and markdown.
Pure functions of the samples bench.py collected."""

import statistics
import time

RSS_LIMIT_KB = 10 * 1024        # "peak RSS at most 10 MB for 100 probes" (MiB)
LINEAR_SLACK = 1.2              # growth 10 -> 10000 at most 1.2 x the 10 -> 1000 slope


def stat(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarize(matrices, deny_t):
    out = {"generated": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "deny_timeout_s": deny_t,
           "matrices": [], "targets": []}
    by_name = {}
    for m in matrices:
        rows = {}
        for meth, samples in m["samples"].items():
            if not samples:
                continue
            rows[meth] = {
                "runs": len(samples),
                "wall": stat([s["wall"] for s in samples]),
                "cpu": stat([s["cpu"] for s in samples]),
                "rss_kb": stat([s["rss_kb"] for s in samples]),
                "correct_min": min(s["correct"] for s in samples),
                "total": samples[0]["total"],
                "notes": sorted({s["note"] for s in samples if s["note"]}),
                "samples": samples,
            }
            if "driver_cpu" in samples[0]:
                rows[meth]["driver_cpu"] = stat([s["driver_cpu"] for s in samples])
        zt = rows.get("ztprobe")
        for meth, r in rows.items():
            if zt:
                r["ratio"] = {k: (r[k]["median"] / zt[k]["median"]) if zt[k]["median"] else None
                              for k in ("wall", "cpu", "rss_kb")}
        entry = {k: m[k] for k in ("name", "kind", "role", "n", "n_deny", "n_http")}
        entry["pod"] = m["short"]
        entry["methods"] = rows
        out["matrices"].append(entry)
        by_name[m["name"]] = entry
    out["targets"] = targets(out["matrices"], by_name, deny_t)
    return out


def verdicts_ok(row):
    return row["correct_min"] == row["total"]


def target(out, what, matrix, measured, goal, ok, note=""):
    out.append({"target": what, "matrix": matrix, "measured": measured, "goal": goal,
                "result": "PASS" if ok else "MISS", "note": note})


def targets(mats, by_name, deny_t):
    out = []
    for e in mats:
        rows = e["methods"]
        zt = rows.get("ztprobe")
        if not zt:
            continue
        wrong = "" if verdicts_ok(zt) else "ztprobe verdicts right: %d/%d" % (
            zt["correct_min"], zt["total"])
        allow = rows.get("ztprobe (allow only)")
        if allow and e["n_deny"]:
            limit = 1.2 * deny_t + allow["wall"]["median"]
            w = zt["wall"]["median"]
            target(out, "wall <= 1.2 x T + allow probes' own time", e["name"], "%.3f s" % w,
                   "<= %.3f s (1.2 x %.1f + %.3f)" % (limit, deny_t, allow["wall"]["median"]),
                   w <= limit and not wrong, wrong)
        seed = rows.get("seed's way")
        if seed and e["kind"] == "role" and e["n_deny"]:
            sp = seed["wall"]["median"] / zt["wall"]["median"]
            goal = 0.8 * e["n_deny"]
            target(out, "faster than the seed's way by >= 0.8 x deny probes", e["name"],
                   "%.2fx" % sp, ">= %.1fx (%d deny)" % (goal, e["n_deny"]),
                   sp >= goal and not wrong, wrong)
        bb = rows.get("blackbox_exporter")
        if bb:
            c, r = zt["cpu"]["median"], zt["rss_kb"]["median"]
            bc, br = bb["cpu"]["median"], bb["rss_kb"]["median"]
            target(out, "less CPU and memory than blackbox_exporter (its CPU during the run)",
                   e["name"], "CPU %.3f vs %.3f s; RSS %.1f vs %.1f MB" % (c, bc, r / 1024,
                                                                          br / 1024),
                   "both lower", c < bc and r < br, wrong)
            life = statistics.median(s["exporter_cpu_lifetime"] for s in bb["samples"])
            target(out, "less CPU than blackbox_exporter, start-up counted for both", e["name"],
                   "CPU %.3f vs %.3f s" % (c, life), "lower", c < life, wrong)
    s = {n: by_name.get("scale-%d" % n, {}).get("methods", {}).get("ztprobe")
         for n in (10, 100, 1000, 10000)}
    if s[100]:
        r = s[100]["rss_kb"]["median"]
        target(out, "peak RSS <= 10 MB at 100 probes", "scale-100", "%.1f MB" % (r / 1024),
               "<= %.1f MB" % (RSS_LIMIT_KB / 1024), r <= RSS_LIMIT_KB)
    if s[10] and s[1000] and s[10000]:
        r10, r1k, r10k = (s[n]["rss_kb"]["median"] for n in (10, 1000, 10000))
        slope = max(r1k - r10, 1) / (1000 - 10)
        linear = r10 + slope * (10000 - 10)
        target(out, "peak RSS grows no faster than linearly", "scale-10..10000",
               "%.1f KB/probe to 1000, %.1f KB/probe to 10000; %.1f MB at 10000" %
               (slope, (r10k - r10) / (10000 - 10), r10k / 1024),
               "<= %.1f MB (%.1f x linear from 10..1000)" % (LINEAR_SLACK * linear / 1024,
                                                              LINEAR_SLACK),
               r10k <= LINEAR_SLACK * linear)
    for name in ("http-1000", "http-1000-fast"):
        h = by_name.get(name)
        if not h:
            continue
        zt = h["methods"].get("ztprobe")
        cu = [v for k, v in h["methods"].items() if k.startswith("curl")]
        if zt and cu:
            zr = h["n"] / zt["wall"]["median"]
            cr = h["n"] / cu[0]["wall"]["median"]
            target(out, "HTTP allow probes/s >= 0.8 x curl --parallel", name,
                   "%.0f/s vs curl %.0f/s (%.2fx)" % (zr, cr, zr / cr), ">= 0.80x",
                   zr >= 0.8 * cr and verdicts_ok(zt),
                   "" if verdicts_ok(zt) else "ztprobe verdicts right: %d/%d" % (
                       zt["correct_min"], zt["total"]))
    return out


def fmt_range(st, scale=1.0, digits=2):
    f = "%%.%df" % digits
    return (f + " [" + f + "-" + f + "]") % (st["median"] / scale, st["min"] / scale,
                                             st["max"] / scale)


def fmt_ratio(r):
    return "-" if r is None else "%.2f" % r


def markdown(res):
    mc = res["machine"]
    lines = ["## Benchmark: %s" % res["generated"], "",
             "Machine: %s CPUs (%s), %s RAM, Linux %s, %s; %s; %s; `ulimit -n` %s. "
             "Run took %.0f s%s." % (mc["nproc"], mc["cpu"], mc["memory"], mc["kernel"],
                                     mc["os"], res["ztprobe"], mc["blackbox_exporter"],
                                     mc["ulimit_n"], res["seconds"],
                                     " (quick: fewer repetitions)" if res["quick"] else ""),
             "",
             "Medians of the runs, [min-max]. CPU = user + sys. Ratios are the method's median "
             "over ztprobe's (above 1: ztprobe is better).", "",
             "| matrix | probes (deny) | method | runs | wall s | CPU s | peak RSS MB | "
             "verdicts right | wall / zt | CPU / zt | RSS / zt |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in res["matrices"]:
        first = True
        for meth, r in e["methods"].items():
            probes = "%d (%d)" % (e["n"], e["n_deny"])
            if e["kind"] == "baseline":
                probes = "-"
            elif meth.startswith("curl"):
                probes = "%d HTTP" % e["n_http"]
            elif meth == "ztprobe (allow only)":
                probes = "%d (0)" % (e["n"] - e["n_deny"])
            label = meth
            if "driver_cpu" in r:
                label += " (its curl driver: CPU %.3f s)" % r["driver_cpu"]["median"]
            right = "%d/%d" % (r["correct_min"], r["total"])
            if r["notes"]:
                right += " (%s)" % "; ".join(r["notes"])[:80]
            ratio = r.get("ratio", {})
            lines.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                ("**%s** (%s pod)" % (e["name"], e["pod"])) if first else "", probes, label,
                r["runs"], fmt_range(r["wall"], digits=3), fmt_range(r["cpu"], digits=3),
                fmt_range(r["rss_kb"], 1024.0, 1), right, fmt_ratio(ratio.get("wall")),
                fmt_ratio(ratio.get("cpu")), fmt_ratio(ratio.get("rss_kb"))))
            first = False
    lines += ["", "### Targets (issues 6 and 15)", "", "| target | matrix | measured | goal | result |",
              "|---|---|---|---|---|"]
    for t in res["targets"]:
        lines.append("| %s | %s | %s | %s | **%s**%s |" % (
            t["target"], t["matrix"], t["measured"], t["goal"], t["result"],
            (" (%s)" % t["note"]) if t["note"] else ""))
    n_pass = sum(t["result"] == "PASS" for t in res["targets"])
    lines += ["", "%d of %d targets met." % (n_pass, len(res["targets"])), ""]
    lines += [
        "How each was measured (tests/bench/): every command runs inside the lab pod's network "
        "namespace; CPU and peak RSS from wait4() of the command (rusage.c), wall time around "
        "it; methods interleaved round by round. *seed's way*: one `curl` / `psql` / `dig` per "
        "probe in sequence, deny probes with `--connect-timeout 1` (kubectl exec's own round "
        "trip not counted). *blackbox_exporter*: a fresh exporter per run on the pod's "
        "loopback, driven by `curl --parallel` (at most 300 per curl, more curls side by side); "
        "wall = the driver's, CPU = the exporter's during the run (the driver's beside it), RSS = "
        "its VmHWM. *curl --parallel*: the matrix's HTTP(S) probes alone. *ztprobe (allow "
        "only)*: the allow half alone, the \"allow probes' own time\" of the 1.2 x T target. "
        "scale-N use literal addresses; scale-N-names the same probes by name (N lookups at "
        "once through the lab's kube-dns). Verdicts are checked for every method and run: "
        "\"verdicts right\" is the worst run.", ""]
    return "\n".join(lines)
