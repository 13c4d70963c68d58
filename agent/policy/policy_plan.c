/* policy_plan.c: the planner. Each candidate probe is judged by policy_check_probe, the
 * same code `policy check` runs, so the plan agrees with its own check by construction; what
 * the evaluator cannot decide is left as a note instead of a guess. */
#include "policy_plan.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "anp_eval.h"
#include "cni_plan.h"
#include "config.h"
#include "json_print.h"
#include "policy_check.h"
#include "probe.h"
#include "strbuf.h"

typedef struct {
    k8s_model_t *m;
    size_t ns;
    config_t cfg; /* empty: no dns.servers, so DNS goes to the objects' kube-dns */
    cJSON *roles, *todo;
} plan_t;

/* A probe name: [A-Za-z0-9._-], at most 63 characters, unique in the role. */
static void plan_name(cJSON *probes, const char *want, char *out, size_t len)
{
    char base[64];
    size_t n = 0;
    for (const char *s = want; *s && n < 56; s++)
        base[n++] = (char)((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                                   *s == '-' || *s == '_' || *s == '.'
                               ? *s
                               : '-');
    base[n] = '\0';
    snprintf(out, len, "%s", base);
    for (int k = 2;; k++) {
        bool dup = false;
        const cJSON *p;
        cJSON_ArrayForEach(p, probes)
        {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(p, "name");
            dup = dup || (cJSON_IsString(nm) && strcmp(nm->valuestring, out) == 0);
        }
        if (!dup)
            return;
        snprintf(out, len, "%.50s-%d", base, k % 1000);
    }
}

static bool plan_http(const k8s_svc_port_t *sp)
{
    const char *n = sp->app_protocol ? sp->app_protocol : sp->name ? sp->name : "";
    return strcmp(n, "http") == 0 || strncmp(n, "http-", 5) == 0 || strcmp(n, "kubernetes.io/h2c") == 0;
}

static void plan_todo(plan_t *pl, const char *role, const char *what, const char *why)
{
    char line[700];
    snprintf(line, sizeof(line), "role %.60s: %.200s: %.400s", role, what, why);
    cJSON_AddItemToArray(pl->todo, cJSON_CreateString(line));
}

/* Judges a candidate and, when decided, adds it with the intended expect. */
static void plan_probe(plan_t *pl, const config_role_t *role, cJSON *probes, config_probe_t *p,
                       const char *name, bool deny_only, const char *what)
{
    policy_intent_t in;
    policy_check_probe(pl->m, &pl->cfg, role, pl->ns, p, &in);
    if (in.intended == NETPOL_UNKNOWN) {
        plan_todo(pl, role->name, what, in.reason);
        return;
    }
    if (deny_only && in.intended != NETPOL_DENY)
        return;
    char nm[64], want[80];
    snprintf(want, sizeof(want), "%s%.70s", in.intended == NETPOL_DENY ? "no-" : "", name);
    plan_name(probes, want, nm, sizeof(nm));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(probes, o);
    cJSON_AddStringToObject(o, "name", nm);
    cJSON_AddStringToObject(o, "kind", config_kind_name(p->kind));
    if (p->url) { /* the planner's http probes */
        cJSON_AddStringToObject(o, "url", p->url);
        cJSON_AddStringToObject(o, "status", "any");
    } else if (probe_kind_queries_dns(p->kind)) {
        cJSON_AddStringToObject(o, "query", p->host);
    } else {
        cJSON_AddStringToObject(o, "host", p->host);
        cJSON_AddNumberToObject(o, "port", p->port);
    }
    cJSON_AddStringToObject(o, "expect", in.intended == NETPOL_ALLOW ? "allow" : "deny");
}

/* A probe of this host and port is already in the role. */
static bool plan_has(const cJSON *probes, const char *host, int port)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, probes)
    {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(p, "host"),
                    *pt = cJSON_GetObjectItemCaseSensitive(p, "port");
        if (cJSON_IsString(h) && strcmp(h->valuestring, host) == 0 && cJSON_IsNumber(pt) &&
            pt->valueint == port)
            return true;
    }
    return false;
}

/* A port a probe of the rule can use: its first TCP (else UDP) number; 0 when it lists only
 * SCTP or named ports; 443 when it lists none. */
