/* cmd_merge.c: `ztprobe merge REPORT.json...`: the namespace-wide matrix a post-deploy smoke
 * test judges, from the reports of every role pod. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_exit.h"
#include "fileio.h"
#include "log.h"
#include "merge.h"
#include "output.h"
#include "report.h"
#include "report_formats.h"

#define MERGE_MAX_REPORT_BYTES (16u * 1024u * 1024u)

/* Reads a whole report of at most MERGE_MAX_REPORT_BYTES: a regular file, or stdin as "-",
 * which may be a pipe: read under the same deadlines as `-c -` (10 s without data, 60 s in
 * all), so a silent writer ends in exit 2, never a hang. */
static char *merge_read(const char *path, size_t *len, char *err, size_t errlen)
{
    char *buf = NULL, ferr[512] = "";
    if (strcmp(path, "-") == 0)
        fileio_read_stream_capped(path, MERGE_MAX_REPORT_BYTES, &buf, len, ferr, sizeof(ferr));
    else
        fileio_read_capped(path, MERGE_MAX_REPORT_BYTES, &buf, len, ferr, sizeof(ferr));
    /* The caller names the file itself: keep only the reason. */
    size_t plen = strlen(path);
    const char *why = strncmp(ferr, path, plen) == 0 && strncmp(ferr + plen, ": ", 2) == 0 ? ferr + plen + 2
                                                                                           : ferr;
    if (!buf)
        snprintf(err, errlen, "%s", why);
    return buf;
}

/* A DNS-1123 label, as namespace names are. */
static bool merge_namespace_ok(const char *ns)
{
    size_t n = strlen(ns);
    if (n == 0 || n > 63 || ns[0] == '-' || ns[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((ns[i] >= 'a' && ns[i] <= 'z') || (ns[i] >= '0' && ns[i] <= '9') || ns[i] == '-'))
            return false;
    return true;
}

/* --namespace NS: a report is of a pod in NS, whatever it was handed; one that names no
 * namespace is taken as NS's, so that its PolicyReport lands there too. A pod can write any
 * report, and `merge -o policyreport | kubectl apply -f -` would write into the namespace it
 * claims (kube-system) with the operator's rights. Returns 0, or -1 with the reason in err. */
static int merge_claim_namespace(report_t *rep, const char *ns, char *err, size_t errlen)
{
    if (rep->pod_namespace[0] == '\0') {
        snprintf(rep->pod_namespace, sizeof(rep->pod_namespace), "%s", ns);
        return 0;
    }
    if (strcmp(rep->pod_namespace, ns) == 0)
        return 0;
    snprintf(err, errlen, "pod.namespace is %.63s, not %.63s (--namespace): refused", rep->pod_namespace, ns);
    return -1;
}

/* The wall clock, for the time a page or a PolicyReport says it was made. */
static double merge_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_merge(const cli_opts_t *o)
{
    if (o->n_args == 0) {
        log_error("merge: give the JSON reports to merge, e.g. 'ztprobe merge frontend.json backend.json'");
        return EXIT_USAGE;
    }
    if (o->format == FMT_PROMETHEUS) {
        log_error("merge: -o prometheus is per pod; use 'ztprobe run -o prometheus'");
        return EXIT_USAGE;
    }
    if (o->namespace && !merge_namespace_ok(o->namespace)) {
        log_error("merge: --namespace %.80s is not a namespace name (1..63 of a-z, 0-9, '-')", o->namespace);
        return EXIT_USAGE;
    }
    merge_t *m = merge_create();
    report_t *view = NULL;
    size_t n_reps = 0;
    int rc = EXIT_INTERNAL;
    bool bad_input = false;
    char *text = NULL;
    if (!m) {
        log_error("out of memory");
        goto done;
    }
    for (int i = 0; i < o->n_args; i++) {
        const char *path = o->args[i];
        char err[512] = "";
        size_t len = 0;
        report_t rep;
        char *buf = merge_read(path, &len, err, sizeof(err));
        /* Each input is freed as soon as it is parsed, and its results move into the merge:
         * memory is the largest input plus what the results take, never a copy of either. */
        int prc = buf ? report_parse_json(buf, len, &rep, err, sizeof(err)) : -1;
        free(buf);
        if (prc == 0 && o->namespace && merge_claim_namespace(&rep, o->namespace, err, sizeof(err)) != 0) {
            report_free(&rep);
            prc = -1;
        }
        if (prc == 0) {
            if (merge_add_take(m, &rep, path) < 0) {
                report_free(&rep);
                log_error("out of memory");
                goto done;
            }
            n_reps++;
        } else {
            log_error("merge: %s: %s", path, err);
            bad_input = true;
            if (merge_add_missing(m, path, err) < 0)
                goto done;
        }
    }
    if (o->format == FMT_POLICYREPORT) {
        char perr[640] = "";
        text = merge_render_policyreport(m, merge_now(), perr, sizeof(perr));
        if (!text && perr[0]) {
            log_error("merge -o policyreport: %s", perr);
            rc = EXIT_USAGE;
            goto done;
        }
    } else if (o->format == FMT_HTML) {
        text = merge_render_html(m, merge_now());
    } else if (o->format == FMT_JUNIT) {
        if ((view = calloc(n_reps ? n_reps : 1, sizeof(*view))) != NULL)
            text = report_render_junit(view, merge_reports(m, view, n_reps));
    } else if (o->format == FMT_TEXT) {
        text = merge_render_text(m);
    } else {
        text = merge_render_json(m); /* json is the default everywhere (the reference) */
    }
    if (!text) {
        log_error("out of memory rendering the matrix");
        goto done;
    }
    if (output_stdout(text, strlen(text)) < 0) {
        log_error("writing to stdout failed");
        goto done;
    }
    rc = bad_input ? EXIT_USAGE : merge_ok(m) ? EXIT_ALL_PASSED : EXIT_PROBE_FAILED;
done:
    free(text);
    free(view); /* shallow: the results belong to the merge */
    merge_destroy(m);
    return rc;
}
