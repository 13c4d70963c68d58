/* report_parse.c: reading a JSON report (the reference, "Report") back with cJSON, for merge. Split
 * from report.c along the render / parse seam. The parser treats its input as hostile: every
 * type is checked (report_fields.c), every copy bounded. */
#include "report.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "redact.h"
#include "report_fields.h"
#include "report_policy.h"
#include "report_time.h"

static int parse_result(rf_ctx_t *c, const cJSON *it, result_t *res, bool waited)
{
    int kind = 0, expect = 0, verdict = 0, outcome = 0;
    char target[RESULT_TARGET_LEN], detail[RESULT_DETAIL_LEN], hint[RESULT_HINT_LEN];
    if (!cJSON_IsObject(it))
        return rf_err(c, "", "must be an object");
    if (rf_str(c, it, "name", RF_REQUIRED, res->name, sizeof(res->name)) < 0 ||
        rf_enum(c, it, "kind", &kind) < 0 ||
        rf_str(c, it, "target", RF_TRUNCATE, target, sizeof(target)) < 0 ||
        rf_enum(c, it, "expect", &expect) < 0 || rf_enum(c, it, "verdict", &verdict) < 0 ||
        rf_enum(c, it, "outcome", &outcome) < 0 ||
        rf_str(c, it, "detail", RF_NULLABLE | RF_TRUNCATE, detail, sizeof(detail)) < 0 ||
        rf_str(c, it, "hint", RF_NULLABLE | RF_TRUNCATE, hint, sizeof(hint)) < 0 ||
        rf_int(c, it, "attempts", &res->attempts) < 0 ||
        rf_ms(c, it, "duration_ms", false, &res->duration_ms) < 0)
        return -1;
    /* A report from elsewhere (an older agent, a hand) may carry a URL with a secret in it:
     * merge shows targets as the agent itself would. */
    char shown[RESULT_TARGET_LEN];
    redact_url(target, shown, sizeof(shown));
    if (result_set_text(res, RESULT_TARGET, shown) < 0 || result_set_text(res, RESULT_DETAIL, detail) < 0 ||
        result_set_text(res, RESULT_HINT, hint) < 0)
        return rf_err(c, "", "out of memory");
    /* Present exactly when the report says it waited (run --wait), so that a report renders
     * back as it was read. */
    res->converged_after_ms = -1.0;
    bool has_conv = cJSON_GetObjectItemCaseSensitive(it, "converged_after_ms") != NULL;
    if (has_conv != waited)
        return rf_err(c, "converged_after_ms",
                      waited ? "missing (the report has converged_after_ms)"
                             : "present without the report's converged_after_ms");
    if (waited && rf_ms(c, it, "converged_after_ms", true, &res->converged_after_ms) < 0)
        return -1;
    res->kind = (probe_kind_t)kind;
    res->expect = (expect_t)expect;
    res->verdict = (verdict_t)verdict;
    res->outcome = (outcome_t)outcome;

    const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(it, "addresses");
    if (!cJSON_IsArray(addrs))
        return rf_err(c, "addresses", "must be an array");
    const cJSON *a;
    ip_addr_t ips[RESULT_MAX_ADDRS];
    result_addr_t per[RESULT_MAX_ADDRS];
    size_t n_ips = 0, n_per = 0;
    /* Strings, or (family: all) objects {"address", "outcome", "duration_ms"}: one shape per
     * list, as the agent writes it. */
    bool objects = cJSON_IsObject(addrs->child);
    cJSON_ArrayForEach(a, addrs)
    {
        if (n_ips >= RESULT_MAX_ADDRS)
            return rf_err(c, "addresses", "more than %d entries", RESULT_MAX_ADDRS);
        if (cJSON_IsObject(a) != objects)
            return rf_err(c, "addresses", "entries must all be address strings or all objects");
        const cJSON *ad = objects ? cJSON_GetObjectItemCaseSensitive(a, "address") : a;
        /* Only what the agent itself writes: IP literals, so a parsed report renders and
         * parses back the same (merge reads reports from other pods). */
        /* Kept in binary: a non-canonical IPv6 text reads back canonical (ipaddr.c). */
        ip_addr_t ip;
        if (!cJSON_IsString(ad) || strlen(ad->valuestring) >= RESULT_ADDR_LEN ||
            !ip_addr_parse(ad->valuestring, &ip))
            return rf_err(c, "addresses",
                          objects ? "entries must be objects with an address string"
                                  : "entries must be address strings");
        ips[n_ips++] = ip;
        if (!objects)
            continue;
        result_addr_t *ra = &per[n_per++];
        int oc = 0;
        ra->address = ip;
        if (rf_enum(c, a, "outcome", &oc) < 0 || rf_ms(c, a, "duration_ms", false, &ra->duration_ms) < 0)
            return -1;
        ra->outcome = (outcome_t)oc;
    }
    if (result_set_addrs(res, ips, n_ips) < 0 || result_set_addr_results(res, per, n_per) < 0)
        return rf_err(c, "addresses", "out of memory");

    const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "timings_ms");
    if (!cJSON_IsObject(t))
        return rf_err(c, "timings_ms", "must be an object");
    size_t plen = strlen(c->path);
    snprintf(c->path + plen, sizeof(c->path) - plen, ".timings_ms");
    if (rf_ms(c, t, "dns", true, &res->dns_ms) < 0 || rf_ms(c, t, "connect", true, &res->connect_ms) < 0 ||
        rf_ms(c, t, "tls", true, &res->tls_ms) < 0 ||
        rf_ms(c, t, "first_byte", true, &res->first_byte_ms) < 0)
        return -1;
    c->path[plen] = '\0';
    return 0;
}

