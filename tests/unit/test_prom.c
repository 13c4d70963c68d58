/* test_prom.c: the Prometheus text exposition (families whole, HELP and TYPE, values,
 * label escaping) and push_prometheus against tests/formats/recorder.py, a recording HTTP
 * server on 127.0.0.1 (run from the repository root, as `make unit` does). promtool's own
 * check of real output is in tests/formats/run.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cJSON.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "push.h"
#include "report_formats.h"
#include "sample_report.h"

#define RECORDER "tests/formats/recorder.py"

static void assert_line(const char *text, const char *line)
{
    char want[1024];
    snprintf(want, sizeof(want), "\n%s\n", line);
    if (strstr(text, want) == NULL && strncmp(text, want + 1, strlen(want) - 1) != 0)
        fail_msg("missing line: %s", line);
}

static size_t count_lines_starting(const char *text, const char *prefix)
{
    size_t n = 0, pl = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, pl) == 0)
            n++;
    return n;
}

/* Every sample belongs to the family whose TYPE came last, and a family never comes back:
 * what promtool and the Pushgateway demand. Returns the number of families. */
static int check_grouping(const char *text)
{
    char fams[32][64], cur[64] = "";
    int nf = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        assert_non_null(eol); /* every line ends in \n, the last one too */
        char line[1024];
        snprintf(line, sizeof(line), "%.*s", (int)(eol - p), p);
        if (strncmp(line, "# HELP ", 7) == 0) {
            char name[64];
            assert_int_equal(sscanf(line + 7, "%63s", name), 1);
            for (int i = 0; i < nf; i++)
                assert_string_not_equal(fams[i], name);
            snprintf(fams[nf++], sizeof(fams[0]), "%s", name);
            snprintf(cur, sizeof(cur), "%s", name);
            /* TYPE follows HELP directly. */
            char type[128];
            snprintf(type, sizeof(type), "# TYPE %s gauge\n", name);
            assert_memory_equal(eol + 1, type, strlen(type));
        } else if (line[0] != '#') {
            size_t n = strcspn(line, "{ ");
            if (strlen(cur) != n || strncmp(line, cur, n) != 0)
                fail_msg("sample outside its family: %s (in %s)", line, cur);
        }
        p = eol + 1;
    }
    return nf;
}

static void test_exposition(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r;
    char *t = report_render_prometheus(&r, 1);
    assert_non_null(t);
    assert_int_equal(check_grouping(t), 8);
    const char *L = "{role=\"backend\",probe=\"no-plain-http-out\",kind=\"http\",expect=\"deny\"";
    char want[512];
    assert_line(t,
                "ztprobe_probe_success{role=\"backend\",probe=\"postgres\",kind=\"postgres\","
                "expect=\"allow\"} 1");
    snprintf(want, sizeof(want), "ztprobe_probe_success%s} 0", L);
    assert_line(t, want);
    assert_line(t,
                "ztprobe_probe_success{role=\"backend\",probe=\"cluster-dns\",kind=\"dns\","
                "expect=\"allow\"} 0");
    assert_line(t,
                "ztprobe_probe_duration_seconds{role=\"backend\",probe=\"postgres\","
                "kind=\"postgres\",expect=\"allow\"} 0.0081");
    assert_line(t,
                "ztprobe_probe_duration_seconds{role=\"backend\",probe=\"cluster-dns\","
                "kind=\"dns\",expect=\"allow\"} 3");
    /* Only the outcome seen. */
    assert_int_equal(count_lines_starting(t, "ztprobe_probe_outcome{"), 3);
    snprintf(want, sizeof(want), "ztprobe_probe_outcome%s,outcome=\"http_status\"} 1", L);
    assert_line(t, want);
    /* All three verdicts, 0/1. */
    assert_int_equal(count_lines_starting(t, "ztprobe_probe_verdict{"), 9);
    snprintf(want, sizeof(want), "ztprobe_probe_verdict%s,verdict=\"fail\"} 1", L);
    assert_line(t, want);
    snprintf(want, sizeof(want), "ztprobe_probe_verdict%s,verdict=\"pass\"} 0", L);
    assert_line(t, want);
    /* started_at + duration. */
    assert_line(t, "ztprobe_last_run_timestamp_seconds{role=\"backend\"} 1795669201.135");
    assert_line(t, "ztprobe_run_duration_seconds{role=\"backend\"} 1.0124");
    assert_line(t, "ztprobe_probes{role=\"backend\",verdict=\"pass\"} 1");
    assert_line(t, "ztprobe_probes{role=\"backend\",verdict=\"fail\"} 1");
    assert_line(t, "ztprobe_probes{role=\"backend\",verdict=\"inconclusive\"} 1");
    assert_line(t, "ztprobe_diagnosis{role=\"backend\",code=\"dns_blocked\"} 1");
    assert_line(t, "# TYPE ztprobe_last_run_timestamp_seconds gauge");
    /* No timestamps on samples: every sample line has exactly one space after the labels. */
    assert_null(strstr(t, "} 1 1"));
    free(t);
    sample_free(&sm);
}

