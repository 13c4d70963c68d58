/* report_time.h: reading back the timestamps a report carries. */
#ifndef ZT_REPORT_TIME_H
#define ZT_REPORT_TIME_H

/* RFC 3339 in UTC as rendered: "YYYY-MM-DDTHH:MM:SS[.fff...]Z" (1 to 9 fraction digits).
 * Sets *out to Unix seconds; -1 (out untouched) for anything else. Pure. */
int report_time_parse(const char *s, double *out);

#endif
