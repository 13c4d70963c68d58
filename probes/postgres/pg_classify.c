/* pg_classify.c: libpq's connection messages -> outcomes, and bounded details (pure).
 * libpq 15 reports connect-phase failures only as text; the process runs in the C locale
 * (nothing calls setlocale), so the English strings below are what it prints. */
#include "pg_classify.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *needle; /* matched case-insensitively */
    outcome_t outcome;
} pg_pattern_t;

/* Before the TCP connect completed: the strerror() text of connect()'s errno. */
static const pg_pattern_t pg_connect_patterns[] = {
    {"Connection refused", OUTCOME_REFUSED},
    {"No route to host", OUTCOME_UNREACHABLE},
    {"Network is unreachable", OUTCOME_UNREACHABLE},
    {"Host is down", OUTCOME_UNREACHABLE},
    {"Operation not permitted", OUTCOME_UNREACHABLE},
    {"Permission denied", OUTCOME_UNREACHABLE},
    {"timed out", OUTCOME_TIMEOUT},
};

/* Before the TCP connect, libpq may refuse the parameters themselves ("invalid sslmode
 * value: "x""): a config problem, not a server's answer, even if it says "SSL". */
static const pg_pattern_t pg_param_patterns[] = {
    {"invalid connection option", OUTCOME_ERROR},
    {"invalid port number", OUTCOME_ERROR},
    {"invalid integer value", OUTCOME_ERROR},
    {" value: \"", OUTCOME_ERROR}, /* invalid %s value: "%s" */
    {"could not parse network address", OUTCOME_ERROR},
    {"could not translate host name", OUTCOME_ERROR},
    {"out of memory", OUTCOME_ERROR},
};

/* After it, in this order, first match wins. Protocol failures that mention "SSL" or
 * "authentication" come first ("received invalid response to SSL negotiation: H" is an HTTP
 * server). */
static const pg_pattern_t pg_early_patterns[] = {
    {"received invalid response", OUTCOME_PROTOCOL_ERROR},
    {"received unencrypted data", OUTCOME_PROTOCOL_ERROR},
    {"expected authentication request", OUTCOME_PROTOCOL_ERROR},
    {"invalid authentication request", OUTCOME_PROTOCOL_ERROR},
    {"unexpected message from server", OUTCOME_PROTOCOL_ERROR},
    {"unexpected response from server", OUTCOME_PROTOCOL_ERROR},
    {"lost synchronization", OUTCOME_PROTOCOL_ERROR},
    {"malformed SCRAM message", OUTCOME_PROTOCOL_ERROR},
    {"over a non-SSL connection", OUTCOME_PROTOCOL_ERROR},
    {"could not send SSL negotiation packet", OUTCOME_PROTOCOL_ERROR},
    {"error response during SSL exchange", OUTCOME_PROTOCOL_ERROR},
};

/* Then the server's own error response ("FATAL:  ..."): it came over the finished handshake,
 * so "SSL" in it is no TLS failure ("no pg_hba.conf entry for ..., SSL encryption"). Any
 * other FATAL (too many clients, starting up) is error. */
static const pg_pattern_t pg_fatal_patterns[] = {
    {"password authentication failed", OUTCOME_AUTH_FAILED},
    {"pg_hba.conf", OUTCOME_AUTH_FAILED},
    {"authentication failed", OUTCOME_AUTH_FAILED},
    {"does not exist", OUTCOME_AUTH_FAILED}, /* role / database */
    {"not permitted to log in", OUTCOME_AUTH_FAILED},
    {"permission denied for database", OUTCOME_AUTH_FAILED},
    {"unsupported frontend protocol", OUTCOME_PROTOCOL_ERROR},
    {"invalid length of startup packet", OUTCOME_PROTOCOL_ERROR},
};

/* Then libpq's own findings: TLS, the client side of authentication, and a peer that
 * closed or reset ("SSL SYSCALL error: EOF detected" is a failed handshake: TLS first). */
static const pg_pattern_t pg_client_patterns[] = {
    {"SSL", OUTCOME_TLS_ERROR},
    {"certificate", OUTCOME_TLS_ERROR},
    {"authentication", OUTCOME_AUTH_FAILED},
    {"fe_sendauth", OUTCOME_AUTH_FAILED},
    {"no password supplied", OUTCOME_AUTH_FAILED},
    {"server signature", OUTCOME_AUTH_FAILED},
    {"SCRAM exchange", OUTCOME_AUTH_FAILED}, /* the server rejected the proof */
    {"channel binding", OUTCOME_AUTH_FAILED},
    {"server closed the connection unexpectedly", OUTCOME_PROTOCOL_ERROR},
    {"could not send startup packet", OUTCOME_PROTOCOL_ERROR},
    {"could not receive data from server", OUTCOME_PROTOCOL_ERROR},
    {"could not send data to server", OUTCOME_PROTOCOL_ERROR},
    {"write to server failed", OUTCOME_PROTOCOL_ERROR},
    {"Connection reset by peer", OUTCOME_PROTOCOL_ERROR},
    {"Broken pipe", OUTCOME_PROTOCOL_ERROR},
    {"EOF", OUTCOME_PROTOCOL_ERROR},
    {"packet", OUTCOME_PROTOCOL_ERROR},
};

