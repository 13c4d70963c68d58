/* policy_explain.c: the decision walk as a cJSON tree and as text. The walk re-asks the
 * evaluator for the probe's decisive pair of endpoints (policy_intent_t keeps it) and lets
 * netpol_explain.c examine every rule of every policy that selects either end. */
#include "policy_explain.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_explain.h"
#include "json_print.h"
#include "policy_steps.h"
#include "result.h"

#define PX_POLICIES_MAX 256 /* policies listed per direction (a namespace has a few dozen) */

static const char *px_dir(netpol_dir_t d)
{
    return d == NETPOL_EGRESS ? "egress" : "ingress";
}

static void px_str_or_null(cJSON *o, const char *k, const char *v)
{
    if (v && v[0])
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void px_part(cJSON *o, const npx_part_t *p)
{
    cJSON_AddStringToObject(o, "part", netpol_explain_why_name(p->why));
    cJSON_AddStringToObject(o, "field", p->field);
    cJSON_AddStringToObject(o, "key", p->key);
    px_str_or_null(o, "wanted", p->wanted);
    px_str_or_null(o, "found", p->found);
}

cJSON *policy_explain_mismatch_json(const k8s_model_t *m, const npx_mismatch_t *x)
{
    if (!x->set)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char pol[300];
    netpol_policy_name(m, x->ref.policy, pol, sizeof(pol));
    cJSON_AddStringToObject(o, "policy", pol);
    cJSON_AddStringToObject(o, "direction", px_dir(x->ref.dir));
    cJSON_AddNumberToObject(o, "rule", (double)x->ref.rule);
    bool subject = x->part.why == NPX_SUBJECT;
    if (!subject && x->is_peer)
        cJSON_AddNumberToObject(o, "peer", (double)x->index);
    else
        cJSON_AddNullToObject(o, "peer");
    if (!subject && !x->is_peer)
        cJSON_AddNumberToObject(o, "port", (double)x->index);
    else
        cJSON_AddNullToObject(o, "port");
    px_part(o, &x->part);
    cJSON_AddStringToObject(o, "sentence", x->sentence);
    return o;
}

static cJSON *px_endpoint(const k8s_model_t *m, const netpol_endpoint_t *e)
{
    cJSON *o = cJSON_CreateObject();
    char buf[512];
    if (!o)
        return NULL;
    if (e->unknown) {
        cJSON_AddStringToObject(o, "where", "not in the objects");
        return o;
    }
    if (!e->is_pod) {
        char a[IP_ADDR_TEXT_LEN];
        if (!ip_addr_format(&e->range.net, a)[0])
            snprintf(a, sizeof(a), "?");
        snprintf(buf, sizeof(buf), "%s/%d", a, (int)e->range.prefix);
        cJSON_AddStringToObject(o, "where", "outside the cluster");
        cJSON_AddStringToObject(o, "range", buf);
        return o;
    }
    cJSON_AddStringToObject(o, "where", "pod");
    cJSON_AddStringToObject(o, "namespace", m->namespaces[e->ns].name);
    labels_format(e->labels, buf, sizeof(buf));
    cJSON_AddStringToObject(o, "labels", buf);
    if (e->has_addr) {
        char a[IP_ADDR_TEXT_LEN];
        if (!ip_addr_format(&e->addr, a)[0])
            snprintf(a, sizeof(a), "?");
        cJSON_AddStringToObject(o, "address", a);
    }
    return o;
}

static cJSON *px_items(const npx_part_t *parts, size_t n, const char *idx)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n && i < NPX_ITEMS_MAX; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        cJSON_AddNumberToObject(o, idx, (double)i);
        cJSON_AddBoolToObject(o, "matched", parts[i].why == NPX_MATCH);
        if (parts[i].why != NPX_MATCH)
            px_part(o, &parts[i]);
    }
    return a;
}

static cJSON *px_rule(const npx_rule_t *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "rule", (double)r->ref.rule);
    cJSON_AddBoolToObject(o, "allows", r->allows);
    cJSON_AddBoolToObject(o, "every_peer", r->n_peers == 0);
    cJSON_AddItemToObject(o, "peers", px_items(r->peers, r->n_peers, "peer"));
    cJSON_AddBoolToObject(o, "every_port", r->n_ports == 0);
    cJSON_AddItemToObject(o, "ports", px_items(r->ports, r->n_ports, "port"));
    return o;
}

/* One direction judged at self: the chain's steps, then every NetworkPolicy of its namespace
 * for the direction, then the Cilium and Calico policies of the pod (cni_explain.c; Calico's
 * list holds the NetworkPolicies again, where Calico evaluates them). */
