#!/usr/bin/python3
"""Offline checks of the rendered manifests and of the Dockerfile (tests/manifests/run.sh).

check.py REPO ZTPROBE RENDER.yaml [OTHER_RENDER.yaml]

Prints one "ok - ..." / "not ok - ..." line per check; exits 1 if any failed. The schema
validation is validate.js's; this file checks what the schemas cannot: the config inside the
ConfigMap, the restricted Pod Security Standard, resources, the Service/probe-pod selection,
CronJob and hook settings, secrets; and (dockerfile.py) the Dockerfile's image build against
`ldd`.
"""
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

import dockerfile

RESULTS = []


def report(ok, what, why=""):
    RESULTS.append(ok)
    print(("ok - " if ok else "not ok - ") + what + ("" if ok or not why else ": " + why))


def load_render(path):
    with open(path) as f:
        return [o for o in yaml.safe_load_all(f) if o]


def kname(o):
    return "%s/%s" % (o["kind"], o["metadata"]["name"])


# ------------------------------------------------------------------ pods

POD_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}


def pod_template(o):
    """The pod template (metadata + spec) of a workload object, or None."""
    if o["kind"] not in POD_PATHS:
        return None
    t = o
    for k in POD_PATHS[o["kind"]]:
        t = t.get(k, {})
    return t


def is_ztprobe(c):
    return re.search(r"(^|/)ztprobe(:|@|$)", c.get("image", "")) is not None


ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                   "persistentVolumeClaim", "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}


