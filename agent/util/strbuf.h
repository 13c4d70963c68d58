/* strbuf.h: the growing string every renderer writes into, and the UTF-8 and escaping helpers
 * more than one renderer needs. An allocation failure sticks, so a renderer appends freely
 * and checks once, when it takes the string. */
#ifndef ZT_STRBUF_H
#define ZT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest output of one strbuf_printf call, terminator included; more is cut. */
#define STRBUF_PRINTF_MAX 256

/* Start with strbuf_t b = {0}. buf is NUL-terminated once anything was appended; len and buf
 * may be read (and len shortened, with a NUL written at buf[len]) by the owner. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool oom; /* an allocation failed: appends are ignored and take returns NULL */
} strbuf_t;

/* Appends n bytes of s (they may contain no NUL). */
void strbuf_putn(strbuf_t *b, const char *s, size_t n);

void strbuf_puts(strbuf_t *b, const char *s);

/* Only for numbers and fixed names: at most STRBUF_PRINTF_MAX - 1 bytes are appended, and
 * text from a report or the network goes through an escaper instead. */
__attribute__((format(printf, 2, 3))) void strbuf_printf(strbuf_t *b, const char *fmt, ...);

/* The string (malloc'd, the caller frees it; "" when nothing was appended), or NULL after an
 * allocation failure. Either way b is reset to empty and can be used again. */
char *strbuf_take(strbuf_t *b);

/* Frees the buffer and resets b to empty; accepts NULL. */
void strbuf_free(strbuf_t *b);

/* Length (1 to 4) of the UTF-8 sequence at s, which has n bytes left, or 0 when it is not
 * valid UTF-8: a stray continuation byte, a sequence cut short, an overlong form, a surrogate
 * or a value past U+10FFFF. ASCII, control bytes included, is 1. When cp is not NULL and the
 * sequence is valid, *cp is its code point. */
size_t strbuf_utf8_seq_len(const unsigned char *s, size_t n, uint32_t *cp);

/* The terminal filter, the one every piece of peer or report text goes through before a
 * terminal or a log line: the sequence at s (n > 0 bytes left) is *safe when it is printable
 * UTF-8, and unsafe when it is a C0 control, DEL, a C1 control (U+0080..U+009F, whose
 * U+009B is CSI) or not UTF-8 at all (a raw 0x80..0x9f byte is C1 on an 8-bit terminal).
 * Returns its length in bytes: the UTF-8 sequence, or 1 for a byte that is not UTF-8. */
size_t strbuf_term_seq(const unsigned char *s, size_t n, bool *safe);

/* Terminal columns of s (at most max bytes) as strbuf_put_safe shows it: one per code point
 * or replaced byte, which is right for the names and outcomes shown (East Asian wide
 * characters would take two). */
size_t strbuf_utf8_width(const char *s, size_t max);

/* Where to cut s (len bytes) to keep at most max bytes without splitting a UTF-8 sequence: len
 * when it fits, else the last character boundary at or before max. */
size_t strbuf_utf8_cut(const char *s, size_t len, size_t max);

/* Appends s (at most max bytes) for a terminal: each unsafe sequence (strbuf_term_seq)
 * becomes one '?', so no escape sequence from a report or a server banner reaches it.
 * Returns the columns appended. */
size_t strbuf_put_safe(strbuf_t *b, const char *s, size_t max);

/* As strbuf_put_safe, and U+2028 and U+2029 become '?' too: s stays on one line for any
 * reader, YAML 1.1 included (a `#` comment holding an object's name). Newline, CR and NEL are
 * controls, replaced already. */
size_t strbuf_put_line(strbuf_t *b, const char *s, size_t max);

/* The same filter in place on the n bytes of s (for log lines); returns the new length and
 * writes a NUL there when it shrank. */
size_t strbuf_term_clean(char *s, size_t n);

/* Appends spaces from column used up to column width (none when used >= width). */
void strbuf_pad(strbuf_t *b, size_t used, size_t width);

/* Appends s (at most max bytes) as a quoted JSON string: quote and backslash escaped, \n \r
 * \t by name, other control bytes, DEL and C1 controls as \u00XX, U+2028 and U+2029 as \u2028
 * and \u2029 (line breaks to YAML 1.1 and JavaScript), bytes that are not UTF-8 as \ufffd, so
 * the document stays valid JSON whatever the bytes, and one line wherever it is embedded. */
void strbuf_json_str(strbuf_t *b, const char *s, size_t max);

#endif