#define PG_N(arr) (sizeof(arr) / sizeof((arr)[0]))
#define PG_ATTEMPT_PREFIX "connection to server "

static bool pg_match(const char *msg, const pg_pattern_t *pats, size_t n, outcome_t *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasestr(msg, pats[i].needle)) {
            *out = pats[i].outcome;
            return true;
        }
    }
    return false;
}

const char *pg_classify_last_attempt(const char *msg)
{
    if (!msg)
        return "";
    const char *last = msg;
    for (const char *p = strstr(msg, PG_ATTEMPT_PREFIX); p; p = strstr(p + 1, PG_ATTEMPT_PREFIX))
        last = p;
    return last;
}

outcome_t pg_classify_connect_error(const char *msg, bool tcp_connected)
{
    const char *m = pg_classify_last_attempt(msg);
    outcome_t o = OUTCOME_ERROR;
    if (!tcp_connected &&
        (pg_match(m, pg_connect_patterns, PG_N(pg_connect_patterns), &o) ||
         pg_match(m, pg_param_patterns, PG_N(pg_param_patterns), &o)))
        return o;
    if (pg_match(m, pg_early_patterns, PG_N(pg_early_patterns), &o))
        return o;
    if (strstr(m, "FATAL:") || strstr(m, "ERROR:")) {
        if (pg_match(m, pg_fatal_patterns, PG_N(pg_fatal_patterns), &o))
            return o;
        return OUTCOME_ERROR;
    }
    if (pg_match(m, pg_client_patterns, PG_N(pg_client_patterns), &o))
        return o;
    return OUTCOME_ERROR;
}

/* Copies at most n bytes of src into out: control characters and runs of blanks become one
 * space, leading/trailing blanks go, and a cut never splits a UTF-8 sequence (the report is
 * JSON). */
static void pg_copy_clean(const char *src, size_t n, char *out, size_t len)
{
    if (len == 0)
        return;
    size_t o = 0;
    bool pending_space = false;
    for (size_t i = 0; i < n && src[i]; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x20 || c == 0x7f || c == ' ') {
            pending_space = o > 0;
            continue;
        }
        size_t need = pending_space ? 2 : 1;
        if (o + need >= len)
            break;
        if (pending_space)
            out[o++] = ' ';
        pending_space = false;
        out[o++] = (char)c;
    }
    /* Drop a trailing partial UTF-8 sequence left by the cut. */
    size_t k = o;
    while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
        k--;
    if (k > 0 && ((unsigned char)out[k - 1] & 0x80)) {
        unsigned char lead = (unsigned char)out[k - 1];
        size_t want = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1;
        if (o - (k - 1) < want)
            o = k - 1;
    }
    out[o] = '\0';
}

void pg_classify_detail(const char *msg, char *out, size_t len)
{
    if (len == 0)
        return;
    const char *m = pg_classify_last_attempt(msg);
    if (strncmp(m, PG_ATTEMPT_PREFIX, strlen(PG_ATTEMPT_PREFIX)) == 0) {
        const char *eol = strchr(m, '\n');
        const char *f = strstr(m, " failed: ");
        if (f && (!eol || f < eol))
            m = f + strlen(" failed: ");
    }
    while (*m == ' ' || *m == '\t' || *m == '\n' || *m == '\r')
        m++;
    size_t n = strcspn(m, "\n");
    pg_copy_clean(m, n, out, len);
    if (out[0] == '\0')
        snprintf(out, len, "%s", "connection failed (libpq gave no message)");
}

void pg_classify_ok_detail(const char *server_version, long rows, char *out, size_t len)
{
    if (len == 0)
        return;
    char v[96];
    pg_copy_clean(server_version && *server_version ? server_version : "?",
                  server_version ? strlen(server_version) : 1, v, sizeof(v));
    snprintf(out, len, "PostgreSQL %s: query ok, %ld row%s", v, rows, rows == 1 ? "" : "s");
}

void pg_classify_query_error(const char *sqlstate, const char *primary, const char *fallback, char *out,
                             size_t len)
{
    if (len == 0)
        return;
    char tmp[512];
    if (primary && *primary) {
        snprintf(tmp, sizeof(tmp), "%s: %s", sqlstate && *sqlstate ? sqlstate : "ERROR", primary);
        pg_copy_clean(tmp, strlen(tmp), out, len);
    } else if (fallback && *fallback) {
        pg_classify_detail(fallback, out, len);
    } else {
        snprintf(out, len, "%s", "query failed");
    }
}

