/* fuzz_labels.c: libFuzzer target for the Downward API labels-file parser, plus the
 * functions role selection calls on what it returns (lookup, matching, formatting). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], buf[1024];
    labels_t l;
    char *text = malloc(size ? size : 1); /* exact size: no terminator, over-reads show */
    if (!text)
        return 0;
    memcpy(text, data, size);
    err[0] = '\0';
    if (labels_parse(text, size, &l, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < l.n; i++) {
            /* Keys are unique: the lookup finds this very value. */
            if (labels_get(&l, l.items[i].key) != l.items[i].value)
                abort();
        }
        if (!labels_match(&l, &l))
            abort(); /* a label set always matches itself */
        labels_format(&l, buf, sizeof(buf));
        if (strlen(buf) >= sizeof(buf))
            abort();
        labels_format(&l, buf, 8); /* truncation path */
        labels_t copy = {NULL, 0, false};
        for (size_t i = 0; i < l.n; i++)
            if (labels_add(&copy, l.items[i].key, l.items[i].value) != 0)
                break;
        if (copy.n == l.n && !labels_match(&copy, &l))
            abort();
        labels_free(&copy);
        labels_free(&l);
    } else if (l.n != 0 || l.items != NULL || err[0] == '\0') {
        abort(); /* a failure leaves the set empty and says why */
    }
    free(text);
    return 0;
}
