/* replay.c - reading inputs for the non-libFuzzer builds; see replay.h. */
#include "replay.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int fuzz_replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            char *bigger = realloc(buf, cap);
            if (bigger == NULL)
                abort();
            buf = bigger;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0)
            break;
        len += got;
    }
    fclose(f);
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    free(buf);
    return 0;
}

int fuzz_replay_path(const char *path, int *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return fuzz_replay_file(path);
    }
    DIR *dir = opendir(path);
    if (dir == NULL) {
        perror(path);
        return 1;
    }
    int failures = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (child == NULL)
            abort();
        snprintf(child, n, "%s/%s", path, e->d_name);
        failures += fuzz_replay_path(child, count);
        free(child);
    }
    closedir(dir);
    return failures;
}

int fuzz_replay_main(int argc, char **argv)
{
    int failures = 0, count = 0;

    for (int i = 1; i < argc; i++)
        failures += fuzz_replay_path(argv[i], &count);
    printf("replayed %d inputs\n", count);
    return failures || count == 0;
}
