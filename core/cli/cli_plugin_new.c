/* cli_plugin_new.c - `gateway plugin new NAME [DIR]`: write the plugin
 * template (sdk/template/, carried in the binary; see base/embed.h) into
 * DIR with "skeleton" replaced by NAME, so a platform team starts from a
 * plugin that builds against the installed SDK, runs against its own fake
 * network and passes `gateway plugin-check`.
 *
 * It never overwrites: DIR must not exist, or be an empty folder.
 */
#include "cli/cli_plugin_new.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/embed.h"

#define NAME_MAX_LEN 32
#define TEMPLATE_NAME "skeleton"

/* A network name as the loader takes it and a C identifier: the plugin's
 * functions are named after it. */
static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN || name[0] < 'a' || name[0] > 'z')
        return 0;
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* 1 when dir does not exist or is an empty folder. */
static int dir_free(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT;
    int empty = 1;
    struct dirent *e;
    while (empty && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    }
    closedir(d);
    return empty;
}

/* mkdir -p of path's parent folders (path itself is a file). */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* The three spellings of a name: as is, Capitalised, UPPER. */
typedef struct spellings {
    char lower[NAME_MAX_LEN + 1], capital[NAME_MAX_LEN + 1], upper[NAME_MAX_LEN + 1];
} spellings;

static void spell(const char *name, spellings *s)
{
    size_t n = strlen(name);
    for (size_t i = 0; i <= n; i++) {
        char c = name[i];
        s->lower[i] = c;
        s->upper[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        s->capital[i] = i == 0 ? s->upper[i] : c;
    }
}

/* Write len bytes of text to f with every spelling of the template's name
 * replaced by the new one's. */
static int write_renamed(FILE *f, const char *text, size_t len, const spellings *from,
                         const spellings *to)
{
    size_t n = strlen(from->lower);
    for (size_t i = 0; i < len;) {
        const char *rep = NULL;
        if (i + n <= len) {
            if (memcmp(text + i, from->lower, n) == 0)
                rep = to->lower;
            else if (memcmp(text + i, from->capital, n) == 0)
                rep = to->capital;
            else if (memcmp(text + i, from->upper, n) == 0)
                rep = to->upper;
        }
        if (rep != NULL) {
            fputs(rep, f);
            i += n;
        } else {
            fputc(text[i], f);
            i++;
        }
    }
    return ferror(f) ? -1 : 0;
}

int cli_plugin_new(const char *name, const char *dir)
{
    if (!name_ok(name)) {
        fprintf(stderr,
                "gateway plugin new: \"%s\" is not a network name: use 1-%d characters of a-z, "
                "0-9 and '_', starting with a letter (it names the .so and the C functions)\n",
                name, NAME_MAX_LEN);
        return 2;
    }
    if (dir == NULL)
        dir = name;
    if (!dir_free(dir)) {
        fprintf(stderr,
                "gateway plugin new: %s already exists and is not an empty folder; give another "
                "DIR (nothing was written)\n",
                dir);
        return 1;
    }
    spellings from, to;
    spell(TEMPLATE_NAME, &from);
    spell(name, &to);
    for (const embed_file *e = embed_plugin_template; e->path != NULL; e++) {
        /* Paths are renamed too: src/skeleton.c -> src/NAME.c. */
        char rel[512], path[4096];
        FILE *m = fmemopen(rel, sizeof rel, "w");
        if (m == NULL || write_renamed(m, e->path, strlen(e->path), &from, &to) != 0 ||
            fputc('\0', m) == EOF || fclose(m) != 0) {
            fprintf(stderr, "gateway plugin new: path too long: %s\n", e->path);
            return 1;
        }
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path) {
            fprintf(stderr, "gateway plugin new: path too long: %s/%s\n", dir, rel);
            return 1;
        }
        FILE *f = NULL;
        if (make_parents(path) != 0 || (f = fopen(path, "wx")) == NULL ||
            write_renamed(f, (const char *)e->data, e->len, &from, &to) != 0) {
            fprintf(stderr, "gateway plugin new: cannot write %s: %s\n", path, strerror(errno));
            if (f != NULL)
                fclose(f);
            return 1;
        }
        if (fclose(f) != 0) {
            fprintf(stderr, "gateway plugin new: cannot write %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    printf("created %s/: the %s plugin (src/%s.c), its fake network and its test\n"
           "next:\n"
           "  cd %s\n"
           "  cmake -S . -B build && cmake --build build\n"
           "  ctest --test-dir build --output-on-failure\n"
           "then replace the fake network's API with your network's (docs: plugin-guide.md)\n",
           dir, name, name, dir);
    return 0;
}
