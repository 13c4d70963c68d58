/* cni_check.c: the deviations of the chosen dataplane that apply to the objects, as the
 * "cni" member of a policy check report and as catch probes for a plan. A deviation about
 * rules is written into the model (cni_patch.c) and every probe asked again: the probes whose
 * answers change are exactly those the dataplane answers differently, by the same evaluator.
 * A leak also gets the probe that shows it in a real run: a matrix probe whose deny turns to
 * allow, else a tcp deny probe to the first address of each range the deviation opens,
 * checked to be denied as written and allowed on the dataplane. Deviations about time (a new
 * pod unenforced for a while) change no rule: they name the probes at risk and the
 * measurement that shows the window. */
#include "cni_check.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_patch.h"
#include "netpol.h"
#include "policy_check.h"
#include "probe.h"

#define CC_CATCH_MAX 32 /* new catch probes per deviation */

typedef struct {
    k8s_model_t *m;
    const config_t *cfg;
    size_t *ns;              /* per role */
    netpol_verdict_t **base; /* per role, per probe: the answer as written */
    bool *egress_isolated;   /* per role */
} cc_t;

static const char *cc_verdict(netpol_verdict_t v)
{
    return v == NETPOL_ALLOW ? "allow" : v == NETPOL_DENY ? "deny" : "unknown";
}

static cJSON *cc_rule(const k8s_model_t *m, size_t pol, netpol_dir_t dir, long rule)
{
    char name[300];
    netpol_policy_name(m, pol, name, sizeof(name));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "policy", name);
    cJSON_AddStringToObject(o, "direction", dir == NETPOL_EGRESS ? "egress" : "ingress");
    if (rule < 0)
        cJSON_AddNullToObject(o, "rule");
    else
        cJSON_AddNumberToObject(o, "rule", (double)rule);
    return o;
}

/* Adds a rule reference unless the list has it (several roles share a policy). */
static void cc_add_rule(cJSON *rules, cJSON *o)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, rules)
    {
        if (cJSON_Compare(x, o, true)) {
            cJSON_Delete(o);
            return;
        }
    }
    cJSON_AddItemToArray(rules, o);
}

/* Does any pod of the role (or, without pods, its selector) fall under the policy for dir? */
static bool cc_selects(const k8s_model_t *m, const k8s_policy_t *pol, const config_role_t *role, size_t ns,
                       netpol_dir_t dir)
{
    if (pol->ns != ns || !(dir == NETPOL_EGRESS ? pol->egress_type : pol->ingress_type))
        return false;
    bool any = false;
    for (size_t k = 0; k < m->namespaces[ns].n_pods; k++) {
        const k8s_pod_t *pod = &m->pods[m->namespaces[ns].pods[k]];
        if (!labels_match(&role->selector, &pod->labels))
            continue;
        any = true;
        if (k8s_selector_matches(&pol->pod_selector, &pod->labels))
            return true;
    }
    return !any && k8s_selector_matches(&pol->pod_selector, &role->selector);
}

/* The first address of a range (network + 1 unless the range is one or two addresses). */
static void cc_first_addr(const cidr_t *c, char *buf, size_t len)
{
    ip_addr_t a = c->net;
    char text[IP_ADDR_TEXT_LEN];
    unsigned bits = a.family == AF_INET ? 32 : 128;
    if (c->prefix + 1 < bits)
        a.bytes[bits / 8 - 1] |= 1;
    snprintf(buf, len, "%s", ip_addr_format(&a, text)[0] ? text : "?");
}

static void cc_probe_init(config_probe_t *p, char *name, char *host, int port)
{
    memset(p, 0, sizeof(*p));
    p->name = name;
    p->kind = KIND_TCP;
    p->expect = EXPECT_DENY;
    p->host = host;
    p->port = port;
}

static netpol_verdict_t cc_ask(const cc_t *c, size_t r, const config_probe_t *p)
{
    policy_intent_t in;
    policy_check_probe(c->m, c->cfg, &c->cfg->roles[r], c->ns[r], p, &in);
    return in.intended;
}

static void cc_catch_existing(cJSON *catches, const char *role, const char *name)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, catches)
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(x, "existing");
        if (cJSON_IsString(e) && strcmp(e->valuestring, name) == 0 &&
            strcmp(cJSON_GetObjectItemCaseSensitive(x, "role")->valuestring, role) == 0)
            return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", role);
    cJSON_AddStringToObject(o, "existing", name);
    cJSON_AddItemToArray(catches, o);
}

