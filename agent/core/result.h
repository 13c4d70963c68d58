/* result.h: what a run produces: one result per probe, report-wide diagnoses, and the report
 * that renderers print. Self-contained (no pointers into the config), so a report parsed back
 * from JSON (merge) has the same shape as one just measured. A result owns its texts and
 * address lists (result.c): each costs what it holds, so a report read back from a pod (merge
 * holds up to 10,000 results a report) stays near the size of its JSON instead of 10,000
 * records sized for the longest text and the most addresses. */
#ifndef ZT_RESULT_H
#define ZT_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ipaddr.h"
#include "outcome.h"

typedef enum { VERDICT_PASS, VERDICT_FAIL, VERDICT_INCONCLUSIVE } verdict_t;

#define RESULT_MAX_ADDRS 16
#define RESULT_ADDR_LEN IP_ADDR_TEXT_LEN
/* The texts' caps, with the NUL: a longer text is cut on a character boundary. */
#define RESULT_DETAIL_LEN 256
#define RESULT_HINT_LEN 512
#define RESULT_TARGET_LEN 320
#define RESULT_TEXT_MAX 512 /* the largest of the three */

/* A result's free texts: read with result_text (never NULL), written with result_set_text or
 * result_printf, never through the pointers. */
typedef enum { RESULT_TARGET, RESULT_DETAIL, RESULT_HINT, RESULT_TEXT_N } result_text_t;
/* Hints cut a host at HINT_HOST_MAX (80) bytes with "...", so a longer host only needs to stay
 * longer than that: 95 bytes keep every hint byte-identical (hint.c checks). */
#define RESULT_HOST_LEN 96
#define RESULT_OUTCOME_TEXT_LEN 512 /* report_outcome_text: every address of a family: all probe */

/* Facts a kind states about an attempt, for the hint (never parsed from detail). */
#define RESULT_FACT_NOT_NXDOMAIN 1u  /* dns: expected NXDOMAIN, got an answer */
#define RESULT_FACT_PASSWORD_ENV 2u  /* postgres: the password variable could not be read */
#define RESULT_FACT_PASSWORD_FILE 4u /* postgres: the password file could not be read */
#define RESULT_FACT_DNS_L7 8u        /* dns: deny_at l7, the rcode was asked for */

/* One address of a family: all probe. */
typedef struct {
    double duration_ms;
    outcome_t outcome;
    ip_addr_t address;
} result_addr_t;

typedef struct {
    char name[128];
    probe_kind_t kind;
    expect_t expect;
    verdict_t verdict;
    outcome_t outcome; /* the outcome the verdict rests on */
    /* Owned, NULL reads as "": the target as the report shows it, the detail of the attempt
     * the verdict rests on, the hint (empty: null; passed probes carry no hint). */
    char *text[RESULT_TEXT_N];
    int attempts;       /* attempts made */
    double duration_ms; /* whole probe, all attempts */
    /* The addresses the name gave (owned, at most RESULT_MAX_ADDRS: result_set_addrs). */
    ip_addr_t *addrs;
    size_t n_addrs;
    /* family: all: every address probed, with its own outcome (the report's addresses are
     * then objects); n_addr_results 0 otherwise. Owned, at most RESULT_MAX_ADDRS. */
    result_addr_t *addr_results;
    size_t n_addr_results;
    /* The parsed target, for hints: host (or a dns probe's query name) and port (0: none).
     * Empty host in a report read back from JSON. */
    char host[RESULT_HOST_LEN]; /* longer ones cut: see RESULT_HOST_LEN */
    int port;
    unsigned facts; /* RESULT_FACT_* of the attempt the verdict rests on */
    /* Phase durations of the attempt the verdict rests on, in ms; negative: null.
     * dns: resolution; connect: TCP handshake; tls: TLS handshake; first_byte: from the
     * request (or startup packet) sent to the first byte of the answer. */
    double dns_ms, connect_ms, tls_ms, first_byte_ms;
    /* run --wait (rendered only when the report's waited is set): ms from the start of the
     * run to the start of the round in which the probe first passed; negative: never (null). */
    double converged_after_ms;
    /* watch (rendered in Prometheus only when the report's history is set): Unix time of the
     * run that last changed the verdict (the first run counts as one), and how many changes. */
    double last_change_at;
    unsigned long verdict_changes;
} result_t;

