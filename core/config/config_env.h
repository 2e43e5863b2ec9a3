/* config_env.h - ${NAME} in configuration strings, replaced by the
 * environment variable's value. cfg_expand_env is public through
 * config/config.h; config_env_expand is the validator's variant, which
 * also says what is wrong with a malformed reference.
 */
#ifndef GW_CONFIG_ENV_H
#define GW_CONFIG_ENV_H

#include <stddef.h>

/* Expand ${NAME} from the environment. Returns 0 and sets *out (caller
 * frees) or GW_ENOENT with the unset variable's name copied into missing.
 * "$${" yields a literal "${". */
int cfg_expand_env(const char *in, char **out, char *missing, size_t missing_len);

/* cfg_expand_env that, on GW_EINVAL (a malformed reference), also sets
 * *why (static text, e.g. "the variable name is empty") and *at (the
 * byte offset of the reference's "${" in `in`). */
int config_env_expand(const char *in, char **out, char *missing, size_t missing_len,
                      const char **why, size_t *at);

#endif /* GW_CONFIG_ENV_H */