static int plan_rule_port(const anp_rule_t *ru, probe_kind_t *kind)
{
    *kind = KIND_TCP;
    if (ru->n_ports == 0)
        return 443;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < ru->n_ports; i++)
            if (ru->ports[i].kind == K8S_PORT_NUMBER && ru->ports[i].proto == (pass ? K8S_UDP : K8S_TCP)) {
                *kind = pass ? KIND_UDP : KIND_TCP;
                return ru->ports[i].port;
            }
    return 0;
}

/* The admin policies' egress rules for the role: a deny probe for each Deny rule and an allow
 * probe for each Accept rule where the objects show a target (a Service of the pods it names,
 * an address of its networks for a Deny, one of its exact domain names); the rest as todo
 * lines with the reason. */
static void plan_admin(plan_t *pl, const config_role_t *role, cJSON *probes)
{
    const k8s_model_t *m = pl->m;
    for (size_t pi = 0; pi < m->anp.n_pols; pi++) {
        const anp_policy_t *p = &m->anp.pols[pi];
        if (!k8s_selector_matches(&p->subj_ns, &m->namespaces[pl->ns].labels) ||
            (p->subject_pods && !k8s_selector_matches(&p->subj_pod, &role->selector)))
            continue;
        for (size_t ri = 0; ri < p->n_ingress; ri++) {
            char what[300];
            snprintf(what, sizeof(what), "%s %s ingress rule %zu (%s%s%s)", anp_kind_name(p->api), p->name,
                     ri, p->ingress[ri].name ? p->ingress[ri].name : "", p->ingress[ri].name ? ", " : "",
                     anp_action_name(p->api, p->ingress[ri].action));
            plan_todo(pl, role->name, what,
                      "an ingress rule: probes of the roles it names toward this role's Services exercise it "
                      "(ztprobe plans from one namespace's roles)");
        }
        for (size_t ri = 0; ri < p->n_egress; ri++) {
            const anp_rule_t *ru = &p->egress[ri];
            char what[300], rn[120];
            snprintf(rn, sizeof(rn), "%s", ru->name ? ru->name : "");
            snprintf(what, sizeof(what), "%s %s egress rule %zu (%s%s%s)", anp_kind_name(p->api), p->name, ri,
                     rn, *rn ? ", " : "", anp_action_name(p->api, ru->action));
            probe_kind_t kind;
            int port = plan_rule_port(ru, &kind);
            if (ru->action == ANP_PASS) {
                plan_todo(
                    pl, role->name, what,
                    "a Pass hands the path to the NetworkPolicies: the probes planned from them exercise it");
                continue;
            }
            if (port == 0) {
                plan_todo(pl, role->name, what,
                          "SCTP or named ports only: no probe kind here can express it");
                continue;
            }
            bool deny = ru->action == ANP_DENY;
            for (size_t k = 0; k < ru->n_peers; k++) {
                const anp_peer_t *pe = &ru->peers[k];
                char host[200], nm[300];
                if (pe->kind == ANP_PEER_NETWORKS && deny) {
                    for (size_t q = 0; q < pe->n_nets; q++) {
                        cidr_t x = pe->nets[q];
                        if (x.prefix < (x.net.family == AF_INET ? 32 : 128))
                            x.net.bytes[x.net.family == AF_INET ? 3 : 15] |= 1; /* the block's first host */
                        ip_addr_format(&x.net, host);
                        snprintf(nm, sizeof(nm), "%.60s-%s", rn[0] ? rn : p->name, host);
                        config_probe_t c = {.kind = kind, .host = host, .port = port};
                        if (!plan_has(probes, host, port))
                            plan_probe(pl, role, probes, &c, nm, true, what);
                    }
                } else if (pe->kind == ANP_PEER_DOMAINS && !deny) {
                    for (size_t q = 0; q < pe->n_domains; q++) {
                        if (pe->domains[q][0] == '*') {
                            plan_todo(pl, role->name, what,
                                      "a wildcard domain: add an allow probe to a name it covers");
                            continue;
                        }
                        char url[320];
                        snprintf(url, sizeof(url), "https://%s/", pe->domains[q]);
                        config_probe_t c = {
                            .kind = KIND_HTTPS, .host = pe->domains[q], .port = 443, .url = url};
                        plan_probe(pl, role, probes, &c, pe->domains[q], false, what);
                    }
                } else if (pe->kind == ANP_PEER_PODS || pe->kind == ANP_PEER_NAMESPACES) {
                    bool found = false;
                    for (size_t si = 0; si < m->n_services && !found; si++) {
                        const k8s_service_t *sv = &m->services[si];
                        if (sv->ns == pl->ns || !sv->has_selector ||
                            !k8s_selector_matches(&pe->nsel, &m->namespaces[sv->ns].labels) ||
                            (pe->kind == ANP_PEER_PODS && !k8s_selector_matches(&pe->pod, &sv->selector)))
                            continue;
                        found = true;
                        snprintf(host, sizeof(host), "%s.%s", sv->name, m->namespaces[sv->ns].name);
                        snprintf(nm, sizeof(nm), "%.60s-%s", rn[0] ? rn : p->name, sv->name);
                        config_probe_t c = {.kind = kind, .host = host, .port = port};
                        if (!plan_has(probes, host, port))
                            plan_probe(pl, role, probes, &c, nm, deny, what);
                    }
                    if (!found)
                        plan_todo(
                            pl, role->name, what,
                            "no Service in another namespace selects the pods it names (the namespace's own "
                            "Services are planned above)");
                } else {
                    plan_todo(
                        pl, role->name, what,
                        pe->kind == ANP_PEER_NODES ? "a nodes peer: add a probe to a node's address"
                            : deny
                            ? "a Deny of domain names: add a deny probe by one of them"
                            : "an Accept of networks: add an allow probe to a server you know there, with "
                              "resolved_within");
                }
            }
        }
    }
}

