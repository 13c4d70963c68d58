/* calico_selector.c: a recursive-descent parser for Calico selectors into a flat node array,
 * and its matcher. Precedence as Calico's: `!` binds tightest, then `&&`, then `||`.
 * Strings are '...' or "..." with no escapes (Calico has none). A label key is a run of
 * letters, digits and `_ . / -`. */
#include "calico_selector.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    CS_ALL,
    CS_GLOBAL,
    CS_HAS,
    CS_EQ,
    CS_NE,
    CS_IN,
    CS_NOT_IN,
    CS_CONTAINS,
    CS_STARTS,
    CS_ENDS,
    CS_NOT,
    CS_AND,
    CS_OR
} cs_kind_t;

typedef struct {
    cs_kind_t kind;
    char *key;     /* terms */
    char **values; /* EQ..ENDS: one value; IN/NOT_IN: the set */
    size_t n_values;
    int a, b; /* NOT: a; AND/OR: a, b */
} cs_node_t;

struct calsel {
    char *text;
    cs_node_t *nodes;
    size_t n_nodes;
    int root;
    size_t n_values; /* every value of every node, against CALSEL_MAX_NODES */
};

typedef struct {
    const char *s;
    size_t pos;
    calsel_t *sel;
    char *err;
    size_t errlen;
    int rc;
    int depth;
} cs_parser_t;

static int cs_fail(cs_parser_t *p, size_t col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int cs_fail(cs_parser_t *p, size_t col, const char *fmt, ...)
{
    if (p->rc)
        return -1;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "column %zu: %s", col + 1, msg);
    p->rc = -1;
    return -1;
}

static int cs_oom(cs_parser_t *p)
{
    if (!p->rc) {
        snprintf(p->err, p->errlen, "out of memory");
        p->rc = -2;
    }
    return -1;
}

static void cs_space(cs_parser_t *p)
{
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r')
        p->pos++;
}

static bool cs_keych(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '.' || c == '/' || c == '-';
}

/* Consumes `word` when it stands here as a whole word (not the start of a longer key). */
static bool cs_word(cs_parser_t *p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(p->s + p->pos, word, n) != 0 || cs_keych(p->s[p->pos + n]))
        return false;
    p->pos += n;
    return true;
}

static bool cs_lit(cs_parser_t *p, const char *lit)
{
    cs_space(p);
    size_t n = strlen(lit);
    if (strncmp(p->s + p->pos, lit, n) != 0)
        return false;
    p->pos += n;
    return true;
}

static int cs_node(cs_parser_t *p, cs_kind_t kind)
{
    calsel_t *s = p->sel;
    if (s->n_nodes + s->n_values >= CALSEL_MAX_NODES)
        return cs_fail(p, p->pos, "selector too complex (more than %d terms)", CALSEL_MAX_NODES);
    cs_node_t *nn = realloc(s->nodes, (s->n_nodes + 1) * sizeof(*nn));
    if (!nn)
        return cs_oom(p);
    s->nodes = nn;
    memset(&nn[s->n_nodes], 0, sizeof(*nn));
    nn[s->n_nodes].kind = kind;
    nn[s->n_nodes].a = nn[s->n_nodes].b = -1;
    return (int)s->n_nodes++;
}

static char *cs_key(cs_parser_t *p)
{
    cs_space(p);
    size_t start = p->pos;
    while (cs_keych(p->s[p->pos]))
        p->pos++;
    if (p->pos == start) {
        cs_fail(p, start, "expected a label key");
        return NULL;
    }
    char *k = strndup(p->s + start, p->pos - start);
    if (!k)
        cs_oom(p);
    return k;
}

static char *cs_string(cs_parser_t *p)
{
    cs_space(p);
    char q = p->s[p->pos];
    if (q != '\'' && q != '"') {
        cs_fail(p, p->pos, "expected a quoted string");
        return NULL;
    }
    size_t start = ++p->pos;
    while (p->s[p->pos] && p->s[p->pos] != q)
        p->pos++;
    if (!p->s[p->pos]) {
        cs_fail(p, start - 1, "unterminated string");
        return NULL;
    }
    char *v = strndup(p->s + start, p->pos - start);
    p->pos++;
    if (!v)
        cs_oom(p);
    return v;
}

static int cs_add_value(cs_parser_t *p, int n, char *v)
{
    cs_node_t *node = &p->sel->nodes[n];
    char **nv = realloc(node->values, (node->n_values + 1) * sizeof(*nv));
    if (!nv) {
        free(v);
        return cs_oom(p);
    }
    node->values = nv;
    node->values[node->n_values++] = v;
    if (++p->sel->n_values + p->sel->n_nodes > CALSEL_MAX_NODES)
        return cs_fail(p, p->pos, "selector too complex (more than %d terms)", CALSEL_MAX_NODES);
    return 0;
}

