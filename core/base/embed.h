/* embed.h - folders of text files carried inside the binary, so an
 * installed gateway needs no data directory: the plugin template that
 * `gateway plugin new` writes out (cli/) and the shipped triage lexicons
 * (triage/). cmake/embed_files.cmake generates each table into the build
 * tree (core/CMakeLists.txt).
 */
#ifndef GW_BASE_EMBED_H
#define GW_BASE_EMBED_H

#include <stddef.h>

typedef struct embed_file {
    const char *path;          /* relative, '/'-separated; NULL ends a table */
    const unsigned char *data; /* its bytes, followed by a NUL (text files can
                                  be read as C strings) */
    size_t len;
} embed_file;

/* sdk/template/, every file of it. */
extern const embed_file embed_plugin_template[];

/* data/triage/en/, every .txt file of it, by name ("purchase.txt"). */
extern const embed_file embed_triage_lexicons[];

#endif /* GW_BASE_EMBED_H */
