/* config.h: the probe matrix (the reference, "Config"), parsed and fully validated before anything
 * runs. Every error names its JSON path ("roles.backend.probes[2].port: must be 1..65535"). */
#ifndef ZT_CONFIG_H
#define ZT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "kind_table.h"
#include "labels.h"
#include "outcome.h"
#include "status.h"

#define CONFIG_MAX_BYTES (4u * 1024u * 1024u) /* larger files are refused, not read */
#define CONFIG_TIMEOUT_MIN_MS 1
#define CONFIG_TIMEOUT_MAX_MS 300000
#define CONFIG_ATTEMPTS_MAX 10
#define CONFIG_CONCURRENCY_MAX 10000

/* One value per row of the kind table (kind_table.h), in its order. */
#define CONFIG_KIND_ENUM(id, ops) KIND_##id,
typedef enum { PROBE_KIND_TABLE(CONFIG_KIND_ENUM) KIND_COUNT } probe_kind_t;
#undef CONFIG_KIND_ENUM
typedef enum { EXPECT_ALLOW, EXPECT_DENY } expect_t;
/* Which resolved addresses a probe connects to: any (the first, IPv4 preferred), one family,
 * or all of them at once. */
typedef enum { FAMILY_ANY, FAMILY_IPV4, FAMILY_IPV6, FAMILY_ALL } probe_family_t;

typedef struct {
    char *name;
    char *value;
} config_header_t;

typedef struct {
    char *name; /* unique within the role */
    probe_kind_t kind;
    expect_t expect;
    int timeout_ms; /* 0: inherit defaults.timeout_ms */
    int attempts;   /* 0: inherit defaults.attempts */
    bool has_deny_outcomes;
    outcome_mask_t deny_outcomes; /* valid when has_deny_outcomes */
    cidr_list_t resolved_within;  /* empty: no check */
    probe_family_t family;        /* kinds the runner resolves for; default any */
    bool via_pods;                /* "via" lists "pods": also each endpoint pod's IP (via.c) */
    bool via_service_off;         /* "via" without "service": the pods' paths only */

    /* Where to connect. tcp/postgres: from "host"/"port"; http/https: derived from "url"
     * (host without brackets for IPv6 literals; port defaulted from the scheme). dns: the
     * query name in host, port 0. */
    char *host;
    int port;

    /* http / https */
    char *url;
    char *method; /* default "GET" */
    config_header_t *headers;
    size_t n_headers;
    int *status; /* accepted codes; n_status 0 and !status_any: any 2xx */
    size_t n_status;
    bool status_any;
    char *body_contains; /* NULL: no body check */
    char *ca_file;       /* NULL: defaults.ca_file */
    bool follow_redirects;
    bool deny_at_l7; /* http, https, dns: deny_at "l7": only an L7 proxy's refusal denies */

    /* postgres */
    char *user;
    char *dbname;
    char *password_env; /* exactly one of password_env / password_file, or neither */
    char *password_file;
    char *sslmode; /* default "verify-full" with a password, else "prefer" */
    char *sslrootcert;
    char *channel_binding; /* "prefer" (default) or "require" (SCRAM-SHA-256-PLUS only) */
    char *query;           /* postgres: default "SELECT 1"; dns: the name to resolve */

    /* dns */
    int qtype;            /* 1 (A, default) or 28 (AAAA) */
    char *server;         /* "ip" or "ip:port" or "[ip6]:port"; NULL: dns.servers */
    bool expect_nxdomain; /* expect_rcode "nxdomain" */
    cidr_list_t answers_within;

    /* A kind's own keys, parsed by its probe_ops_t.parse and freed by its clear (udp). */
    void *kind_data;
} config_probe_t;

typedef struct {
    char *name;
    labels_t selector;
    char *namespace; /* the role's namespace, or NULL (pods: $POD_NAMESPACE) */
    config_probe_t *probes;
    size_t n_probes;
} config_role_t;

typedef struct {
    int version;
    int timeout_ms;               /* defaults: 3000 */
    int attempts;                 /* 1 */
    int concurrency;              /* 64 */
    outcome_mask_t deny_outcomes; /* timeout | unreachable */
    char *ca_file;                /* "/etc/ssl/certs/ca-certificates.crt" */
    char **dns_servers;           /* as written: "10.96.0.10" or "10.96.0.10:53"; empty: resolv.conf */
    size_t n_dns_servers;
    bool dns_search; /* true */
    config_role_t *roles;
    size_t n_roles;
} config_t;

/* Parses and validates a config text. Returns ZT_OK and a config in *out, ZT_ERR_INPUT
 * on a config error (err holds "json.path: reason"), ZT_ERR_NOMEM when out of memory
 * (status.h). */
zt_status_t config_parse(const char *text, size_t len, config_t **out, char *err, size_t errlen);

/* Reads (fileio_read_stream_capped: a regular file, a pipe or FIFO under deadlines, or stdin
 * as "-"; at most CONFIG_MAX_BYTES) and parses a file; errors are prefixed with the path. Same return values as config_parse. */
zt_status_t config_load_file(const char *path, config_t **out, char *err, size_t errlen);

void config_free(config_t *cfg);

const config_role_t *config_find_role(const config_t *cfg, const char *name);

/* Effective per-probe values: the probe's own, else the config's defaults. */
int config_probe_timeout_ms(const config_t *cfg, const config_probe_t *p);
int config_probe_attempts(const config_t *cfg, const config_probe_t *p);
outcome_mask_t config_probe_deny_outcomes(const config_t *cfg, const config_probe_t *p);
const char *config_probe_ca_file(const config_t *cfg, const config_probe_t *p);

/* The kind's target text ("host:port", the url, "query TYPE @server"), written into buf. */
void config_probe_target(const config_probe_t *p, char *buf, size_t len);

const char *config_kind_name(probe_kind_t k);
const char *config_expect_name(expect_t e);
const char *config_family_name(probe_family_t f);

#endif
