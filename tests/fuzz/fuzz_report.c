/* fuzz_report.c: libFuzzer target for report_parse_json (what `ztprobe merge` reads from other
 * pods) and for every renderer fed the report it returns: JSON, text (with and without
 * colour), JUnit, Prometheus, and merge's text, JSON, PolicyReport and HTML. Properties
 * checked: a report that parsed renders to JSON that parses back with the same addresses
 * (merge reads what run writes), and no report string becomes a <script> in the HTML page. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "report.h"
#include "report_formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_report_render(const report_t *r)
{
    char err[256];
    char *json = report_render_json(r, "0.0.0-fuzz");
    char *text = report_render_text(r, false);
    char *color = report_render_text(r, true);
    char *junit = report_render_junit(r, 1);
    char *prom = report_render_prometheus(r, 1);
#ifndef FUZZ_NO_ROUNDTRIP /* -DFUZZ_NO_ROUNDTRIP: explore past a known round-trip bug */
    if (json) {
        report_t again;
        memset(&again, 0, sizeof(again));
        if (report_parse_json(json, strlen(json), &again, err, sizeof(err)) != 0) {
            /* What report_render_json writes must parse back: merge reads what run wrote. */
            fprintf(stderr, "fuzz_report: the rendered JSON does not parse back: %s\n", err);
            abort();
        }
        /* ...with the same addresses: kept in binary, they survive render and parse exactly. */
        for (size_t i = 0; i < r->n_results && i < again.n_results; i++) {
            const result_t *x = &r->results[i], *y = &again.results[i];
            bool same = x->n_addrs == y->n_addrs && x->n_addr_results == y->n_addr_results;
            for (size_t k = 0; same && k < x->n_addrs && k < RESULT_MAX_ADDRS; k++)
                same = memcmp(&x->addrs[k], &y->addrs[k], sizeof(x->addrs[k])) == 0;
            for (size_t k = 0; same && k < x->n_addr_results && k < RESULT_MAX_ADDRS; k++)
                same = memcmp(&x->addr_results[k].address, &y->addr_results[k].address,
                              sizeof(x->addr_results[k].address)) == 0;
            if (!same || r->n_results != again.n_results) {
                fprintf(stderr, "fuzz_report: result %zu's addresses changed in a render/parse round trip\n", i);
                abort();
            }
        }
        report_free(&again);
    }
#endif
    merge_t *m = merge_create();
    if (m && merge_add(m, r, "fuzz.json") == 0 && merge_add(m, r, "fuzz2.json") == 0) {
        free(merge_render_text(m));
        free(merge_render_json(m));
        char perr[640];
        free(merge_render_policyreport(m, 1795669200.0, perr, sizeof(perr)));
        /* The page has no script of its own: one in it came from the report. */
        char *html = merge_render_html(m, 1795669200.0);
        if (html && strcasestr(html, "<script")) {
            fprintf(stderr, "fuzz_report: report text became markup in the HTML page\n");
            abort();
        }
        free(html);
        (void)merge_ok(m);
    }
    merge_destroy(m);
    free(json);
    free(text);
    free(color);
    free(junit);
    free(prom);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    report_t r;
    char *text = malloc(size ? size : 1); /* exact size: no terminator, over-reads show */
    if (!text)
        return 0;
    memcpy(text, data, size);
    memset(&r, 0, sizeof(r));
    err[0] = '\0';
    if (report_parse_json(text, size, &r, err, sizeof(err)) == 0)
        fuzz_report_render(&r);
    else if (err[0] == '\0')
        abort(); /* a failure says why */
    report_free(&r);
    free(text);
    return 0;
}
