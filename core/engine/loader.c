/* loader.c - dlopen and vetting of plugins; see loader.h. */
#define _GNU_SOURCE /* asprintf */
#include "engine/loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

/* The smallest descriptor that still tells us its ABI. */
#define DESC_MIN_SIZE (offsetof(gw_plugin, abi_minor) + sizeof(uint16_t))

/* Size a 1.0 descriptor must have: every member through webhook. */
#define DESC_V1_0_SIZE (offsetof(gw_plugin, webhook) + sizeof(void (*)(void)))

static char *dup_printf(const char *fmt, ...) GW_PRINTF(1, 2);

/* Ownership: returns a malloc'd string (caller frees) or NULL. */
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

static int has_elf_magic(const char *path)
{
    unsigned char magic[4] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, magic, sizeof magic);
    close(fd);
    return n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

static int valid_network_name(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > 32)
        return 0;
    for (const char *p = name; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    }
    return 1;
}

/* A plugin's declared defaults must pass their own rules, or every account
 * of that network would fail in a confusing way later; the config layer
 * judges them exactly as it judges a user's values. Returns NULL when
 * sound, else a malloc'd reason (caller frees). */
static char *check_options(const gw_option *opts)
{
    cfg_errors errs = {0};
    char *why = NULL;
    int rc = config_check_declaration(opts, "option", &errs);
    if (rc == GW_ENOMEM)
        why = dup_printf("out of memory checking the declared options");
    else if (rc != GW_OK)
        why = dup_printf("%s%s", errs.count ? errs.lines[0] : "invalid option declaration",
                         errs.count > 1 ? " (and more)" : "");
    cfg_errors_free(&errs);
    return why;
}

/* Checks a descriptor; returns NULL when acceptable or a malloc'd reason. */
static char *vet_descriptor(const gw_plugin *d)
{
    if (d->struct_size < DESC_MIN_SIZE)
        return dup_printf("descriptor is %zu bytes, too small to hold an ABI version",
                          d->struct_size);
    if (d->abi_major != GW_ABI_MAJOR)
        return dup_printf("ABI major %u differs from the host's %u (rebuild the plugin against "
                          "ABI %d.x)",
                          d->abi_major, GW_ABI_MAJOR, GW_ABI_MAJOR);
    if (d->abi_minor > GW_ABI_MINOR)
        return dup_printf("ABI %u.%u is newer than the host's %d.%d (upgrade the gateway)",
                          d->abi_major, d->abi_minor, GW_ABI_MAJOR, GW_ABI_MINOR);
    if (d->struct_size < DESC_V1_0_SIZE)
        return dup_printf("descriptor is %zu bytes, ABI 1.0 needs at least %zu", d->struct_size,
                          (size_t)DESC_V1_0_SIZE);
    if (!valid_network_name(d->name))
        return dup_printf("network name is missing or not [a-z0-9_-]{1,32}");
    if (d->version == NULL || d->version[0] == '\0')
        return dup_printf("plugin \"%s\" declares no version", d->name);
    uint32_t known = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK;
    if (d->capabilities & ~known)
        return dup_printf("unknown capability bits 0x%x", d->capabilities & ~known);
    if (d->create == NULL || d->destroy == NULL)
        return dup_printf("required hook %s is missing", d->create == NULL ? "create" : "destroy");
    static const struct {
        uint32_t cap;
        const char *cap_name;
        const char *hook;
        size_t offset;
    } needs[] = {
        {GW_CAP_FETCH, "fetch", "fetch", offsetof(gw_plugin, fetch)},
        {GW_CAP_POST_PUBLIC, "post-public", "post_public", offsetof(gw_plugin, post_public)},
        {GW_CAP_SEND_PRIVATE, "send-private", "send_private", offsetof(gw_plugin, send_private)},
        {GW_CAP_WEBHOOK, "webhook", "webhook", offsetof(gw_plugin, webhook)},
    };
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++) {
        void *hook;
        memcpy(&hook, (const char *)d + needs[i].offset, sizeof hook);
        if ((d->capabilities & needs[i].cap) && hook == NULL)
            return dup_printf("claims the %s capability but its %s hook is missing",
                              needs[i].cap_name, needs[i].hook);
    }
    return check_options(d->options);
}

static loaded_plugin *append_entry(plugin_set *set, const char *path)
{
    loaded_plugin *items = realloc(set->items, (set->count + 1) * sizeof *items);
    if (items == NULL)
        return NULL;
    set->items = items;
    loaded_plugin *lp = &items[set->count];
    memset(lp, 0, sizeof *lp);
    lp->path = strdup(path);
    if (lp->path == NULL)
        return NULL;
    set->count++;
    return lp;
}