static int parse_summary(rf_ctx_t *c, const cJSON *root, const report_t *r)
{
    const cJSON *sj = cJSON_GetObjectItemCaseSensitive(root, "summary");
    summary_t want = report_summary(r), got = {0};
    if (!cJSON_IsObject(sj))
        return rf_err(c, "summary", "must be an object");
    snprintf(c->path, sizeof(c->path), "summary");
    if (rf_int(c, sj, "total", &got.total) < 0 || rf_int(c, sj, "passed", &got.passed) < 0 ||
        rf_int(c, sj, "failed", &got.failed) < 0 || rf_int(c, sj, "inconclusive", &got.inconclusive) < 0)
        return -1;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(sj, "ok");
    if (!cJSON_IsBool(ok))
        return rf_err(c, "ok", "must be true or false");
    c->path[0] = '\0';
    /* A summary that disagrees with the results is a tampered or broken report. */
    if (got.total != want.total || got.passed != want.passed || got.failed != want.failed ||
        got.inconclusive != want.inconclusive || (cJSON_IsTrue(ok) != 0) != want.ok)
        return rf_err(c, "summary", "does not match the results");
    return 0;
}

/* One piece of the document (a result, a top-level member) as a cJSON tree; NULL after an
 * error (set). Pieces are small: a hostile document never becomes one large tree. */
static cJSON *parse_piece(rf_ctx_t *c, const char *key, const char *text, json_span_t sp)
{
    if (sp.len > REPORT_PIECE_MAX) {
        rf_err(c, key, "larger than %u bytes", REPORT_PIECE_MAX);
        return NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text + sp.off, sp.len, &end, 0);
    if (j == NULL) {
        size_t off = end != NULL && end >= text + sp.off ? (size_t)(end - text) : sp.off;
        c->path[0] = '\0';
        rf_err(c, "", "not valid JSON (near byte %zu)", off);
    }
    return j;
}

/* The results array, one element at a time: each is parsed, converted and freed before the
 * next, and the count is known (and capped) before the one allocation of the results. */