static cJSON *px_side(const k8s_model_t *m, netpol_dir_t dir, const netpol_side_t *s, netpol_trace_t *trace,
                      const netpol_endpoint_t *self, const netpol_endpoint_t *other,
                      const netpol_endpoint_t *dst, int port, k8s_proto_t proto)
{
    cJSON *o = cJSON_CreateObject(), *pols = cJSON_CreateArray();
    if (!o || !pols) {
        cJSON_Delete(o);
        cJSON_Delete(pols);
        return NULL;
    }
    cJSON_AddStringToObject(o, "direction", px_dir(dir));
    cJSON_AddStringToObject(o, "at", dir == NETPOL_EGRESS ? "source" : "destination");
    cJSON_AddBoolToObject(o, "applies", s->applies);
    cJSON_AddBoolToObject(o, "isolated", s->isolated);
    cJSON_AddStringToObject(o, "verdict", netpol_verdict_name(s->verdict));
    /* The tier chain's decisive steps (every Pass, then the final step or the default allow),
     * as policy check's `chain`, and in words. */
    char said[POLICY_REASON_LEN];
    policy_steps_text(s->chain, s->n_chain, dir == NETPOL_EGRESS, said, sizeof(said));
    cJSON_AddItemToObject(o, "chain", policy_steps_json(s->chain, s->n_chain));
    cJSON_AddStringToObject(o, "chain_text", said);
    cJSON_AddItemToObject(o, "policies", pols);
    if (!self->is_pod)
        return o;
    const k8s_namespace_t *ns = &m->namespaces[self->ns];
    npx_rule_t *r = malloc(sizeof(*r));
    if (!r) {
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t k = 0; k < ns->n_policies && k < PX_POLICIES_MAX; k++) {
        size_t pi = ns->policies[k];
        const k8s_policy_t *p = &m->policies[pi];
        if (!(dir == NETPOL_INGRESS ? p->ingress_type : p->egress_type))
            continue;
        npx_part_t why;
        char name[300];
        bool sel = netpol_explain_selects(m, pi, dir, self, &why);
        netpol_policy_name(m, pi, name, sizeof(name));
        cJSON *po = cJSON_CreateObject();
        cJSON_AddItemToArray(pols, po);
        cJSON_AddStringToObject(po, "policy", name);
        cJSON_AddBoolToObject(po, "selects", sel);
        if (!sel) {
            cJSON *w = cJSON_AddObjectToObject(po, "not_selected");
            if (w)
                px_part(w, &why);
            continue;
        }
        /* An admin policy, a Calico policy in an earlier tier or a Cilium deny decided first:
         * the rules below never ran, and the text says what they would have done. */
        bool reached = trace == NULL || trace->namespaced;
        cJSON_AddBoolToObject(po, "reached", reached);
        if (!reached)
            cJSON_AddStringToObject(po, "reached_why", "the walk ended before it (see the chain)");
        cJSON *rules = cJSON_AddArrayToObject(po, "rules");
        size_t nr = dir == NETPOL_INGRESS ? p->n_ingress : p->n_egress;
        for (size_t i = 0; rules && i < nr; i++) {
            netpol_ref_t ref = {pi, dir, i};
            netpol_explain_rule(m, &ref, other, dst, port, proto, r);
            cJSON_AddItemToArray(rules, px_rule(r));
        }
    }
    free(r);
    netpol_side_t scratch = *s; /* the query's side is written by the walk, never read here */
    tier_query_t q = {m, dir, self, other, dst, port, proto, &scratch, trace};
    cni_explain_json(&q, pols, o);
    return o;
}