/* A deny probe of role r to host:port already in the matrix, or NULL. */
static const config_probe_t *cc_same_probe(const config_role_t *role, const char *host, int port)
{
    for (size_t i = 0; i < role->n_probes; i++) {
        const config_probe_t *p = &role->probes[i];
        if (p->expect == EXPECT_DENY && !probe_kind_queries_dns(p->kind) && p->host &&
            strcmp(p->host, host) == 0 && p->port == port)
            return p;
    }
    return NULL;
}

typedef struct {
    size_t role;
    char host[64];
    int port;
} cc_cand_t;

/* A rule deviation: patch, ask every probe again, collect candidates, undo, confirm them. */
static int cc_rules(cc_t *c, const cni_deviation_t *d, cJSON *dev, bool *applies)
{
    cni_patch_t p;
    cc_cand_t cand[CC_CATCH_MAX];
    size_t n_cand = 0;
    if (cni_patch_apply(c->m, d->construct, &p) < 0)
        return -2;
    *applies = p.n_touched > 0;
    if (!*applies) {
        cni_patch_undo(c->m, &p);
        return 0;
    }
    cJSON *rules = cJSON_AddArrayToObject(dev, "rules"), *probes = cJSON_AddArrayToObject(dev, "probes"),
          *catches = cJSON_AddArrayToObject(dev, "catch");
    for (size_t i = 0; i < p.n_touched; i++)
        cJSON_AddItemToArray(rules,
                             cc_rule(c->m, p.touched[i].policy, p.touched[i].dir, (long)p.touched[i].rule));
    for (size_t r = 0; r < c->cfg->n_roles; r++) {
        const config_role_t *role = &c->cfg->roles[r];
        for (size_t i = 0; i < role->n_probes; i++) {
            netpol_verdict_t now = cc_ask(c, r, &role->probes[i]);
            if (now == c->base[r][i])
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "role", role->name);
            cJSON_AddStringToObject(o, "name", role->probes[i].name);
            cJSON_AddStringToObject(o, "intended", cc_verdict(c->base[r][i]));
            cJSON_AddStringToObject(o, "on_cni", cc_verdict(now));
            cJSON_AddItemToArray(probes, o);
            if (d->effect == CNI_E_LEAK && role->probes[i].expect == EXPECT_DENY && now == NETPOL_ALLOW)
                cc_catch_existing(catches, role->name, role->probes[i].name);
        }
        if (d->effect != CNI_E_LEAK)
            continue;
        for (size_t k = 0; k < p.n_ranges && n_cand < CC_CATCH_MAX; k++) {
            cc_cand_t *x = &cand[n_cand];
            x->role = r;
            x->port = p.ranges[k].port ? p.ranges[k].port : 443;
            cc_first_addr(&p.ranges[k].range, x->host, sizeof(x->host));
            bool dup = false;
            for (size_t j = 0; j < n_cand && !dup; j++)
                dup = cand[j].role == r && cand[j].port == x->port && strcmp(cand[j].host, x->host) == 0;
            config_probe_t probe;
            cc_probe_init(&probe, "cni-candidate", x->host, x->port);
            if (!dup && cc_ask(c, r, &probe) == NETPOL_ALLOW)
                n_cand++;
        }
    }
    cni_patch_undo(c->m, &p);
    int seq = 0;
    for (size_t k = 0; k < n_cand; k++) {
        const config_role_t *role = &c->cfg->roles[cand[k].role];
        config_probe_t probe;
        cc_probe_init(&probe, "cni-candidate", cand[k].host, cand[k].port);
        if (cc_ask(c, cand[k].role, &probe) != NETPOL_DENY)
            continue; /* open as written too: not this deviation's doing */
        const config_probe_t *same = cc_same_probe(role, cand[k].host, cand[k].port);
        if (same) {
            cc_catch_existing(catches, role->name, same->name);
            continue;
        }
        char name[64];
        snprintf(name, sizeof(name), "cni-%s-%d", d->id, ++seq);
        cJSON *o = cJSON_CreateObject(), *pj = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", role->name);
        cJSON_AddStringToObject(pj, "name", name);
        cJSON_AddStringToObject(pj, "kind", "tcp");
        cJSON_AddStringToObject(pj, "host", cand[k].host);
        cJSON_AddNumberToObject(pj, "port", cand[k].port);
        cJSON_AddStringToObject(pj, "expect", "deny");
        cJSON_AddNumberToObject(pj, "timeout_ms", 2000);
        cJSON_AddItemToObject(o, "probe", pj);
        cJSON_AddItemToArray(catches, o);
    }
    return 0;
}