void pg_classify_redact(char *buf, size_t len, const char *secret)
{
    if (!buf || len == 0 || !secret || !*secret)
        return;
    size_t sl = strlen(secret);
    char *from = buf;
    char *p;
    /* Searching on after the stars keeps a secret made of '*' from matching its own mask. */
    while ((p = strstr(from, secret)) != NULL) {
        /* "***" is longer than what it replaces only for 1-2 byte secrets; then the tail
         * shifts right and is cut at the buffer's end. */
        size_t tail = strlen(p + sl);
        size_t room = len - (size_t)(p - buf) - 1; /* bytes available from p, NUL excluded */
        size_t star = room < 3 ? room : 3;
        size_t keep = room - star < tail ? room - star : tail;
        memmove(p + star, p + sl, keep);
        memset(p, '*', star);
        p[star + keep] = '\0';
        from = p + star;
    }
}

/* Adds one connection keyword; NULL values are left out so libpq applies its default. */
static void pg_kw(const char **kw, const char **val, size_t *n, const char *k, const char *v)
{
    if (!v || *n >= PG_PARAMS_MAX)
        return;
    kw[*n] = k;
    val[*n] = v;
    (*n)++;
}

void pg_classify_params(const config_probe_t *p, const char *ca_file, const char *addr, const char *password,
                        char *port, size_t portlen, const char **kw, const char **val)
{
    snprintf(port, portlen, "%d", p->port > 0 ? p->port : 5432);
    const char *sslmode = p->sslmode ? p->sslmode : "prefer";
    /* verify-* without sslrootcert would look for ~/.postgresql/root.crt, which a pod with a
     * read-only root has not: use the run's CA bundle (libpq 15 knows no sslrootcert=system). */
    const char *rootcert = p->sslrootcert;
    if (!rootcert && strncmp(sslmode, "verify-", 7) == 0)
        rootcert = ca_file;
    size_t n = 0;
    pg_kw(kw, val, &n, "host", p->host);
    pg_kw(kw, val, &n, "hostaddr", addr);
    pg_kw(kw, val, &n, "port", port);
    pg_kw(kw, val, &n, "user", p->user);
    pg_kw(kw, val, &n, "dbname", p->dbname);
    pg_kw(kw, val, &n, "password", password);
    /* libpq must not read ~/.pgpass, nor ~/.postgresql/postgresql.{crt,key} (a client
     * certificate is a credential too), root.crt or root.crl. */
    pg_kw(kw, val, &n, "passfile", PG_NO_FILE);
    pg_kw(kw, val, &n, "sslcert", PG_NO_FILE);
    pg_kw(kw, val, &n, "sslkey", PG_NO_FILE);
    pg_kw(kw, val, &n, "sslmode", sslmode);
    pg_kw(kw, val, &n, "sslrootcert", rootcert ? rootcert : PG_NO_FILE);
    pg_kw(kw, val, &n, "sslcrl", PG_NO_FILE);
    pg_kw(kw, val, &n, "channel_binding", p->channel_binding ? p->channel_binding : "prefer");
    /* The probe only reads: a query that would write fails (docs/security.md). */
    pg_kw(kw, val, &n, "options", "-c default_transaction_read_only=on");
    pg_kw(kw, val, &n, "gssencmode", "disable"); /* no Kerberos lookups */
    pg_kw(kw, val, &n, "application_name", "ztprobe");
    pg_kw(kw, val, &n, "client_encoding", "UTF8");
    pg_kw(kw, val, &n, "target_session_attrs", "any");
    kw[n] = NULL;
    val[n] = NULL;
}

bool pg_classify_sends_password(const config_probe_t *p)
{
    return p && p->kind == KIND_POSTGRES && p->expect == EXPECT_ALLOW &&
        (p->password_env || p->password_file);
}

bool pg_classify_unverified(const config_probe_t *p)
{
    return pg_classify_sends_password(p) && (!p->sslmode || strcmp(p->sslmode, "verify-full") != 0);
}

size_t pg_classify_unverified_list(const config_probe_t *const *probes, size_t n, char *buf, size_t len)
{
    size_t count = 0, used = 0;
    if (len > 0)
        buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!pg_classify_unverified(probes[i]))
            continue;
        count++;
        if (len == 0)
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", count > 1 ? ", " : "", probes[i]->name);
        if (w < 0 || (size_t)w >= len - used) {
            /* Cut: end with "..." where it fits. */
            if (len >= 4)
                memcpy(buf + len - 4, "...", 4);
            used = len - 1;
            continue;
        }
        used += (size_t)w;
    }
    return count;
}
