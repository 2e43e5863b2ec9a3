/* check_options.c - the options file of `gateway plugin-check`; see
 * check_options.h.
 */
#define _GNU_SOURCE /* realpath's PATH_MAX */
#include "check/check_options.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_table.h"

/* Ownership: returns the file's bytes (caller frees), NUL-terminated, or
 * NULL with errs told why. */
static char *read_text(const char *path, size_t *len, cfg_errors *errs)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cfg_errors_add(errs, "%s: cannot read the options file: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (used + 4096 + 1 > cap) {
            char *grown = realloc(text, cap = used + 4096 + 1);
            if (grown == NULL) {
                free(text);
                fclose(f);
                cfg_errors_add(errs, "%s: out of memory", path);
                return NULL;
            }
            text = grown;
        }
        size_t n = fread(text + used, 1, 4096, f);
        used += n;
        if (n < 4096)
            break;
    }
    fclose(f);
    text[used] = '\0';
    *len = used;
    return text;
}

/* The plugin's own rules (ABI 1.2 validate), as check-config applies them. */
static int plugin_validate(const char *path, const gw_plugin *desc, const json_t *opts,
                           cfg_errors *errs)
{
    if (desc->validate == NULL)
        return GW_OK;
    const char *key = NULL;
    char why[512] = "";
    int rc = desc->validate(opts, &key, why, sizeof why);
    if (rc == GW_OK)
        return GW_OK;
    why[sizeof why - 1] = '\0';
    cfg_errors_add(errs, "%s: options%s%s: %s", path, key ? "." : "", key ? key : "",
                   why[0] ? why : gw_strerror(rc));
    return rc;
}

static int collect_secrets(const gw_plugin *desc, const json_t *opts, check_report *rep)
{
    for (const gw_option *o = desc->options; o != NULL && o->name != NULL; o++) {
        if (!(o->flags & GW_OPTF_SECRET))
            continue;
        const json_t *v = json_object_get(opts, o->name);
        if (json_is_string(v) && check_report_add_secret(rep, o->name, json_string_value(v)) < 0)
            return GW_ENOMEM;
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            if (check_report_add_secret(rep, o->name, json_string_value(item)) < 0)
                return GW_ENOMEM;
        }
    }
    return GW_OK;
}

int check_options_load(const char *path, const gw_plugin *desc, check_report *rep, json_t **out,
                       cfg_errors *errs)
{
    const cfg_schema schema = {{desc->options, NULL}, NULL, 1};
    toml_value *doc = NULL;
    char *text = NULL;
    char dir[PATH_MAX] = "/";
    int rc;

    *out = NULL;
    if (path != NULL) {
        size_t len = 0;
        if ((text = read_text(path, &len, errs)) == NULL)
            return GW_EIO;
        toml_error terr;
        rc = toml_parse(text, len, &doc, &terr);
        if (rc != GW_OK) {
            cfg_errors_add_parse(errs, path, text, len, &terr);
            free(text);
            return rc;
        }
        char full[PATH_MAX];
        if (realpath(path, full) != NULL)
            snprintf(dir, sizeof dir, "%s", dirname(full));
    }
    cfg_ctx c = {path ? path : "(no options file)", dir, errs, NULL, 0, 0};
    rc = config_table_validate(&c, &schema, doc, 0, 0, "options", out);
    cfg_ctx_flush(&c);
    if (rc == GW_OK)
        rc = plugin_validate(c.file, desc, *out, errs);
    if (rc == GW_OK)
        rc = collect_secrets(desc, *out, rep);
    if (rc != GW_OK) {
        json_decref(*out);
        *out = NULL;
    }
    toml_free(doc);
    free(text);
    return rc;
}
