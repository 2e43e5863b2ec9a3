/* embed.h - folders of text files carried inside the binary (the plugin
 * template that `gateway plugin new` writes out), generated at build time
 * by cmake/embed_files.cmake into the build tree.
 */
#ifndef GW_CLI_EMBED_H
#define GW_CLI_EMBED_H

#include <stddef.h>

typedef struct embed_file {
    const char *path;          /* relative, '/'-separated; NULL ends a table */
    const unsigned char *data; /* its bytes, followed by a NUL */
    size_t len;
} embed_file;

/* sdk/template/, every file of it. */
extern const embed_file embed_plugin_template[];

#endif /* GW_CLI_EMBED_H */