cJSON *policy_explain_json(const k8s_model_t *m, const config_role_t *role, size_t ns,
                           const config_probe_t *p, const policy_intent_t *in)
{
    cJSON *o = cJSON_CreateObject();
    char target[RESULT_TARGET_LEN];
    if (!o)
        return NULL;
    config_probe_target(p, target, sizeof(target));
    cJSON_AddStringToObject(o, "schema", "ztprobe/policy-explain/v1");
    cJSON_AddStringToObject(o, "role", role->name);
    cJSON_AddStringToObject(o, "namespace", m->namespaces[ns].name);
    cJSON_AddStringToObject(o, "probe", p->name);
    cJSON_AddStringToObject(o, "kind", config_kind_name(p->kind));
    cJSON_AddStringToObject(o, "target", target);
    cJSON_AddStringToObject(o, "expect", config_expect_name(p->expect));
    cJSON_AddStringToObject(o, "intended", netpol_verdict_name(in->intended));
    cJSON_AddStringToObject(o, "reason", in->reason);
    cJSON_AddItemToObject(o, "mismatch", policy_explain_mismatch_json(m, &in->mismatch));
    cJSON *dirs = cJSON_AddArrayToObject(o, "directions");
    if (!in->have_pair || !dirs)
        return o; /* nothing was asked: the reason says why (no Service, no endpoints) */
    /* The walk records what it reached, so the lists mark the policies it never evaluated. */
    netpol_answer_t a;
    netpol_trace_t tr[2] = {{0}};
    size_t n = m->calico.n_sorted;
    for (int i = 0; i < 2 && n; i++) {
        tr[i].calico = calloc(n, sizeof(*tr[i].calico));
        if (!tr[i].calico) {
            free(tr[0].calico);
            cJSON_Delete(o);
            return NULL;
        }
    }
    netpol_query_trace(m, &in->src, &in->dst, in->port, in->proto, &tr[0], &tr[1], &a);
    cJSON_AddStringToObject(o, "protocol", k8s_proto_name(in->proto));
    cJSON_AddNumberToObject(o, "port", in->port);
    cJSON_AddItemToObject(o, "source", px_endpoint(m, &in->src));
    cJSON_AddItemToObject(o, "destination", px_endpoint(m, &in->dst));
    cJSON_AddItemToArray(
        dirs,
        px_side(m, NETPOL_EGRESS, &a.egress, &tr[0], &in->src, &in->dst, &in->dst, in->port, in->proto));
    cJSON_AddItemToArray(
        dirs,
        px_side(m, NETPOL_INGRESS, &a.ingress, &tr[1], &in->dst, &in->src, &in->dst, in->port, in->proto));
    cJSON_AddStringToObject(o, "answer", netpol_verdict_name(a.verdict));
    free(tr[0].calico);
    free(tr[1].calico);
    return o;
}

char *policy_explain_render(const k8s_model_t *m, const config_t *cfg, const config_role_t *role, size_t ns,
                            const labels_t *own, const config_probe_t *p, bool json)
{
    policy_intent_t in;
    policy_check_probe_as(m, cfg, role, ns, own, p, &in);
    cJSON *ex = policy_explain_json(m, role, ns, p, &in);
    /* JSON through the one escaper: names come from someone else's objects. */
    char *text = !ex ? NULL : json ? json_print_take(ex, true) : policy_explain_text(ex);
    cJSON_Delete(ex);
    return text;
}

static void px_list_probes(const config_role_t *role, char *err, size_t errlen, size_t off)
{
    for (size_t i = 0; i < role->n_probes && off < errlen; i++) {
        int n = snprintf(err + off, errlen - off, "%s%s", i ? ", " : "", role->probes[i].name);
        off += n > 0 ? (size_t)n : 0;
    }
}

int policy_explain_find(const config_t *cfg, const config_role_t *role_fixed, const char *spec,
                        const config_role_t **role, const config_probe_t **probe, char *err, size_t errlen)
{
    const char *slash = strchr(spec, '/');
    const config_role_t *r = role_fixed;
    const char *name = spec;
    if (!r) {
        char rn[128];
        if (!slash) {
            snprintf(err, errlen, "--explain %s: say ROLE/PROBE", spec);
            return -1;
        }
        snprintf(rn, sizeof(rn), "%.*s", (int)(slash - spec < 127 ? slash - spec : 127), spec);
        r = config_find_role(cfg, rn);
        name = slash + 1;
        if (!r) {
            int off = snprintf(err, errlen, "--explain %s: no role %s; roles: ", spec, rn);
            for (size_t i = 0; i < cfg->n_roles && off > 0 && (size_t)off < errlen; i++)
                off += snprintf(err + off, errlen - (size_t)off, "%s%s", i ? ", " : "", cfg->roles[i].name);
            return -1;
        }
    } else if (slash && strncmp(spec, r->name, (size_t)(slash - spec)) == 0 &&
               r->name[slash - spec] == '\0') {
        name = slash + 1; /* ROLE/PROBE for the role that runs: accepted as well */
    }
    for (size_t i = 0; i < r->n_probes; i++) {
        if (strcmp(r->probes[i].name, name) == 0) {
            *role = r;
            *probe = &r->probes[i];
            return 0;
        }
    }
    int off = snprintf(err, errlen, "--explain %s: role %s has no probe %s; its probes: ", spec, r->name,
                       name);
    if (off > 0 && (size_t)off < errlen)
        px_list_probes(r, err, errlen, (size_t)off);
    return -1;
}