#define DIAG_MAX 8
#define DIAG_MESSAGE_LEN 512

typedef struct {
    char code[48]; /* dns_blocked, policy_not_enforced, role_labels_mismatch, ... */
    char message[DIAG_MESSAGE_LEN];
} diagnosis_t;

typedef struct {
    int total, passed, failed, inconclusive;
    bool ok;
} summary_t;

/* What the NetworkPolicies intend for a probe (`run --policies`). */
#define RESULT_POLICY_BY_MAX 4
#define RESULT_POLICY_REASON_LEN 900

#define RESULT_POLICY_NAME_LEN 254

typedef struct {
    char *policy; /* "namespace/name", owned, shorter than RESULT_POLICY_NAME_LEN */
    bool egress;  /* else ingress */
    int rule;     /* index into spec.egress / spec.ingress */
} result_policy_ref_t;

/* Owned like a result's texts (result_policy_add_by, result_policy_set_reason): a report
 * read back holds one per result. */
typedef struct {
    char intended[8];        /* allow | deny | unknown */
    result_policy_ref_t *by; /* n_by, at most RESULT_POLICY_BY_MAX */
    size_t n_by;
    char *reason; /* NULL reads as "" (result_policy_reason) */
} result_policy_t;

typedef struct {
    char role[128];
    char pod_name[254];     /* empty: null */
    char pod_namespace[64]; /* empty: null */
    double started_at;      /* Unix time, seconds */
    double duration_ms;
    result_t *results;
    size_t n_results;
    result_policy_t *policy; /* n_results entries with --policies, else NULL */
    diagnosis_t diags[DIAG_MAX];
    size_t n_diags;
    /* run --wait: the convergence fields are rendered (absent from a plain run's report);
     * converged_after_ms is the largest of the results', negative (null) unless all passed. */
    bool waited;
    double converged_after_ms;
    bool history; /* watch: last_change_at / verdict_changes are meaningful */
    /* watch --startup: the convergence fields are measured from the start of the process (a
     * deny probe's: how long it was not yet enforced); rendered as the startup families. */
    bool startup;
} report_t;

/* Counts verdicts. */
summary_t report_summary(const report_t *r);

/* result.c: what a result owns. */
/* Text t of r, "" when none. */
const char *result_text(const result_t *r, result_text_t t);
/* Sets text t to a copy of s (NULL or "": none), cut to its cap on a character boundary.
 * Returns 0, or -1 when out of memory (t is then none). */
int result_set_text(result_t *r, result_text_t t, const char *s);
/* As result_set_text, formatted. */
int result_printf(result_t *r, result_text_t t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sets the addresses (at most RESULT_MAX_ADDRS are kept), or the per-address results, to a
 * copy of a[0..n). 0, or -1 when out of memory (the list is then empty). */
int result_set_addrs(result_t *r, const ip_addr_t *a, size_t n);
int result_set_addr_results(result_t *r, const result_addr_t *a, size_t n);
/* Frees what r owns and zeroes r. */
void result_clear(result_t *r);
/* dst (cleared first) takes src's contents; src is left zeroed. */
void result_move(result_t *dst, result_t *src);
/* dst = a deep copy of src (dst's old contents are not freed). 0, or -1 when out of memory
 * (dst is then zeroed). */
int result_copy(result_t *dst, const result_t *src);

const char *result_policy_reason(const result_policy_t *p);
/* Cut to RESULT_POLICY_REASON_LEN on a character boundary. 0, or -1 when out of memory. */
int result_policy_set_reason(result_policy_t *p, const char *s);
/* Appends a reference (policy cut to RESULT_POLICY_NAME_LEN - 1 bytes); past
 * RESULT_POLICY_BY_MAX it is dropped. 0, or -1 when out of memory. */
int result_policy_add_by(result_policy_t *p, const char *policy, bool egress, int rule);
void result_policy_clear(result_policy_t *p);
int result_policy_copy(result_policy_t *dst, const result_policy_t *src);

/* result_diag.c. Appends diagnosis CODE with a formatted message to r->diags; past DIAG_MAX the
 * rest are dropped. The judge's and the kinds' diagnoses (probe_ops_t.diagnose) share it. */
void result_diag_add(report_t *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