/* The measurement that shows a window in a real run. */
static const char *cc_measure(cni_construct_t k)
{
    return k == CNI_C_ISOLATED_POD ? "ztprobe watch --startup 30s (from the pod's start)"
                                   : "ztprobe run --wait 2m --stable 3 (after each apply)";
}

/* A time deviation: the roles it concerns, their policies and deny probes. */
static void cc_window(cc_t *c, const cni_deviation_t *d, cJSON *dev, bool *applies)
{
    cJSON *rules = cJSON_AddArrayToObject(dev, "rules"), *probes = cJSON_AddArrayToObject(dev, "probes"),
          *catches = cJSON_AddArrayToObject(dev, "catch");
    *applies = false;
    for (size_t r = 0; r < c->cfg->n_roles; r++) {
        const config_role_t *role = &c->cfg->roles[r];
        size_t count[2] = {0, 0};
        for (int dir = 0; dir < 2; dir++)
            for (size_t k = 0; k < c->m->namespaces[c->ns[r]].n_policies; k++) {
                size_t pi = c->m->namespaces[c->ns[r]].policies[k];
                count[dir] += cc_selects(c->m, &c->m->policies[pi], role, c->ns[r], (netpol_dir_t)dir);
            }
        bool hit = d->construct == CNI_C_ISOLATED_POD ? count[NETPOL_EGRESS] > 0
                                                      : count[NETPOL_EGRESS] > 1 || count[NETPOL_INGRESS] > 1;
        if (!hit)
            continue;
        *applies = true;
        for (int dir = 0; dir < 2; dir++) {
            if (d->construct == CNI_C_ISOLATED_POD && dir != NETPOL_EGRESS)
                continue;
            if (d->construct == CNI_C_SEVERAL_POLICIES && count[dir] < 2)
                continue;
            for (size_t k = 0; k < c->m->namespaces[c->ns[r]].n_policies; k++) {
                size_t pi = c->m->namespaces[c->ns[r]].policies[k];
                if (cc_selects(c->m, &c->m->policies[pi], role, c->ns[r], (netpol_dir_t)dir))
                    cc_add_rule(rules, cc_rule(c->m, pi, (netpol_dir_t)dir, -1));
            }
        }
        for (size_t i = 0; i < role->n_probes; i++) {
            if (role->probes[i].expect != EXPECT_DENY || c->base[r][i] != NETPOL_DENY)
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "role", role->name);
            cJSON_AddStringToObject(o, "name", role->probes[i].name);
            cJSON_AddStringToObject(o, "intended", "deny");
            cJSON_AddStringToObject(o, "on_cni", "transient");
            cJSON_AddItemToArray(probes, o);
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "role", role->name);
        cJSON_AddStringToObject(o, "measure", cc_measure(d->construct));
        cJSON_AddItemToArray(catches, o);
    }
}

static void cc_free(cc_t *c)
{
    for (size_t r = 0; c->base && r < c->cfg->n_roles; r++)
        free(c->base[r]);
    free(c->base);
    free(c->ns);
    free(c->egress_isolated);
}

