/* json_scan.c: the allocation-free JSON walker (json_scan.h). */
#include "json_scan.h"

#include <stdbool.h>
#include <string.h>

void json_scan_ws(const char *s, size_t n, size_t *pos)
{
    while (*pos < n && (s[*pos] == ' ' || s[*pos] == '\t' || s[*pos] == '\n' || s[*pos] == '\r'))
        (*pos)++;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int scan_string(const char *s, size_t n, size_t *pos)
{
    size_t i = *pos + 1; /* past the opening quote */
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"') {
            *pos = i + 1;
            return 0;
        }
        if (c < 0x20)
            break;
        if (c == '\\') {
            if (i + 1 >= n)
                break;
            char e = s[i + 1];
            if (e == 'u') {
                if (i + 5 >= n || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) || !is_hex(s[i + 4]) ||
                    !is_hex(s[i + 5]))
                    break;
                i += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                break;
            i += 2;
            continue;
        }
        i++;
    }
    *pos = i;
    return -1;
}

static int scan_value(const char *s, size_t n, size_t *pos, int depth);

/* Array or object at *pos: '[' or '{'. */
static int scan_container(const char *s, size_t n, size_t *pos, int depth)
{
    char close = s[*pos] == '[' ? ']' : '}';
    bool object = close == '}';
    if (depth >= JSON_SCAN_MAX_DEPTH)
        return -1;
    (*pos)++;
    json_scan_ws(s, n, pos);
    if (*pos < n && s[*pos] == close) {
        (*pos)++;
        return 0;
    }
    for (;;) {
        if (object) {
            json_scan_ws(s, n, pos);
            if (*pos >= n || s[*pos] != '"' || scan_string(s, n, pos) < 0)
                return -1;
            json_scan_ws(s, n, pos);
            if (*pos >= n || s[*pos] != ':')
                return -1;
            (*pos)++;
        }
        if (scan_value(s, n, pos, depth + 1) < 0)
            return -1;
        json_scan_ws(s, n, pos);
        if (*pos >= n)
            return -1;
        if (s[*pos] == close) {
            (*pos)++;
            return 0;
        }
        if (s[*pos] != ',')
            return -1;
        (*pos)++;
    }
}

static int scan_value(const char *s, size_t n, size_t *pos, int depth)
{
    json_scan_ws(s, n, pos);
    if (*pos >= n)
        return -1;
    char c = s[*pos];
    if (c == '"')
        return scan_string(s, n, pos);
    if (c == '[' || c == '{')
        return scan_container(s, n, pos, depth);
    static const char *const lits[] = {"true", "false", "null"};
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(lits[k]);
        if (n - *pos >= l && memcmp(s + *pos, lits[k], l) == 0) {
            *pos += l;
            return 0;
        }
    }
    size_t start = *pos;
    while (*pos < n && strchr("0123456789+-.eE", s[*pos]) && s[*pos] != '\0')
        (*pos)++;
    return *pos > start ? 0 : -1;
}

int json_scan_value(const char *s, size_t n, size_t *pos)
{
    return scan_value(s, n, pos, 0);
}