/* Does the Service pick one of the role's pods? */
static bool plan_selects_role(const plan_t *pl, const k8s_service_t *s, const labels_t *sel)
{
    const k8s_namespace_t *ns = &pl->m->namespaces[pl->ns];
    for (size_t k = 0; k < ns->n_pods; k++) {
        const labels_t *l = &pl->m->pods[ns->pods[k]].labels;
        if (labels_match(sel, l) && labels_match(&s->selector, l))
            return true;
    }
    return false;
}

typedef struct {
    plan_t *pl;
    const char *role;
} plan_cni_t;

static void plan_cni_todo(void *ctx, const char *what, const char *why)
{
    plan_cni_t *c = ctx;
    plan_todo(c->pl, c->role, what, why);
}

static void plan_role(plan_t *pl, const char *name, const labels_t *sel)
{
    config_role_t role = {.name = (char *)name, .selector = *sel};
    cJSON *r = cJSON_CreateObject(), *selj = cJSON_CreateObject(), *probes = cJSON_CreateArray();
    if (!r || !selj || !probes) {
        cJSON_Delete(r);
        cJSON_Delete(selj);
        cJSON_Delete(probes);
        return;
    }
    for (size_t i = 0; i < sel->n; i++)
        cJSON_AddStringToObject(selj, sel->items[i].key, sel->items[i].value);
    cJSON_AddItemToObject(r, "selector", selj);
    cJSON_AddStringToObject(r, "namespace", pl->m->namespaces[pl->ns].name);
    const char *first_svc = NULL;
    for (size_t i = 0; i < pl->m->n_services; i++) {
        const k8s_service_t *s = &pl->m->services[i];
        bool local = s->ns == pl->ns;
        /* A pod to its own Service may reach itself, which no policy governs (CNIs differ;
         * the conformance suite leaves loopback out): no probe from its own pods. */
        if (local && s->has_selector && plan_selects_role(pl, s, sel))
            continue;
        if (local && !first_svc)
            first_svc = s->name;
        for (size_t j = 0; j < s->n_ports; j++) {
            const k8s_svc_port_t *sp = &s->ports[j];
            if (sp->proto != K8S_TCP)
                continue;
            char host[200], url[300], nm[80], what[300];
            snprintf(host, sizeof(host), local ? "%s" : "%s.%s", s->name, pl->m->namespaces[s->ns].name);
            snprintf(url, sizeof(url), "http://%s:%d/", host, sp->port);
            snprintf(nm, sizeof(nm), "%s-%d", s->name, sp->port);
            snprintf(what, sizeof(what), "%s:%d", host, sp->port);
            config_probe_t p = {.kind = plan_http(sp) ? KIND_HTTP : KIND_TCP,
                                .host = host,
                                .port = sp->port,
                                .url = plan_http(sp) ? url : NULL};
            plan_probe(pl, &role, probes, &p, nm, !local, what);
        }
    }
    config_probe_t dns = {.kind = KIND_DNS, .host = (char *)(first_svc ? first_svc : "kubernetes.default")};
    policy_intent_t in;
    policy_check_probe(pl->m, &pl->cfg, &role, pl->ns, &dns, &in);
    if (in.intended == NETPOL_ALLOW)
        plan_probe(pl, &role, probes, &dns, "cluster-dns", false, "DNS");
    else if (in.intended == NETPOL_UNKNOWN)
        plan_todo(pl, name, "DNS", in.reason);
    /* The except blocks and outside allows of the policies selecting the role. */
    const k8s_namespace_t *ns = &pl->m->namespaces[pl->ns];
    for (size_t k = 0; k < ns->n_policies; k++) {
        const k8s_policy_t *pol = &pl->m->policies[ns->policies[k]];
        if (!pol->egress_type || !k8s_selector_matches(&pol->pod_selector, sel))
            continue;
        for (size_t ri = 0; ri < pol->n_egress; ri++) {
            const k8s_rule_t *ru = &pol->egress[ri];
            int port = 443;
            for (size_t q = 0; q < ru->n_ports; q++)
                if (ru->ports[q].kind == K8S_PORT_NUMBER) {
                    port = ru->ports[q].port;
                    break;
                }
            for (size_t pi = 0; pi < ru->n_peers; pi++) {
                const k8s_ipblock_t *ib = &ru->peers[pi].ipblock;
                if (!ru->peers[pi].has_ipblock)
                    continue;
                char c[64], what[200];
                cidr_format(&ib->cidr, c, sizeof(c));
                snprintf(what, sizeof(what), "%s/%s egress rule %zu (ipBlock %s)", ns->name, pol->name, ri,
                         c);
                plan_todo(pl, name, what,
                          "outside allows cannot be guessed: add an allow probe to a name there, "
                          "with resolved_within");
                for (size_t e = 0; e < ib->n_except; e++) {
                    cidr_t x = ib->except[e];
                    x.net.bytes[x.net.family == AF_INET ? 3 : 15] |= 1; /* the block's first host */
                    char ip[64], nm[100];
                    ip_addr_format(&x.net, ip);
                    snprintf(nm, sizeof(nm), "except-%s-%d", ip, port);
                    config_probe_t p = {.kind = KIND_TCP, .host = ip, .port = port};
                    plan_probe(pl, &role, probes, &p, nm, true, nm);
                }
            }
        }
    }
    plan_admin(pl, &role, probes);
    plan_cni_t cni = {pl, name};
    cni_plan_todos(pl->m, pl->ns, sel, plan_cni_todo, &cni);
    if (cJSON_GetArraySize(probes) == 0) {
        plan_todo(pl, name, "no probe", "nothing the objects show could be probed from this role");
        cJSON_Delete(r);
        cJSON_Delete(probes);
        return;
    }
    cJSON_AddItemToObject(r, "probes", probes);
    cJSON_AddItemToObject(pl->roles, name, r);
}

