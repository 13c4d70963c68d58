/* report_time.c: the report's timestamps read back (report_time.h). Split from report_parse.c
 * along the document / scalar seam. */
#include "report_time.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num_at(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int report_time_parse(const char *s, double *out)
{
    size_t n = strlen(s);
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[n - 1] != 'Z' || !all_digits(s, 4) || !all_digits(s + 5, 2) || !all_digits(s + 8, 2) ||
        !all_digits(s + 11, 2) || !all_digits(s + 14, 2) || !all_digits(s + 17, 2))
        return -1;
    double frac = 0;
    if (n > 20) {
        if (s[19] != '.' || n - 21 < 1 || n - 21 > 9 || !all_digits(s + 20, n - 21))
            return -1;
        double scale = 1;
        for (size_t i = 21; i < n; i++)
            scale *= 10;
        frac = num_at(s + 20, n - 21) / scale;
    }
    struct tm tm = {0};
    tm.tm_year = num_at(s, 4) - 1900;
    tm.tm_mon = num_at(s + 5, 2) - 1;
    tm.tm_mday = num_at(s + 8, 2);
    tm.tm_hour = num_at(s + 11, 2);
    tm.tm_min = num_at(s + 14, 2);
    tm.tm_sec = num_at(s + 17, 2);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return -1;
    *out = (double)timegm(&tm) + frac;
    return 0;
}