static int parse_results(rf_ctx_t *c, const char *text, json_span_t rspan, report_t *r)
{
    if (rspan.len == 0 || text[rspan.off] != '[')
        return rf_err(c, "results", "must be an array");
    size_t end = rspan.off + rspan.len, pos = rspan.off + 1, n = 0;
    json_scan_ws(text, end, &pos);
    while (pos < end && text[pos] != ']') {
        if (json_scan_value(text, end, &pos) < 0)
            return rf_err(c, "", "not valid JSON (near byte %zu)", pos);
        n++;
        json_scan_ws(text, end, &pos);
        if (pos < end && text[pos] == ',')
            pos++;
        json_scan_ws(text, end, &pos);
    }
    if (n > REPORT_MAX_RESULTS)
        return rf_err(c, "results", "%zu entries, more than %d", n, REPORT_MAX_RESULTS);
    if (n > 0 && (r->results = calloc(n, sizeof(*r->results))) == NULL)
        return rf_err(c, "results", "out of memory");
    pos = rspan.off + 1;
    for (size_t i = 0; i < n; i++) {
        json_scan_ws(text, end, &pos);
        json_span_t sp = {.off = pos};
        json_scan_value(text, end, &pos);
        sp.len = pos - sp.off;
        snprintf(c->path, sizeof(c->path), "results[%zu]", r->n_results);
        cJSON *it = parse_piece(c, "", text, sp);
        if (it == NULL)
            return -1;
        int rc = parse_result(c, it, &r->results[r->n_results], r->waited);
        /* run --policies puts "policy" on every result, or on none. */
        const cJSON *pol = cJSON_GetObjectItemCaseSensitive(it, "policy");
        char why[160];
        if (rc == 0 && pol && i == 0 && !(r->policy = calloc(n, sizeof(*r->policy))))
            rc = rf_err(c, "policy", "out of memory");
        else if (rc == 0 && (pol != NULL) != (r->policy != NULL))
            rc = rf_err(c, "policy", "on some results only (run --policies puts it on all)");
        else if (rc == 0 && pol && report_policy_parse(pol, &r->policy[r->n_results], why, sizeof(why)) < 0)
            rc = rf_err(c, "policy", "%s", why);
        cJSON_Delete(it);
        if (rc < 0) { /* the slot is not counted yet: what it took is freed here */
            result_clear(&r->results[r->n_results]);
            if (r->policy)
                result_policy_clear(&r->policy[r->n_results]);
            return -1;
        }
        r->n_results++;
        json_scan_ws(text, end, &pos);
        if (pos < end && text[pos] == ',')
            pos++;
    }
    return 0;
}

static int parse_root(rf_ctx_t *c, const cJSON *root, const char *text, json_span_t rspan, report_t *r)
{
    char schema[32], version[64], when[40];
    if (!cJSON_IsObject(root))
        return rf_err(c, "", "the report must be a JSON object");
    if (rf_str(c, root, "schema", RF_TRUNCATE, schema, sizeof(schema)) < 0)
        return -1;
    if (strcmp(schema, REPORT_SCHEMA) != 0)
        return rf_err(c, "schema", "must be \"" REPORT_SCHEMA "\"");
    if (rf_str(c, root, "agent_version", RF_NULLABLE | RF_TRUNCATE, version, sizeof(version)) < 0 ||
        rf_str(c, root, "role", RF_REQUIRED, r->role, sizeof(r->role)) < 0)
        return -1;
    const cJSON *pod = cJSON_GetObjectItemCaseSensitive(root, "pod");
    if (!cJSON_IsObject(pod))
        return rf_err(c, "pod", "must be an object");
    snprintf(c->path, sizeof(c->path), "pod");
    if (rf_str(c, pod, "name", RF_NULLABLE, r->pod_name, sizeof(r->pod_name)) < 0 ||
        rf_str(c, pod, "namespace", RF_NULLABLE, r->pod_namespace, sizeof(r->pod_namespace)) < 0)
        return -1;
    c->path[0] = '\0';
    if (rf_str(c, root, "started_at", RF_REQUIRED, when, sizeof(when)) < 0)
        return -1;
    if (report_time_parse(when, &r->started_at) < 0)
        return rf_err(c, "started_at", "must be RFC 3339 UTC (2026-11-26T05:00:00.123Z)");
    if (rf_ms(c, root, "duration_ms", false, &r->duration_ms) < 0)
        return -1;
    r->waited = cJSON_GetObjectItemCaseSensitive(root, "converged_after_ms") != NULL;
    r->converged_after_ms = -1.0;
    if (r->waited && rf_ms(c, root, "converged_after_ms", true, &r->converged_after_ms) < 0)
        return -1;

    const cJSON *diags = cJSON_GetObjectItemCaseSensitive(root, "diagnoses");
    if (!cJSON_IsArray(diags))
        return rf_err(c, "diagnoses", "must be an array");
    const cJSON *d;
    cJSON_ArrayForEach(d, diags)
    {
        snprintf(c->path, sizeof(c->path), "diagnoses[%zu]", r->n_diags);
        if (r->n_diags >= DIAG_MAX)
            return rf_err(c, "", "more than %d diagnoses", DIAG_MAX);
        diagnosis_t *dg = &r->diags[r->n_diags];
        if (!cJSON_IsObject(d))
            return rf_err(c, "", "must be an object");
        if (rf_str(c, d, "code", RF_REQUIRED, dg->code, sizeof(dg->code)) < 0 ||
            rf_str(c, d, "message", RF_TRUNCATE, dg->message, sizeof(dg->message)) < 0)
            return -1;
        r->n_diags++;
    }
    c->path[0] = '\0';

    if (parse_results(c, text, rspan, r) < 0)
        return -1;
    c->path[0] = '\0';
    if (r->waited) {
        /* The whole matrix converged exactly when every probe did. */
        bool all = true;
        for (size_t i = 0; i < r->n_results; i++)
            all = all && r->results[i].converged_after_ms >= 0;
        if (all != (r->converged_after_ms >= 0))
            return rf_err(c, "converged_after_ms",
                          all ? "null although every result converged"
                              : "a number although a result never converged");
    }
    return parse_summary(c, root, r);
}