int loader_load_file(plugin_set *set, const char *path)
{
    loaded_plugin *lp = append_entry(set, path);
    if (lp == NULL)
        return GW_ENOMEM;
    int rc = GW_EINVAL;

    if (access(path, F_OK) != 0) {
        lp->refusal = dup_printf("%s: no such file", path);
        rc = GW_ENOENT;
        goto refuse;
    }
    if (!has_elf_magic(path)) {
        lp->refusal = dup_printf("%s: not a shared object (no ELF header)", path);
        goto refuse;
    }
    dlerror();
    lp->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lp->handle == NULL) {
        const char *why = dlerror();
        lp->refusal = dup_printf("%s: cannot be loaded: %s", path, why ? why : "unknown error");
        goto refuse;
    }
    void *sym = dlsym(lp->handle, GW_PLUGIN_ENTRY_SYMBOL);
    if (sym == NULL) {
        lp->refusal = dup_printf("%s: no entry symbol %s (is it exported with "
                                 "GW_PLUGIN_EXPORT?)",
                                 path, GW_PLUGIN_ENTRY_SYMBOL);
        goto refuse;
    }
    gw_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry); /* object-to-function pointer, as POSIX allows */
    const gw_plugin *d = entry();
    if (d == NULL) {
        lp->refusal = dup_printf("%s: %s returned no descriptor", path, GW_PLUGIN_ENTRY_SYMBOL);
        goto refuse;
    }
    char *why = vet_descriptor(d);
    if (why != NULL) {
        lp->refusal = dup_printf("%s: %s", path, why);
        free(why);
        rc = GW_EABI;
        goto refuse;
    }
    const loaded_plugin *twin = loader_find(set, d->name);
    if (twin != NULL) {
        lp->refusal = dup_printf("%s: network \"%s\" is already provided by %s", path, d->name,
                                 twin->path);
        rc = GW_EEXIST;
        goto refuse;
    }
    size_t n = d->struct_size < sizeof lp->desc ? d->struct_size : sizeof lp->desc;
    memcpy(&lp->desc, d, n);
    return GW_OK;

refuse:
    if (lp->refusal == NULL)
        rc = GW_ENOMEM;
    if (lp->handle != NULL) {
        dlclose(lp->handle);
        lp->handle = NULL;
    }
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int loader_scan_dir(plugin_set *set, const char *dir, char *err, size_t errlen)
{
    DIR *dp = opendir(dir);
    if (dp == NULL) {
        snprintf(err, errlen, "%s: cannot read plugin directory: %s", dir, strerror(errno));
        return errno == ENOENT ? GW_ENOENT : GW_EIO;
    }
    char **names = NULL;
    size_t count = 0;
    int rc = GW_OK;
    struct dirent *de;
    while ((de = readdir(dp)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
            continue;
        char **grown = realloc(names, (count + 1) * sizeof *names);
        if (grown == NULL || (grown[count] = strdup(de->d_name)) == NULL) {
            names = grown ? grown : names;
            rc = GW_ENOMEM;
            break;
        }
        names = grown;
        count++;
    }
    closedir(dp);
    if (rc == GW_OK)
        qsort(names, count, sizeof *names, name_cmp);
    for (size_t i = 0; i < count; i++) {
        if (rc == GW_OK) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (loader_load_file(set, path) == GW_ENOMEM)
                rc = GW_ENOMEM;
        }
        free(names[i]);
    }
    free(names);
    if (rc != GW_OK)
        snprintf(err, errlen, "%s: out of memory while loading plugins", dir);
    return rc;
}

const loaded_plugin *loader_find(const plugin_set *set, const char *network)
{
    for (size_t i = 0; i < set->count; i++) {
        const loaded_plugin *lp = &set->items[i];
        /* desc.name is NULL while an entry is still being vetted. */
        if (lp->refusal == NULL && lp->handle != NULL && lp->desc.name != NULL &&
            strcmp(lp->desc.name, network) == 0)
            return lp;
    }
    return NULL;
}

const char *loader_capability_names(uint32_t caps, char *buf, size_t buflen)
{
    static const char *const names[] = {"fetch", "post-public", "send-private", "webhook"};
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < 4; i++) {
        if (!(caps & (1u << i)))
            continue;
        int n = snprintf(buf + used, buflen - used, "%s%s", used ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= buflen - used)
            break;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(buf, buflen, "none");
    return buf;
}

void loader_release_unused(plugin_set *set, int (*used)(void *arg, const char *network),
                           void *arg)
{
    size_t kept = 0;
    for (size_t i = 0; i < set->count; i++) {
        loaded_plugin *lp = &set->items[i];
        if (lp->refusal == NULL && !used(arg, lp->desc.name)) {
            dlclose(lp->handle);
            free(lp->path);
            continue;
        }
        set->items[kept++] = *lp;
    }
    set->count = kept;
}

void loader_unload(plugin_set *set)
{
    for (size_t i = 0; i < set->count; i++) {
        if (set->items[i].handle != NULL)
            dlclose(set->items[i].handle);
        free(set->items[i].path);
        free(set->items[i].refusal);
    }
    free(set->items);
    set->items = NULL;
    set->count = 0;
}
