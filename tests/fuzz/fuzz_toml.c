/* fuzz_toml.c - libFuzzer target for the TOML parser.
 *
 * Beyond "does not crash", every input checks the promises callers rely
 * on: a failure is GW_EPARSE with a position inside the document and a
 * message (and, inside a value, a key path and the value's position); a
 * success is a tree whose positions lie inside the document, whose
 * strings are NUL-terminated, whose nesting is bounded and whose keys
 * toml_table_find finds again. A broken promise aborts.
 *
 * Built with -DGW_FUZZ_REPLAY (no libFuzzer, any compiler) it gets a main
 * that runs the same checks once over every file named or found under the
 * directories given, so ordinary ctest runs replay the seeds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "config/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_position(int line, int column, int lines)
{
    check(line >= 1 && line <= lines && column >= 1);
}

static void check_value(const toml_value *v, int depth, int lines)
{
    check(depth <= 300);
    check_position(v->line, v->column, lines);
    switch (v->type) {
    case TOML_STRING:
        check(v->u.string.ptr && v->u.string.ptr[v->u.string.len] == '\0');
        break;
    case TOML_BOOL:
        check(v->u.boolean == 0 || v->u.boolean == 1);
        break;
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL: {
        const toml_datetime *dt = &v->u.datetime;
        check(dt->hour >= 0 && dt->hour <= 23 && dt->minute >= 0 && dt->minute <= 59);
        check(dt->second >= 0 && dt->second <= 60);
        check(dt->nanosecond >= 0 && dt->nanosecond <= 999999999);
        if (v->type != TOML_TIME_LOCAL)
            check(dt->month >= 1 && dt->month <= 12 && dt->day >= 1 && dt->day <= 31);
        check(dt->offset_minutes > -24 * 60 && dt->offset_minutes < 24 * 60);
        break;
    }
    case TOML_ARRAY:
        check(v->u.array.len == 0 || v->u.array.items);
        for (size_t i = 0; i < v->u.array.len; i++)
            check_value(v->u.array.items[i], depth + 1, lines);
        break;
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.table.len; i++) {
            const toml_keyval *kv = &v->u.table.items[i];
            check(kv->key && kv->key[kv->key_len] == '\0');
            check_position(kv->line, kv->column, lines);
            if (strlen(kv->key) == kv->key_len)
                check(toml_table_find(v, kv->key) == kv);
            check_value(kv->value, depth + 1, lines);
        }
        break;
    case TOML_INTEGER:
    case TOML_FLOAT:
        break;
    default:
        check(0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    toml_value *doc = NULL;
    toml_error err;
    int lines = 1;

    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    int rc = toml_parse((const char *)data, size, &doc, &err);
    check(memchr(err.message, '\0', sizeof(err.message)) != NULL);
    check(memchr(err.key, '\0', sizeof(err.key)) != NULL);
    if (rc == 0) {
        check(doc && doc->type == TOML_TABLE);
        check_value(doc, 0, lines);
    } else {
        check(rc == GW_EPARSE && doc == NULL && err.message[0]);
        check_position(err.line, err.column, lines);
        /* An error inside a value: where that value starts. */
        if (err.key[0]) {
            check_position(err.value_line, err.value_column, lines);
            check(err.value_offset <= size);
        }
    }
    toml_free(doc);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_main(argc, argv);
}
#endif
