/* output.h: where a report goes: stdout, or a file replaced atomically (a temporary file in
 * the same folder, then rename), so a reader (a sidecar scrape, kubectl cp) never sees half. */
#ifndef ZT_OUTPUT_H
#define ZT_OUTPUT_H

#include <stddef.h>

/* Writes data to path atomically (mode 0644): a temporary file beside it, fsync, rename, then
 * an fsync of the folder. SIGTERM, SIGINT and SIGHUP are held back meanwhile, so no temporary
 * file is left behind by a signal. Returns 0, or -1 with "path: reason" in err. */
int output_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* Writes all of data to stdout. Returns 0 or -1 (errno). */
int output_stdout(const char *data, size_t len);

#endif