/* `{ 'a', 'b' }` into node n. */
static int cs_set(cs_parser_t *p, int n)
{
    if (!cs_lit(p, "{"))
        return cs_fail(p, p->pos, "expected '{' and a set of strings");
    if (cs_lit(p, "}"))
        return 0;
    for (;;) {
        char *v = cs_string(p);
        if (!v || cs_add_value(p, n, v) != 0)
            return -1;
        if (cs_lit(p, "}"))
            return 0;
        if (!cs_lit(p, ","))
            return cs_fail(p, p->pos, "expected ',' or '}' in a set");
    }
}

static int cs_or(cs_parser_t *p);

/* `key OP value`, after the key. */
static int cs_comparison(cs_parser_t *p, char *key)
{
    static const struct {
        const char *op;
        cs_kind_t kind;
        bool word;
    } ops[] = {{"==", CS_EQ, false},
               {"!=", CS_NE, false},
               {"in", CS_IN, true},
               {"contains", CS_CONTAINS, true},
               {"starts with", CS_STARTS, true},
               {"ends with", CS_ENDS, true}};
    cs_space(p);
    size_t at = p->pos;
    int n = -1;
    if (cs_word(p, "not")) {
        cs_space(p);
        if (!cs_word(p, "in")) {
            free(key);
            return cs_fail(p, p->pos, "expected 'in' after 'not'");
        }
        n = cs_node(p, CS_NOT_IN);
    } else {
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && n < 0; i++) {
            bool hit = ops[i].word ? cs_word(p, ops[i].op) : cs_lit(p, ops[i].op);
            if (hit)
                n = cs_node(p, ops[i].kind);
            if (p->rc)
                break;
        }
        if (n < 0 && !p->rc) {
            free(key);
            return cs_fail(p, at,
                           "expected an operator (==, !=, in, not in, contains, starts with, ends with)");
        }
    }
    if (n < 0) {
        free(key);
        return -1;
    }
    p->sel->nodes[n].key = key;
    cs_kind_t k = p->sel->nodes[n].kind;
    if (k == CS_IN || k == CS_NOT_IN)
        return cs_set(p, n) == 0 ? n : -1;
    char *v = cs_string(p);
    if (!v || cs_add_value(p, n, v) != 0)
        return -1;
    return n;
}

/* `!x`, `(x)`, all(), global(), has(k), or a comparison. */
static int cs_unary(cs_parser_t *p)
{
    cs_space(p);
    size_t at = p->pos;
    if (p->depth >= CALSEL_MAX_DEPTH)
        return cs_fail(p, at, "nested too deeply (more than %d levels)", CALSEL_MAX_DEPTH);
    if (p->s[p->pos] == '!' && p->s[p->pos + 1] != '=') {
        p->pos++;
        p->depth++;
        int a = cs_unary(p);
        p->depth--;
        if (a < 0)
            return -1;
        int n = cs_node(p, CS_NOT);
        if (n >= 0)
            p->sel->nodes[n].a = a;
        return n;
    }
    if (p->s[p->pos] == '(') {
        p->pos++;
        p->depth++;
        int n = cs_or(p);
        p->depth--;
        if (n < 0)
            return -1;
        if (!cs_lit(p, ")"))
            return cs_fail(p, p->pos, "expected ')' (opened at column %zu)", at + 1);
        return n;
    }
    if (!p->s[p->pos])
        return cs_fail(p, at, "expected a term (all(), has(key), key == 'value', ...) at the end");
    if (!cs_keych(p->s[p->pos]))
        return cs_fail(p, at, "unexpected '%c'", p->s[p->pos]);
    char *key = cs_key(p);
    if (!key)
        return -1;
    size_t after = p->pos;
    cs_space(p);
    bool call = p->s[p->pos] == '(';
    if (call && (strcmp(key, "all") == 0 || strcmp(key, "global") == 0)) {
        cs_kind_t k = key[0] == 'a' ? CS_ALL : CS_GLOBAL;
        free(key);
        p->pos++;
        if (!cs_lit(p, ")"))
            return cs_fail(p, p->pos, "expected ')'");
        return cs_node(p, k);
    }
    if (call && strcmp(key, "has") == 0) {
        free(key);
        p->pos++;
        char *k = cs_key(p);
        if (!k)
            return -1;
        if (!cs_lit(p, ")")) {
            free(k);
            return cs_fail(p, p->pos, "expected ')' after has(KEY");
        }
        int n = cs_node(p, CS_HAS);
        if (n < 0) {
            free(k);
            return -1;
        }
        p->sel->nodes[n].key = k;
        return n;
    }
    if (call) {
        free(key);
        return cs_fail(p, at, "unknown function (all(), global() and has(KEY) are Calico's)");
    }
    p->pos = after;
    return cs_comparison(p, key);
}

