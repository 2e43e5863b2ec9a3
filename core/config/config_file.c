/* config_file.c - reading gateway.toml and resolving the paths in it:
 * relative paths are relative to the file's own directory, so the gateway
 * behaves the same from any working directory. Owns nothing past a call;
 * what it returns belongs to the caller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_file.h"
#include "gateway/error.h"

/* A file larger than this is surely not a configuration file. */
#define CONFIG_MAX_FILE_SIZE (16L * 1024 * 1024)

int config_file_read(const char *path, char **text, size_t *len, cfg_errors *errs)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    int rc = GW_EIO;

    if (!f) {
        cfg_errors_add(errs, "%s: cannot open the configuration file: %s", path, strerror(errno));
        return GW_EIO;
    }
    /* A directory opens for reading on Linux and "seeks" to an absurd
     * size; say what it is instead. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        cfg_errors_add(errs, "%s: is a directory, not a configuration file", path);
        goto fail;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        cfg_errors_add(errs, "%s: cannot read the configuration file: %s", path, strerror(errno));
        goto fail;
    }
    if (size > CONFIG_MAX_FILE_SIZE) {
        cfg_errors_add(errs, "%s: expected a configuration file of at most 16MB, found %ld bytes",
                       path, size);
        goto fail;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        cfg_errors_add(errs, "%s: out of memory while reading the configuration", path);
        rc = GW_ENOMEM;
        goto fail;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        cfg_errors_add(errs, "%s: cannot read the configuration file: %s", path,
                       ferror(f) ? strerror(errno) : "it changed while being read");
        goto fail;
    }
    buf[size] = '\0';
    fclose(f);
    *text = buf;
    *len = (size_t)size;
    return 0;
fail:
    free(buf);
    fclose(f);
    return rc;
}

char *config_file_absolute_dir(const char *dir)
{
    char *real, *cwd = NULL, *out = NULL;

    if (!dir || !*dir)
        dir = ".";
    real = realpath(dir, NULL);
    if (real)
        return real;
    /* The directory may not exist (config_load_string in tests); make
     * it absolute without touching the file system. */
    if (dir[0] == '/')
        return strdup(dir);
    cwd = getcwd(NULL, 0);
    if (cwd)
        out = config_file_resolve(cwd, dir);
    free(cwd);
    return out;
}

char *config_file_resolve(const char *dir, const char *p)
{
    size_t dl;
    char *out;

    /* "" stays "": for an optional path it means "none". */
    if (p[0] == '\0' || p[0] == '/')
        return strdup(p);
    while (p[0] == '.' && p[1] == '/') {
        p += 2;
        while (*p == '/')
            p++;
    }
    if (strcmp(p, ".") == 0 || *p == '\0')
        return strdup(dir);
    dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    out = malloc(dl + 1 + strlen(p) + 1);
    if (!out)
        return NULL;
    memcpy(out, dir, dl);
    out[dl] = '\0';
    if (dl == 0 || dir[dl - 1] != '/')
        strcat(out, "/");
    strcat(out, p);
    return out;
}
