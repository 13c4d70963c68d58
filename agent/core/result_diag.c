/* result_diag.c: appending a report-wide diagnosis, for the judge and for the kinds. */
#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void result_diag_add(report_t *r, const char *code, const char *fmt, ...)
{
    if (r->n_diags >= DIAG_MAX)
        return;
    diagnosis_t *d = &r->diags[r->n_diags++];
    memset(d, 0, sizeof(*d));
    snprintf(d->code, sizeof(d->code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof(d->message), fmt, ap);
    va_end(ap);
}