/* Block-style YAML for the config, written the way people write it: "- name: x" for a list
 * of mappings. lead: the first line's indentation is already written (after "- "). */
static void plan_yaml(strbuf_t *b, const cJSON *v, int ind, bool lead)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, v)
    {
        if (!lead)
            strbuf_printf(b, "%*s", ind, "");
        lead = false;
        if (cJSON_IsObject(v)) {
            /* JSON scalars are YAML flow scalars that read the same; strings are escaped
             * (controls, separators, stray bytes), so a name cannot break the line. */
            strbuf_json_str(b, c->string ? c->string : "", SIZE_MAX);
            strbuf_puts(b, ":");
        } else {
            strbuf_puts(b, "-");
        }
        bool coll = cJSON_IsObject(c) || cJSON_IsArray(c);
        if (coll && cJSON_GetArraySize(c) == 0) {
            strbuf_puts(b, cJSON_IsObject(c) ? " {}\n" : " []\n");
        } else if (coll && cJSON_IsArray(v) && cJSON_IsObject(c)) {
            strbuf_puts(b, " ");
            plan_yaml(b, c, ind + 2, true);
        } else if (coll) {
            strbuf_puts(b, "\n");
            plan_yaml(b, c, ind + 2, false);
        } else {
            strbuf_puts(b, " ");
            json_print(b, c, -1);
            strbuf_puts(b, "\n");
        }
    }
}