/* The top-level members the report schema has (others, from newer agents, are skipped
 * unparsed). */
static const char *const root_keys[] = {
    "schema",      "agent_version",      "role",    "pod",       "started_at",
    "duration_ms", "converged_after_ms", "summary", "diagnoses", NULL};

/* Walks the root object without building it: each known member but results is parsed on its
 * own into *root; results is left as a span (parse_results). Syntax is checked throughout. */
static int split_root(rf_ctx_t *c, const char *text, size_t len, cJSON **root, json_span_t *rspan)
{
    size_t pos = 0;
    json_scan_ws(text, len, &pos);
    if (pos >= len || text[pos] != '{') {
        size_t at = pos;
        if (json_scan_value(text, len, &at) < 0)
            return rf_err(c, "", "not valid JSON (near byte %zu)", at);
        return rf_err(c, "", "the report must be a JSON object");
    }
    if ((*root = cJSON_CreateObject()) == NULL)
        return rf_err(c, "", "out of memory");
    pos++;
    json_scan_ws(text, len, &pos);
    bool first = true;
    while (!(first && pos < len && text[pos] == '}')) {
        first = false;
        json_scan_ws(text, len, &pos);
        size_t k0 = pos;
        if (pos >= len || text[pos] != '"' || json_scan_value(text, len, &pos) < 0)
            return rf_err(c, "", "not valid JSON (near byte %zu)", pos);
        size_t klen = pos - k0 - 2; /* between the quotes, escapes unresolved */
        json_scan_ws(text, len, &pos);
        if (pos >= len || text[pos] != ':')
            return rf_err(c, "", "not valid JSON (near byte %zu)", pos);
        pos++;
        json_scan_ws(text, len, &pos);
        json_span_t sp = {.off = pos};
        if (json_scan_value(text, len, &pos) < 0)
            return rf_err(c, "", "not valid JSON (near byte %zu)", pos);
        sp.len = pos - sp.off;
        if (klen == 7 && memcmp(text + k0 + 1, "results", 7) == 0) {
            if (rspan->len == 0)
                *rspan = sp;
        } else {
            for (const char *const *k = root_keys; *k; k++) {
                if (strlen(*k) != klen || memcmp(text + k0 + 1, *k, klen) != 0)
                    continue;
                cJSON *v = parse_piece(c, *k, text, sp);
                if (v == NULL)
                    return -1;
                cJSON_AddItemToObject(*root, *k, v);
                break;
            }
        }
        json_scan_ws(text, len, &pos);
        if (pos < len && text[pos] == ',') {
            pos++;
            continue;
        }
        if (pos < len && text[pos] == '}')
            break;
        return rf_err(c, "", "not valid JSON (near byte %zu)", pos);
    }
    pos++;
    json_scan_ws(text, len, &pos);
    if (pos < len)
        return rf_err(c, "", "trailing data after the JSON document");
    return 0;
}

int report_parse_json(const char *text, size_t len, report_t *out, char *err, size_t errlen)
{
    rf_ctx_t c = {.err = err, .errlen = errlen};
    report_t r;
    cJSON *root = NULL;
    json_span_t rspan = {0, 0};
    int rc = -1;

    memset(&r, 0, sizeof(r));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    if (text == NULL || len == 0) {
        rf_err(&c, "", "empty input");
        goto done;
    }
    if (split_root(&c, text, len, &root, &rspan) < 0)
        goto done;
    if (parse_root(&c, root, text, rspan, &r) < 0)
        goto done;
    *out = r;
    r.results = NULL;
    r.policy = NULL; /* both are out's now */
    rc = 0;
done:
    cJSON_Delete(root);
    report_free(&r);
    return rc;
}