static int cs_binary(cs_parser_t *p, const char *op, cs_kind_t kind, int (*next)(cs_parser_t *))
{
    int a = next(p);
    while (a >= 0 && cs_lit(p, op)) {
        int b = next(p);
        if (b < 0)
            return -1;
        int n = cs_node(p, kind);
        if (n < 0)
            return -1;
        p->sel->nodes[n].a = a;
        p->sel->nodes[n].b = b;
        a = n;
    }
    return a;
}

static int cs_and(cs_parser_t *p)
{
    return cs_binary(p, "&&", CS_AND, cs_unary);
}

static int cs_or(cs_parser_t *p)
{
    return cs_binary(p, "||", CS_OR, cs_and);
}

int calsel_parse(const char *text, calsel_t **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t len = strlen(text);
    if (len > CALSEL_MAX_TEXT) {
        snprintf(err, errlen, "column %d: selector longer than %d bytes", CALSEL_MAX_TEXT + 1,
                 CALSEL_MAX_TEXT);
        return -1;
    }
    calsel_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->text = strdup(text))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return -2;
    }
    cs_parser_t p = {.s = s->text, .sel = s, .err = err, .errlen = errlen};
    cs_space(&p);
    if (!p.s[p.pos]) {
        s->root = cs_node(&p, CS_ALL);
    } else {
        s->root = cs_or(&p);
        cs_space(&p);
        if (s->root >= 0 && p.s[p.pos])
            cs_fail(&p, p.pos, "unexpected '%c' (a term ends here: join terms with && or ||)", p.s[p.pos]);
    }
    if (p.rc || s->root < 0) {
        calsel_free(s);
        return p.rc ? p.rc : -1;
    }
    *out = s;
    return 0;
}

static const char *cs_get(const char *key, const labels_t *const *sets, size_t n_sets)
{
    for (size_t i = 0; i < n_sets; i++) {
        const char *v = sets[i] ? labels_get(sets[i], key) : NULL;
        if (v)
            return v;
    }
    return NULL;
}

static bool cs_eval(const calsel_t *s, int i, const labels_t *const *sets, size_t n_sets)
{
    const cs_node_t *n = &s->nodes[i];
    const char *v = n->key ? cs_get(n->key, sets, n_sets) : NULL;
    const char *want = n->n_values ? n->values[0] : "";
    switch (n->kind) {
    case CS_ALL: return true;
    case CS_GLOBAL: return false;
    case CS_HAS: return v != NULL;
    case CS_EQ: return v && strcmp(v, want) == 0;
    case CS_NE: return !v || strcmp(v, want) != 0; /* a missing key is "not equal" */
    case CS_IN:
    case CS_NOT_IN: {
        bool in = false;
        for (size_t k = 0; v && k < n->n_values && !in; k++)
            in = strcmp(v, n->values[k]) == 0;
        return n->kind == CS_IN ? in : !in;
    }
    case CS_CONTAINS: return v && strstr(v, want) != NULL;
    case CS_STARTS: return v && strncmp(v, want, strlen(want)) == 0;
    case CS_ENDS: {
        size_t lv = v ? strlen(v) : 0, lw = strlen(want);
        return v && lv >= lw && strcmp(v + lv - lw, want) == 0;
    }
    case CS_NOT: return !cs_eval(s, n->a, sets, n_sets);
    case CS_AND: return cs_eval(s, n->a, sets, n_sets) && cs_eval(s, n->b, sets, n_sets);
    case CS_OR: return cs_eval(s, n->a, sets, n_sets) || cs_eval(s, n->b, sets, n_sets);
    }
    return false;
}

bool calsel_match(const calsel_t *s, const labels_t *const *sets, size_t n_sets)
{
    return s && cs_eval(s, s->root, sets, n_sets);
}

bool calsel_is_all(const calsel_t *s)
{
    return s && s->nodes[s->root].kind == CS_ALL;
}

const char *calsel_text(const calsel_t *s)
{
    return s ? s->text : "";
}

void calsel_free(calsel_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_nodes; i++) {
        free(s->nodes[i].key);
        for (size_t k = 0; k < s->nodes[i].n_values; k++)
            free(s->nodes[i].values[k]);
        free(s->nodes[i].values);
    }
    free(s->nodes);
    free(s->text);
    free(s);
}