char *policy_plan_render(cJSON *root, bool yaml)
{
    strbuf_t b = {0};
    if (yaml) {
        const cJSON *t;
        cJSON *todo = cJSON_DetachItemFromObjectCaseSensitive(root, "todo");
        strbuf_puts(&b, "# Generated by ztprobe policy plan: every expect is what the policies intend.\n");
        cJSON_ArrayForEach(t, todo)
        {
            /* Names from the objects: one line whatever they hold (no newline, CR, NEL, LS,
             * PS), so a comment cannot end early and start YAML of its own. */
            strbuf_puts(&b, "# todo: ");
            strbuf_put_line(&b, t->valuestring, SIZE_MAX);
            strbuf_puts(&b, "\n");
        }
        plan_yaml(&b, root, 0, false);
        cJSON_AddItemToObject(root, "todo", todo);
    } else {
        json_print(&b, root, 0); /* every string through the one JSON escaper */
        strbuf_puts(&b, "\n");
    }
    return strbuf_take(&b);
}

zt_status_t policy_plan_run(k8s_model_t *m, const char *ns, const char *role_label, bool yaml, char **out,
                            char *err, size_t errlen)
{
    plan_t pl = {.m = m};
    *out = NULL;
    if (ns) {
        if (k8s_model_namespace(m, ns, &pl.ns) != 0 || k8s_model_finish(m) != 0)
            return ZT_ERR_NOMEM;
    } else {
        long found = -1;
        for (size_t i = 0; i < m->n_pods; i++) {
            if (found >= 0 && (size_t)found != m->pods[i].ns) {
                snprintf(err, errlen,
                         "policy plan: workloads in several namespaces (%s, %s): pick one with "
                         "--namespace",
                         m->namespaces[found].name, m->namespaces[m->pods[i].ns].name);
                return ZT_ERR_INPUT;
            }
            found = (long)m->pods[i].ns;
        }
        if (found < 0) {
            snprintf(err, errlen, "policy plan: no Pod or workload in the objects: nothing to plan");
            return ZT_ERR_INPUT;
        }
        pl.ns = (size_t)found;
    }
    pl.cfg.version = 1;
    cJSON *root = cJSON_CreateObject();
    pl.roles = cJSON_CreateObject();
    pl.todo = cJSON_CreateArray();
    if (!root || !pl.roles || !pl.todo) {
        cJSON_Delete(root);
        cJSON_Delete(pl.roles);
        cJSON_Delete(pl.todo);
        return ZT_ERR_NOMEM;
    }
    cJSON_AddNumberToObject(root, "version", 1);
    for (size_t i = 0; i < m->n_pods; i++) {
        const k8s_pod_t *pod = &m->pods[i];
        if (pod->ns != pl.ns)
            continue;
        if (!role_label) {
            plan_role(&pl, pod->name, &pod->labels);
            continue;
        }
        const char *v = labels_get(&pod->labels, role_label);
        if (!v || !*v || cJSON_GetObjectItemCaseSensitive(pl.roles, v))
            continue; /* an empty value cannot name a role */
        labels_t sel = {0};
        if (labels_add(&sel, role_label, v) == 0)
            plan_role(&pl, v, &sel);
        labels_free(&sel);
    }
    cJSON_AddItemToObject(root, "roles", pl.roles);
    if (cJSON_GetArraySize(pl.roles) == 0) {
        snprintf(err, errlen, "policy plan: no role could be planned in namespace %s",
                 m->namespaces[pl.ns].name);
        cJSON_Delete(root);
        cJSON_Delete(pl.todo);
        return ZT_ERR_INPUT;
    }
    cJSON_AddItemToObject(root, "todo", pl.todo);
    *out = policy_plan_render(root, yaml);
    cJSON_Delete(root);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return ZT_ERR_NOMEM;
    }
    return 0;
}