def pss_restricted(tpl):
    """Violations of the Pod Security Standard "restricted" (v1.30 rules) in a pod template,
    plus the project's own musts: requests and limits on every container."""
    bad = []
    spec = tpl.get("spec", {})
    psc = spec.get("securityContext", {}) or {}
    for f in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(f):
            bad.append(f + " is set")
    for v in spec.get("volumes", []) or []:
        kinds = set(v) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            bad.append("volume %s uses %s" % (v.get("name"), ",".join(sorted(kinds - ALLOWED_VOLUMES))))
    for s in psc.get("sysctls", []) or []:
        if s.get("name") not in SAFE_SYSCTLS:
            bad.append("unsafe sysctl " + str(s.get("name")))
    if psc.get("runAsUser") == 0:
        bad.append("pod runAsUser 0")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        bad.append("pod seccompProfile " + str(pod_seccomp))
    se = psc.get("seLinuxOptions") or {}
    if se.get("user") or se.get("role") or se.get("type") not in (None, "", "container_t",
                                                                     "container_init_t",
                                                                     "container_kvm_t"):
        bad.append("pod seLinuxOptions")
    containers = [("container", c) for c in spec.get("containers", []) or []]
    containers += [("initContainer", c) for c in spec.get("initContainers", []) or []]
    containers += [("ephemeralContainer", c) for c in spec.get("ephemeralContainers", []) or []]
    if not spec.get("containers"):
        bad.append("no containers")
    for what, c in containers:
        n = "%s %s" % (what, c.get("name"))
        sc = c.get("securityContext", {}) or {}
        if sc.get("privileged"):
            bad.append(n + ": privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            bad.append(n + ": allowPrivilegeEscalation is not false")
        caps = sc.get("capabilities", {}) or {}
        if "ALL" not in (caps.get("drop") or []):
            bad.append(n + ": capabilities.drop lacks ALL")
        extra = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if extra:
            bad.append(n + ": adds capabilities " + ",".join(sorted(extra)))
        non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if non_root is not True:
            bad.append(n + ": runAsNonRoot is not true")
        if sc.get("runAsUser", psc.get("runAsUser")) == 0:
            bad.append(n + ": runAsUser 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            bad.append(n + ": seccompProfile is %s, not RuntimeDefault/Localhost" % seccomp)
        if sc.get("procMount", "Default") != "Default":
            bad.append(n + ": procMount")
        for p in c.get("ports", []) or []:
            if p.get("hostPort"):
                bad.append(n + ": hostPort")
        if what != "ephemeralContainer":
            res = c.get("resources", {}) or {}
            for kind in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in (res.get(kind) or {}):
                        bad.append("%s: no %s.%s" % (n, kind, r))
    return bad


def ztprobe_musts(tpl):
    """What every ztprobe container needs beyond the restricted standard."""
    bad = []
    spec = tpl.get("spec", {})
    vols = {v["name"]: v for v in spec.get("volumes", []) or []}
    zs = [c for c in spec.get("containers", []) or [] if is_ztprobe(c)]
    for c in zs:
        n = "container %s" % c.get("name")
        sc = c.get("securityContext", {}) or {}
        want = {"runAsNonRoot": True, "runAsUser": 65532, "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True}
        for k, v in want.items():
            if sc.get(k) != v:
                bad.append("%s: securityContext.%s is %r, not %r" % (n, k, sc.get(k), v))
        if (sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            bad.append(n + ": securityContext.seccompProfile is not RuntimeDefault")
        if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
            bad.append(n + ": capabilities.drop is not [ALL]")
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", []) or []}
        cfg = mounts.get("/etc/ztprobe")
        if not cfg or "configMap" not in vols.get(cfg["name"], {}) or not cfg.get("readOnly"):
            bad.append(n + ": no read-only ConfigMap volume at /etc/ztprobe")
        lab = mounts.get("/etc/podinfo")
        items = (vols.get(lab["name"], {}).get("downwardAPI") or {}).get("items", []) if lab else []
        if not any(i.get("path") == "labels" and
                   (i.get("fieldRef") or {}).get("fieldPath") == "metadata.labels" for i in items):
            bad.append(n + ": no Downward API labels file at /etc/podinfo/labels")
        env = {e["name"]: e for e in c.get("env", []) or []}
        for var, field in (("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace")):
            if ((env.get(var, {}).get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath") != field:
                bad.append("%s: %s not from fieldRef %s" % (n, var, field))
        args = c.get("command", []) + c.get("args", [])
        if args[:1] == ["watch"] or "--out" in args:
            out = args[args.index("--out") + 1] if "--out" in args else ""
            if not any(out.startswith(p.rstrip("/") + "/") and "emptyDir" in vols.get(m["name"], {})
                       and not m.get("readOnly") for p, m in mounts.items()):
                bad.append(n + ": --out %s is not on a writable emptyDir" % out)
    return zs, bad


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def postdeploy_wait(job):
    """A post-deploy Job runs `run --wait DURATION` (policies take seconds to be programmed
    after a deploy), and its activeDeadlineSeconds leaves a minute beyond the wait, so the
    Job's deadline never cuts a wait short. Returns the problems found."""
    tpl = pod_template(job)
    z = [c for c in tpl["spec"]["containers"] if is_ztprobe(c)]
    args = (z[0].get("command", []) + z[0].get("args", [])) if z else []
    if args[:1] != ["run"] or "--wait" not in args or args.index("--wait") + 1 >= len(args):
        return ["the ztprobe container does not run `run --wait DURATION`: %s" % args]
    m = re.fullmatch(r"([1-9][0-9]*)(s|m|h)", args[args.index("--wait") + 1])
    if not m:
        return ["--wait %s is not a duration like 90s or 2m" % args[args.index("--wait") + 1]]
    wait_s = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]
    deadline = job["spec"].get("activeDeadlineSeconds")
    if not isinstance(deadline, int) or deadline < wait_s + 60:
        return ["activeDeadlineSeconds %s leaves less than 60 s beyond --wait %ds" % (deadline, wait_s)]
    return []


# ------------------------------------------------------------------ checks

def check_policies_in_configmap(cm, objs, repo, ztprobe):
    """run --policies in the cluster: the ConfigMap carries the policies and workloads, byte for
    byte as in manifests/, every ztprobe container names them in ZTPROBE_POLICIES, and they
    agree with the matrix (`ztprobe policy check`, as the pods would read them)."""
    data = (cm or {}).get("data", {})
    names = ["network-policies.yaml", "frontend.yaml", "backend.yaml", "postgres.yaml"]
    stale = []
    for n in names:
        with open(os.path.join(repo, "manifests", n), encoding="utf-8") as f:
            if data.get(n) != f.read():
                stale.append(n)
    report(not stale, "the ConfigMap's policies and workloads equal manifests/ (%s)" % ", ".join(names),
           "missing or different: " + ", ".join(stale))
    bad = []
    for o in objs:
        tpl = pod_template(o)
        for c in (tpl or {}).get("spec", {}).get("containers", []):
            if not is_ztprobe(c):
                continue
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            files = (env.get("ZTPROBE_POLICIES") or "").split(",")
            if sorted(f.rsplit("/", 1)[-1] for f in files) != sorted(names) or \
                    any(not f.startswith("/etc/ztprobe/") for f in files):
                bad.append("%s: ZTPROBE_POLICIES=%s" % (kname(o), env.get("ZTPROBE_POLICIES")))
    report(not bad, "every ztprobe container reads the ConfigMap's policies ($ZTPROBE_POLICIES)", "; ".join(bad))
    if stale or "config.json" not in data:
        return
    with tempfile.TemporaryDirectory() as d:
        for n in names + ["config.json"]:
            with open(os.path.join(d, n), "w", encoding="utf-8") as f:
                f.write(data[n])
        cmd = [ztprobe, "policy", "check", "-c", os.path.join(d, "config.json"), "--namespace", "govtech"]
        for n in names:
            cmd += ["-f", os.path.join(d, n)]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            summ = json.loads(p.stdout)["summary"] if p.returncode in (0, 1) else None
        except (OSError, ValueError, KeyError) as e:
            p, summ = None, str(e)
        report(isinstance(summ, dict) and summ["disagree"] == 0,
               "the ConfigMap's matrix agrees with its policies (ztprobe policy check: %s)" % summ,
               (p.stderr.strip() if p else summ) or str(summ))


def check_render(objs, repo, ztprobe):
    by = {kname(o): o for o in objs}
    expected = ["Namespace/govtech", "ServiceAccount/frontend", "ServiceAccount/backend",
                "ServiceAccount/postgres", "ServiceAccount/ztprobe", "Deployment/frontend",
                "Deployment/backend", "StatefulSet/postgres", "Service/frontend-service",
                "Service/backend-service", "Service/postgres-service"]
    with open(os.path.join(repo, "manifests/network-policies.yaml")) as f:
        expected += [kname(o) for o in yaml.safe_load_all(f) if o]
    with open(os.path.join(repo, "config/govtech.json"), "rb") as f:
        cfg_bytes = f.read()
    cfg = json.loads(cfg_bytes)
    roles = sorted(cfg["roles"])
    expected += ["CronJob/ztprobe-%s" % r for r in roles]
    expected += ["Job/ztprobe-postdeploy-%s" % r for r in roles]
    missing = [e for e in expected if e not in by]
    report(not missing, "render holds the namespace, %d NetworkPolicies, ServiceAccounts, "
           "workloads, Services, a CronJob and a post-deploy Job per role (%s)"
           % (sum(e.startswith("NetworkPolicy/") for e in expected), ", ".join(roles)),
           "missing " + ", ".join(missing))
    wrong_ns = [kname(o) for o in objs if o["kind"] != "Namespace"
                and o["metadata"].get("namespace") != "govtech"]
    report(not wrong_ns, "every namespaced object is in namespace govtech", ", ".join(wrong_ns))

    # The ConfigMap: generated from the copy of config/govtech.json, byte for byte.
    with open(os.path.join(repo, "manifests/config/govtech.json"), "rb") as f:
        copy_bytes = f.read()
    report(copy_bytes == cfg_bytes, "manifests/config/govtech.json equals config/govtech.json",
           "stale copy: cp config/govtech.json manifests/config/govtech.json")
    cms = [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("ztprobe-config")]
    cm = cms[0] if len(cms) == 1 else None
    rendered = (cm or {}).get("data", {}).get("config.json")
    report(rendered is not None and rendered.encode() == cfg_bytes,
           "the rendered ConfigMap's config.json equals config/govtech.json",
           "%d ztprobe-config ConfigMaps; content differs" % len(cms))
    if rendered is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as t:
            t.write(rendered)
            t.flush()
            try:
                p = subprocess.run([ztprobe, "validate", "-c", t.name], capture_output=True,
                                   text=True, timeout=30)
                report(p.returncode == 0, "the rendered config passes `ztprobe validate`",
                       "exit %d: %s" % (p.returncode, (p.stderr or p.stdout).strip()))
            except OSError as e:
                report(False, "the rendered config passes `ztprobe validate`", str(e))
    else:
        report(False, "the rendered config passes `ztprobe validate`", "no config.json")

    check_policies_in_configmap(cm, objs, repo, ztprobe)

    pods = [(o, pod_template(o)) for o in objs if pod_template(o) is not None]
    cm_name = cm["metadata"]["name"] if cm else None
    for o, tpl in pods:
        n = kname(o)
        bad = pss_restricted(tpl)
        report(not bad, n + ": meets the restricted Pod Security Standard, requests and limits set",
               "; ".join(bad))
        zs, zbad = ztprobe_musts(tpl)
        refs = [v["configMap"]["name"] for v in tpl["spec"].get("volumes", []) or [] if "configMap" in v]
        if any(r != cm_name for r in refs):
            zbad.append("ConfigMap volume names %s, not the generated %s" % (refs, cm_name))
        if tpl["spec"].get("automountServiceAccountToken") is not False:
            zbad.append("automountServiceAccountToken is not false")
        report(zs and not zbad, n + ": ztprobe container runs as 65532 with a read-only root, "
               "its config, labels and pod env", "; ".join(zbad) if zs else "no ztprobe container")

    # Sidecars run `watch` in the workloads; probe pods select their role by labels only.
    for o, tpl in pods:
        if o["kind"] in ("Deployment", "StatefulSet"):
            z = [c for c in tpl["spec"]["containers"] if is_ztprobe(c)]
            args = (z[0].get("command", []) + z[0].get("args", [])) if z else []
            report(args[:3] == ["watch", "--interval", "5m"] and "--out" in args,
                   kname(o) + ": ztprobe sidecar runs `watch --interval 5m --out ...`", str(args))

    # Role selection: each pod resolves exactly one role of the config, the one its policies
    # assume; the Services select the workloads and never a probe pod.
    services = [o for o in objs if o["kind"] == "Service"]
    policies = [o for o in objs if o["kind"] == "NetworkPolicy"]
    for o, tpl in pods:
        labels = tpl.get("metadata", {}).get("labels", {})
        matched = [r for r in roles if labels_match(cfg["roles"][r]["selector"], labels)]
        pol = sorted(p["metadata"]["name"] for p in policies
                     if labels_match(p["spec"]["podSelector"].get("matchLabels"), labels)
                     and p["spec"]["podSelector"].get("matchLabels"))
        want_pol = "%s-network-policy" % matched[0] if len(matched) == 1 else None
        report(len(matched) == 1 and want_pol in pol,
               "%s: pod labels select exactly one role (%s) and its policy %s" % (kname(o), ",".join(matched), want_pol),
               "roles %s, role policies %s" % (matched, pol))
        is_probe = o["kind"] in ("CronJob", "Job")
        hits = [s["metadata"]["name"] for s in services if labels_match(s["spec"].get("selector"), labels)]
        if is_probe:
            report(not hits, kname(o) + ": probe pod is selected by no Service (never gets traffic)",
                   "selected by " + ", ".join(hits))
        else:
            want = "%s-service" % matched[0] if matched else "?"
            report(hits == [want], "%s: workload pods are the endpoints of %s" % (kname(o), want),
                   "selected by %s" % hits)

    # CronJobs and hooks.
    for o in objs:
        if o["kind"] == "CronJob":
            s = o["spec"]
            js = s.get("jobTemplate", {}).get("spec", {})
            ann = pod_template(o).get("metadata", {}).get("annotations", {})
            bad = []
            if s.get("concurrencyPolicy") != "Forbid":
                bad.append("concurrencyPolicy")
            for k in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
                if not isinstance(s.get(k), int):
                    bad.append(k)
            for k in ("activeDeadlineSeconds", "ttlSecondsAfterFinished"):
                if not isinstance(js.get(k), int):
                    bad.append(k)
            if js.get("backoffLimit") not in (0, 1):
                bad.append("backoffLimit")
            if ann.get("sidecar.istio.io/inject") != "false":
                bad.append('sidecar.istio.io/inject: "false"')
            report(not bad, kname(o) + ": Forbid, deadlines, history limits, TTL, backoffLimit 0/1, no mesh sidecar",
                   "missing/wrong: " + ", ".join(bad))
        if o["kind"] == "Job":
            a = o["metadata"].get("annotations", {})
            hooks = set((a.get("helm.sh/hook") or "").split(","))
            bad = []
            if not {"post-install", "post-upgrade"} <= hooks:
                bad.append("helm.sh/hook")
            if not a.get("helm.sh/hook-delete-policy"):
                bad.append("helm.sh/hook-delete-policy")
            if a.get("argocd.argoproj.io/hook") != "PostSync":
                bad.append("argocd.argoproj.io/hook")
            if "HookSucceeded" not in (a.get("argocd.argoproj.io/hook-delete-policy") or "").split(","):
                bad.append("argocd.argoproj.io/hook-delete-policy")
            ann = pod_template(o).get("metadata", {}).get("annotations", {})
            if ann.get("sidecar.istio.io/inject") != "false":
                bad.append('sidecar.istio.io/inject: "false"')
            report(not bad, kname(o) + ": Helm post-install/post-upgrade and Argo CD PostSync hook",
                   "missing/wrong: " + ", ".join(bad))
            bad = postdeploy_wait(o)
            report(not bad, kname(o) + ": runs `run --wait` within its activeDeadlineSeconds",
                   "; ".join(bad))

    # Credentials: IRSA for AWS, Secrets by reference only.
    sa = by.get("ServiceAccount/backend", {})
    arn = sa.get("metadata", {}).get("annotations", {}).get("eks.amazonaws.com/role-arn", "")
    report(re.fullmatch(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+", arn) is not None,
           "backend ServiceAccount carries the IRSA role-arn annotation", repr(arn))
    sas = [o for o in objs if o["kind"] == "ServiceAccount"]
    report(all(o.get("automountServiceAccountToken") is False for o in sas),
           "no ServiceAccount automounts its token")
    leaks = []
    text = yaml.safe_dump_all(objs)
    if re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", text):
        leaks.append("an AWS access key id")
    for o in objs:
        if o["kind"] == "Secret":
            leaks.append("Secret " + o["metadata"]["name"])
    for o, tpl in pods:
        for c in tpl["spec"].get("containers", []) + tpl["spec"].get("initContainers", []):
            for e in c.get("env", []) or []:
                if e["name"].startswith("AWS_ACCESS_KEY") or e["name"].startswith("AWS_SECRET"):
                    leaks.append("%s %s env %s" % (kname(o), c["name"], e["name"]))
                elif re.search(r"PASSWORD|SECRET|TOKEN|KEY", e["name"]) and "value" in e:
                    leaks.append("%s %s env %s has a literal value" % (kname(o), c["name"], e["name"]))
    report(not leaks, "no Secret, static AWS key or literal password anywhere", "; ".join(leaks))


def compare_renders(a, b):
    """The same objects from two kustomize versions, but for the ConfigMap's hash suffix."""
    def norm(objs):
        text = yaml.safe_dump_all(sorted(objs, key=kname), sort_keys=True)
        return re.sub(r"ztprobe-config-[a-z0-9]{6,}", "ztprobe-config-HASH", text)
    na, nb = norm(a), norm(b)
    diff = ""
    if na != nb:
        la, lb = na.splitlines(), nb.splitlines()
        i = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
        diff = "first difference at line %d: %r vs %r" % (i + 1, la[i:i + 1], lb[i:i + 1])
    report(na == nb, "kubectl 1.20's kustomize and the current one render the same objects", diff)


# ------------------------------------------------------------------ self-test

def self_test(objs):
    """The checks above must be able to fail: break one thing at a time in a copy of a
    rendered pod and expect each check to notice."""
    dep = next(o for o in objs if o["kind"] == "Deployment")
    cj = next(o for o in objs if o["kind"] == "CronJob")
    cases = [
        ("readOnlyRootFilesystem false", dep, lambda t: zc(t)["securityContext"].update(readOnlyRootFilesystem=False), ztprobe_musts),
        ("runAsUser 1000", dep, lambda t: zc(t)["securityContext"].update(runAsUser=1000), ztprobe_musts),
        ("no POD_NAME", dep, lambda t: zc(t).update(env=[e for e in zc(t)["env"] if e["name"] != "POD_NAME"]), ztprobe_musts),
        ("no labels volume", dep, lambda t: t["spec"].update(volumes=[v for v in t["spec"]["volumes"] if "downwardAPI" not in v]), ztprobe_musts),
        ("hostNetwork", cj, lambda t: t["spec"].update(hostNetwork=True), pss_restricted),
        ("hostPath volume", cj, lambda t: t["spec"]["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), pss_restricted),
        ("allowPrivilegeEscalation true", cj, lambda t: zc(t)["securityContext"].update(allowPrivilegeEscalation=True), pss_restricted),
        ("capabilities add NET_ADMIN", cj, lambda t: zc(t)["securityContext"]["capabilities"].update(add=["NET_ADMIN"]), pss_restricted),
        ("no seccomp", cj, lambda t: (zc(t)["securityContext"].pop("seccompProfile"), t["spec"]["securityContext"].pop("seccompProfile")), pss_restricted),
        ("runAsNonRoot missing", cj, lambda t: (zc(t)["securityContext"].pop("runAsNonRoot"), t["spec"]["securityContext"].pop("runAsNonRoot")), pss_restricted),
        ("no memory limit", cj, lambda t: zc(t)["resources"]["limits"].pop("memory"), pss_restricted),
    ]
    for what, obj, mutate, check in cases:
        o = copy.deepcopy(obj)
        t = pod_template(o)
        clean = check(t)
        clean = clean[1] if isinstance(clean, tuple) else clean
        mutate(t)
        found = check(t)
        found = found[1] if isinstance(found, tuple) else found
        report(not clean and bool(found), "self-test: the check catches %s in %s" % (what, kname(o)),
               "clean copy: %s; broken copy: %s" % (clean, found))


    job = next(o for o in objs if o["kind"] == "Job")
    for what, mutate in (("a post-deploy Job without --wait",
                          lambda j: zc(pod_template(j)).update(args=["run", "-o", "json"])),
                         ("a deadline shorter than the wait",
                          lambda j: j["spec"].update(activeDeadlineSeconds=100))):
        o = copy.deepcopy(job)
        clean = postdeploy_wait(o)
        mutate(o)
        found = postdeploy_wait(o)
        report(not clean and bool(found), "self-test: the check catches %s in %s" % (what, kname(o)),
               "clean copy: %s; broken copy: %s" % (clean, found))


def zc(tpl):
    return next(c for c in tpl["spec"]["containers"] if is_ztprobe(c))


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    repo, ztprobe, render = sys.argv[1:4]
    objs = load_render(render)
    check_render(objs, repo, ztprobe)
    for other in sys.argv[4:]:
        compare_renders(objs, load_render(other))
    self_test(objs)
    dockerfile.check_dockerfile(repo, ztprobe, report)
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
