/* loader.h - finding, loading and vetting network plugins.
 *
 * Every *.so in the plugin directory is opened RTLD_NOW|RTLD_LOCAL and its
 * descriptor checked before anything else touches it. A plugin that fails
 * a check is kept in the list as "refused" with a one-line reason naming
 * the file, so `gateway plugins` can show it and `gateway run` can go on
 * with the others: one bad plugin never takes the gateway down.
 *
 * The host copies each accepted descriptor into its own gw_plugin sized
 * for this build, zero-filling what an older plugin's struct does not
 * cover, so the rest of the core never reads past a plugin's struct.
 */
#ifndef GW_LOADER_H
#define GW_LOADER_H

#include <stddef.h>

#include "gateway/plugin.h"

typedef struct loaded_plugin {
    char *path;         /* owned: the file */
    void *handle;       /* dlopen handle, NULL when refused */
    gw_plugin desc;     /* host-sized copy of the descriptor (when loaded) */
    char *refusal;      /* owned: why it was refused, NULL when accepted */
} loaded_plugin;

typedef struct plugin_set {
    loaded_plugin *items; /* owned, sorted by file name */
    size_t count;
} plugin_set;

/* Load and vet one file, appending it to set (accepted or refused).
 * Returns 0 when accepted, a negative GW_E* code when refused (the reason
 * is then in the appended entry's refusal), GW_ENOMEM on allocation
 * failure (nothing appended). */
int loader_load_file(plugin_set *set, const char *path);

/* Load every *.so in dir, in name order. Returns 0, or GW_ENOENT/GW_EIO
 * when the directory cannot be read (err says why). Individual refusals
 * are not errors. */
int loader_scan_dir(plugin_set *set, const char *dir, char *err, size_t errlen);

/* The accepted plugin serving a network, or NULL. Borrowed from set. */
const loaded_plugin *loader_find(const plugin_set *set, const char *network);

/* "fetch,post-public,send-private,webhook" for capability bits (buf
 * receives it; returns buf). */
const char *loader_capability_names(uint32_t caps, char *buf, size_t buflen);

/* Unload the accepted plugins no account uses (used(arg, network) returns
 * 0), removing them from set: `gateway run` keeps mapped only what runs
 * (each plugin's libraries, static data and relocations cost resident
 * memory). Refused entries stay, to be reported. Call before any
 * instance exists; descriptors of removed entries are gone with them. */
void loader_release_unused(plugin_set *set, int (*used)(void *arg, const char *network),
                           void *arg);

/* dlclose everything and free the set. Call only after every instance of
 * every plugin has been destroyed. */
void loader_unload(plugin_set *set);

#endif /* GW_LOADER_H */
