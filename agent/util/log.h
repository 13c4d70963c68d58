/* log.h: every message for a person goes through here: to stderr, prefixed "ztprobe: ", so
 * stdout carries only the report. */
#ifndef ZT_LOG_H
#define ZT_LOG_H

/* "ztprobe: <message>\n" on stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Same, only when verbose logging is on (-v). */
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes the object as one compact JSON line to stderr (watch's per-run log lines), then
 * deletes it. Takes NULL (out of memory: nothing written). */
struct cJSON;
void log_json_line(struct cJSON *o);

void log_set_verbose(int level);
int log_verbose_level(void);

#endif
