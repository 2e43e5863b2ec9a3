/* cli_plugin_new.h - `gateway plugin new NAME [DIR]`: a new network
 * plugin's folder from the template (cli_plugin_new.c).
 */
#ifndef GW_CLI_PLUGIN_NEW_H
#define GW_CLI_PLUGIN_NEW_H

/* Write the template into dir (NULL: ./name) with its name replaced by
 * name. Returns the exit code: 0 written, 1 dir taken or unwritable, 2 a
 * bad name; says why on stderr. */
int cli_plugin_new(const char *name, const char *dir);

#endif /* GW_CLI_PLUGIN_NEW_H */