static void test_escaping_and_empty(void **state)
{
    (void)state;
    sample_t sm[2];
    sample_report(&sm[0]);
    sample_report(&sm[1]);
    report_t r[2] = {sm[0].r, sm[1].r};
    snprintf(r[0].role, sizeof(r[0].role), "a\\b\"c\nd\te\xff");
    r[0].diags[1] = r[0].diags[0]; /* a duplicate code must not give a duplicate series */
    r[0].n_diags = 2;
    snprintf(sm[0].res[0].name, sizeof(sm[0].res[0].name), "p\"q");
    r[1].n_results = 0; /* a second role without probes */
    snprintf(r[1].role, sizeof(r[1].role), "frontend");
    r[1].n_diags = 0;
    char *t = report_render_prometheus(r, 2);
    assert_non_null(t);
    assert_int_equal(check_grouping(t), 8);
    assert_line(t,
                "ztprobe_probe_success{role=\"a\\\\b\\\"c\\nd?e\xef\xbf\xbd\",probe=\"p\\\"q\","
                "kind=\"postgres\",expect=\"allow\"} 1");
    assert_int_equal(count_lines_starting(t, "ztprobe_diagnosis{"), 1);
    assert_line(t, "ztprobe_probes{role=\"frontend\",verdict=\"pass\"} 0");
    assert_line(t, "ztprobe_run_duration_seconds{role=\"frontend\"} 1.0124");
    free(t);

    t = report_render_prometheus(NULL, 0);
    assert_non_null(t);
    assert_int_equal(check_grouping(t), 8); /* families with no samples are legal */
    free(t);
    sample_free_n(sm, 2);
}

/* ---- push ----------------------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int port;
    char dir[64], record[96];
} recorder_t;

static void recorder_start(recorder_t *s, int status)
{
    char portfile[96], st[16];
    snprintf(s->dir, sizeof(s->dir), "/tmp/zt-prom-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->record, sizeof(s->record), "%s/record.jsonl", s->dir);
    snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
    snprintf(st, sizeof(st), "%d", status);
    if (access(RECORDER, R_OK) != 0)
        fail_msg("%s not found: run the unit tests from the repository root", RECORDER);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        execl("/usr/bin/python3", "python3", RECORDER, "--record", s->record, "--status", st, "--port-file",
              portfile, "--max-seconds", "30", (char *)NULL);
        _exit(127);
    }
    s->port = 0;
    for (int i = 0; i < 500 && s->port == 0; i++) { /* up to 5 s */
        FILE *f = fopen(portfile, "r");
        if (f != NULL) {
            if (fscanf(f, "%d", &s->port) != 1)
                s->port = 0;
            fclose(f);
        } else {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (s->port == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        fail_msg("the recorder did not start");
    }
    unlink(portfile);
}

/* Stops the server; returns the first request it recorded (cJSON, caller frees) or NULL. */
static cJSON *recorder_stop(recorder_t *s)
{
    char buf[65536] = "";
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    FILE *f = fopen(s->record, "r");
    if (f != NULL) {
        if (fgets(buf, sizeof(buf), f) == NULL)
            buf[0] = '\0';
        fclose(f);
        unlink(s->record);
    }
    rmdir(s->dir);
    return buf[0] ? cJSON_Parse(buf) : NULL;
}

static const char *jget(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(it) ? it->valuestring : "";
}

