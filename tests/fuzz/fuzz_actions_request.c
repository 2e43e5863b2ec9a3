/* fuzz_actions_request.c - libFuzzer target for the action API's request
 * reader (core/api/actions_request.c): the body of POST /v1/actions, or of
 * a request over NATS, with an Idempotency-Key given beside it.
 *
 * The first byte picks the key: 0 none, otherwise the bytes of the input
 * up to the first '\n' after it (when there is one) are the key, the rest
 * the body. Beyond "does not crash", every input checks what the outbox
 * is promised: an accepted request has network and account of 1 to 128
 * bytes, a kind, a text without NUL, a key of 1 to OUTBOX_KEY_MAX bytes
 * (equal to the one beside the body, when one was given), in_reply_to for
 * a reply and no "to", and for a private message a recipient or an event;
 * a refused one has invalid_json or invalid_request, a reason, and no
 * body to release.
 *
 * Built with -DGW_FUZZ_REPLAY (no libFuzzer, any compiler) it gets a main
 * that replays every file named or found under the directories given
 * (tests/fuzz/corpus/fuzz_actions_request/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/actions_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_string(const char *s, size_t min, size_t max)
{
    check(s != NULL && strlen(s) >= min && strlen(s) <= max);
}

static void check_accepted(const outbox_request *req, const char *key)
{
    check_string(req->network, 1, 128);
    check_string(req->account, 1, 128);
    check(req->text != NULL);
    check_string(req->idempotency_key, 1, OUTBOX_KEY_MAX);
    if (key != NULL)
        check(strcmp(req->idempotency_key, key) == 0);
    check(req->force == 0 || req->force == 1);
    if (req->in_reply_to != NULL)
        check_string(req->in_reply_to, 1, 512);
    if (req->to != NULL)
        check_string(req->to, 1, 512);
    if (req->kind == OUTBOX_REPLY)
        check(req->in_reply_to != NULL && req->to == NULL);
    else
        check(req->kind == OUTBOX_PRIVATE && (req->in_reply_to != NULL || req->to != NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *key = NULL;
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    const uint8_t *nl = data[0] != 0 ? memchr(body, '\n', len) : NULL;
    if (nl != NULL) {
        size_t klen = (size_t)(nl - body);
        key = malloc(klen + 1);
        check(key != NULL);
        memcpy(key, body, klen);
        key[klen] = '\0';
        len -= klen + 1;
        body = nl + 1;
    }
    /* The body alone in a buffer of its length, so reading past it shows. */
    unsigned char *copy = malloc(len > 0 ? len : 1);
    check(copy != NULL);
    memcpy(copy, body, len);

    json_t *doc = (json_t *)1;
    outbox_request req;
    const char *code = NULL;
    char why[320];
    memset(why, 'x', sizeof why);
    int rc = actions_request_parse(copy, len, key, &doc, &req, &code, why, sizeof why);
    if (rc == 0) {
        check(json_is_object(doc));
        /* An empty key beside the body cannot name an action. */
        check_accepted(&req, key != NULL && key[0] != '\0' ? key : NULL);
        json_decref(doc);
    } else {
        check(rc == 1 && doc == NULL && memchr(why, '\0', sizeof why) != NULL && why[0] != '\0');
        check(strcmp(code, "invalid_json") == 0 || strcmp(code, "invalid_request") == 0);
    }
    free(copy);
    free(key);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_main(argc, argv);
}
#endif