/* The deviations that apply, as a JSON array in *out. */
static zt_status_t cc_run(k8s_model_t *m, const config_t *cfg, const char *ns_flag, const cni_sel_t *sel,
                          cJSON **out, char *err, size_t errlen)
{
    cc_t c = {.m = m, .cfg = cfg};
    zt_status_t rc = ZT_ERR_NOMEM;
    cJSON *devs = cJSON_CreateArray();
    c.ns = calloc(cfg->n_roles + 1, sizeof(*c.ns));
    c.base = calloc(cfg->n_roles + 1, sizeof(*c.base));
    c.egress_isolated = calloc(cfg->n_roles + 1, sizeof(bool));
    if (!devs || !c.ns || !c.base || !c.egress_isolated)
        goto done;
    for (size_t r = 0; r < cfg->n_roles; r++)
        if ((rc = policy_role_namespace(m, &cfg->roles[r], ns_flag, &c.ns[r], err, errlen)) != 0)
            goto done;
    rc = ZT_ERR_NOMEM;
    if (k8s_model_finish(m) != 0)
        goto done;
    for (size_t r = 0; r < cfg->n_roles; r++) {
        if (!(c.base[r] = calloc(cfg->roles[r].n_probes + 1, sizeof(netpol_verdict_t))))
            goto done;
        for (size_t i = 0; i < cfg->roles[r].n_probes; i++)
            c.base[r][i] = cc_ask(&c, r, &cfg->roles[r].probes[i]);
    }
    for (size_t k = 0; k < cni_n_deviations; k++) {
        const cni_deviation_t *d = &cni_deviations[k];
        if (!cni_applies(sel, d))
            continue;
        char vers[64];
        cni_versions_text(d, vers, sizeof(vers));
        cJSON *dev = cJSON_CreateObject();
        if (!dev)
            goto done;
        cJSON_AddStringToObject(dev, "id", d->id);
        cJSON_AddStringToObject(dev, "title", d->title);
        cJSON_AddStringToObject(dev, "source", d->source);
        cJSON_AddStringToObject(dev, "versions", vers);
        cJSON_AddStringToObject(dev, "effect", cni_effect_name(d->effect));
        bool applies = false;
        if (d->construct == CNI_C_ISOLATED_POD || d->construct == CNI_C_SEVERAL_POLICIES)
            cc_window(&c, d, dev, &applies);
        else if (cc_rules(&c, d, dev, &applies) != 0) {
            cJSON_Delete(dev);
            goto done;
        }
        if (applies)
            cJSON_AddItemToArray(devs, dev);
        else
            cJSON_Delete(dev);
    }
    *out = devs;
    devs = NULL;
    rc = ZT_OK;
done:
    cJSON_Delete(devs);
    cc_free(&c);
    return rc;
}

zt_status_t cni_check_annotate(k8s_model_t *m, const config_t *cfg, const char *ns_flag, const cni_sel_t *sel,
                               cJSON *rep, char *err, size_t errlen)
{
    cJSON *devs = NULL;
    zt_status_t rc = cc_run(m, cfg, ns_flag, sel, &devs, err, errlen);
    if (rc != 0)
        return rc;
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        cJSON_Delete(devs);
        return ZT_ERR_NOMEM;
    }
    cJSON_AddStringToObject(o, "profile", sel->profile->name);
    cJSON_AddStringToObject(o, "component", sel->profile->component);
    if (sel->has_version)
        cJSON_AddStringToObject(o, "version", sel->version_text);
    else
        cJSON_AddNullToObject(o, "version");
    cJSON_AddStringToObject(o, "table_date", cni_table_date);
    cJSON_AddItemToObject(o, "deviations", devs);
    cJSON_AddItemToObject(rep, "cni", o);
    return 0;
}

zt_status_t cni_plan_add(k8s_model_t *m, cJSON *plan, const char *ns_flag, const cni_sel_t *sel, char *err,
                         size_t errlen)
{
    char *text = cJSON_PrintUnformatted(plan);
    config_t *cfg = NULL;
    cJSON *devs = NULL;
    if (!text)
        return ZT_ERR_NOMEM;
    zt_status_t prc = config_parse(text, strlen(text), &cfg, err, errlen);
    free(text);
    if (prc != ZT_OK)
        return prc;
    zt_status_t rc = cc_run(m, cfg, ns_flag, sel, &devs, err, errlen);
    config_free(cfg);
    if (rc != 0)
        return rc;
    cJSON *roles = cJSON_GetObjectItemCaseSensitive(plan, "roles"), *dev, *x;
    cJSON_ArrayForEach(dev, devs)
    {
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(dev, "catch"))
        {
            cJSON *probe = cJSON_GetObjectItemCaseSensitive(x, "probe");
            const char *role = cJSON_GetObjectItemCaseSensitive(x, "role")->valuestring;
            cJSON *probes = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(roles, role),
                                                             "probes");
            if (probe && cJSON_IsArray(probes))
                cJSON_AddItemToArray(probes, cJSON_Duplicate(probe, true));
        }
    }
    cJSON_Delete(devs);
    return 0;
}