static void test_push_put(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r;
    char *body = report_render_prometheus(&r, 1), url[128], err[512] = "x";
    recorder_t s;
    recorder_start(&s, 202);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
    int rc = push_prometheus(url, "ztprobe", "backend-7d9f", body, 5000, NULL, err, sizeof(err));
    cJSON *req = recorder_stop(&s);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
    assert_non_null(req);
    assert_string_equal(jget(req, "method"), "PUT");
    assert_string_equal(jget(req, "path"), "/metrics/job/ztprobe/instance/backend-7d9f");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(req, "headers");
    assert_string_equal(jget(h, "content-type"), "text/plain; version=0.0.4");
    assert_string_equal(jget(req, "body"), body);
    cJSON_Delete(req);

    /* No instance: no instance grouping. A '/' in a value: base64url; others escaped. */
    recorder_start(&s, 200);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    rc = push_prometheus(url, "team/zt", "", body, 5000, NULL, err, sizeof(err));
    req = recorder_stop(&s);
    assert_int_equal(rc, 0);
    assert_string_equal(jget(req, "path"), "/metrics/job@base64/dGVhbS96dA==");
    cJSON_Delete(req);
    recorder_start(&s, 200);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/gw", s.port);
    rc = push_prometheus(url, "zt probe", "pod?1", body, 5000, NULL, err, sizeof(err));
    req = recorder_stop(&s);
    assert_int_equal(rc, 0);
    assert_string_equal(jget(req, "path"), "/gw/metrics/job/zt%20probe/instance/pod%3F1");
    cJSON_Delete(req);
    free(body);
    sample_free(&sm);
}

static void test_push_errors_hide_credentials(void **state)
{
    (void)state;
    char url[160], err[512];
    recorder_t s;
    recorder_start(&s, 400);
    snprintf(url, sizeof(url), "http://admin:s3cr3t-pw@127.0.0.1:%d/", s.port);
    int rc = push_prometheus(url, "ztprobe", "p", "x 1\n", 5000, NULL, err, sizeof(err));
    cJSON *req = recorder_stop(&s);
    assert_int_equal(rc, -1);
    char want[256];
    snprintf(want, sizeof(want),
             "push http://127.0.0.1:%d/metrics/job/ztprobe/instance/p: HTTP 400: pushed metrics "
             "are invalid or inconsistent with existing metrics",
             s.port);
    assert_string_equal(err, want);
    /* The credentials did reach the server (basic auth), and nowhere else. */
    assert_non_null(req);
    assert_true(
        strncmp(jget(cJSON_GetObjectItemCaseSensitive(req, "headers"), "authorization"), "Basic ", 6) == 0);
    cJSON_Delete(req);

    /* Nothing listening: curl's own message, still without credentials. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    snprintf(url, sizeof(url), "http://admin:s3cr3t-pw@127.0.0.1:%d", ntohs(a.sin_port));
    rc = push_prometheus(url, "ztprobe", NULL, "x 1\n", 2000, NULL, err, sizeof(err));
    assert_int_equal(rc, -1);
    snprintf(want, sizeof(want), "push http://127.0.0.1:%d/metrics/job/ztprobe: ", ntohs(a.sin_port));
    assert_memory_equal(err, want, strlen(want));
    assert_true(strlen(err) > strlen(want));
    assert_null(strstr(err, "s3cr3t"));
    assert_null(strstr(err, "admin"));

    /* Refused before any traffic. */
    rc = push_prometheus("http://127.0.0.1:1/?token=abc", "j", "", "", 1000, NULL, err, sizeof(err));
    assert_int_equal(rc, -1);
    assert_null(strstr(err, "abc"));
    assert_non_null(strstr(err, "query"));
    rc = push_prometheus("http://127.0.0.1:1", "", "", "", 1000, NULL, err, sizeof(err));
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "job"));
    rc = push_prometheus("ftp://127.0.0.1:1", "j", "", "", 1000, NULL, err, sizeof(err));
    assert_int_equal(rc, -1);
}

int main(void)
{
    /* The recorder is on loopback; a proxy from the caller's shell must not intercept it. */
    const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                             "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        unsetenv(proxies[i]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exposition),
        cmocka_unit_test(test_escaping_and_empty),
        cmocka_unit_test(test_push_put),
        cmocka_unit_test(test_push_errors_hide_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
