/* fileio.h: the one way ztprobe reads a file it is given (config, labels file, password file,
 * merge input): a regular file once links are followed, read whole up to a cap, never hanging
 * on a FIFO or a device. */
#ifndef ZT_FILEIO_H
#define ZT_FILEIO_H

#include <stddef.h>

#include "status.h"

/* fileio_* and every loader built on them (config_load_file, labels_load_file, report files in
 * merge) return ZT_OK, ZT_ERR_INPUT (err says why, starting with the path) or ZT_ERR_NOMEM
 * (status.h). */

/* Reads the file at path whole. It is opened O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_NOCTTY and
 * links are followed (Kubernetes mounts ConfigMaps and Secrets as symlinks), then anything
 * but a regular file (FIFO, socket, device, folder) is refused. A file larger than max bytes
 * is refused, from its size or, when it grows while read, from what was read. On ZT_OK *buf
 * is malloc'd and NUL-terminated, *len its length; the caller frees it (after explicit_bzero
 * when it held a secret: a buffer outgrown while reading is wiped before it is freed). On an
 * error *buf is NULL and err holds "PATH: reason" (never any of the file's content). */
zt_status_t fileio_read_capped(const char *path, size_t max, char **buf, size_t *len, char *err,
                               size_t errlen);

/* The same for an already open descriptor of any type (stdin given as "-"); name is used in
 * messages. The descriptor is not closed. */
zt_status_t fileio_read_fd_capped(int fd, const char *name, size_t max, char **buf, size_t *len, char *err,
                                  size_t errlen);

/* The reader of the config and of Kubernetes objects, which may come on a pipe (`-c -`,
 * `-c /dev/stdin`, `-c <(...)`, `kubectl exec -i`). path "-" is stdin. A regular file is read
 * as fileio_read_capped does; a pipe or FIFO (and, for "-", a socket) is read up to max bytes
 * and under two deadlines: 10 s without data or end of input, 60 s in all, so a FIFO whose
 * writer stays silent ends in an error naming the file instead of a hang. A device (a
 * terminal, /dev/zero) or a folder is refused at once. Stdin is read once: a second "-"
 * fails, unless fileio_stdin_split was called. Stdin is read to its end, whatever lines it
 * holds, unless fileio_set_stdin_end was called. Same return convention. */
zt_status_t fileio_read_stream_capped(const char *path, size_t max, char **buf, size_t *len, char *err,
                                      size_t errlen);

/* Makes "-" one stream for two readers (`-c - --policies -`): the first read of "-" takes stdin
 * whole (at most max bytes) and returns its first YAML document (the config; JSON is one),
 * the second read returns the documents after it. */
void fileio_stdin_split(size_t max);

/* `--stdin-end TOKEN`: stdin, which may never close (`kubectl debug -i`), must end with the
 * line "# ztprobe end of input TOKEN"; a stream still open 100 ms after that line ends there.
 * Input without the line, or with anything but blanks after it, is refused. TOKEN is 16..64
 * letters and digits (the plugin's random one). Returns 0, or -1 for a malformed TOKEN. */
int fileio_set_stdin_end(const char *token);

/* The two deadlines of fileio_read_stream_capped, in ms (tests shorten them). */
void fileio_set_deadlines(int idle_ms, int total_ms);

#endif
