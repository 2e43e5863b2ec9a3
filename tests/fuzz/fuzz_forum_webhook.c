/* fuzz_forum_webhook.c - libFuzzer target for the forum (Discourse)
 * plugin's webhook (plugins/forum/webhook.c): the
 * X-Discourse-Event-Signature check, the X-Discourse-Event filter and the
 * post body. The input format and the checks are webhook_driver.h's;
 * flag bit 2 signs the body with the webhook secret as Discourse does.
 */
#include "webhook_driver.h"

#define WEBHOOK_SECRET "wh-fuzz-secret"

static void sign(const unsigned char *body, size_t len, char *name, char *value)
{
    webhook_sign_hex(WEBHOOK_SECRET, "x-discourse-event-signature", "sha256=", body, len, name,
                     value);
}

static const char *const secrets[] = {WEBHOOK_SECRET, "key-fuzz-secret", NULL};

const webhook_target WEBHOOK_TARGET = {
    .config = "{\"base_url\":\"https://forum.example/\",\"api_key\":\"key-fuzz-secret\","
              "\"api_username\":\"acme_support\",\"webhook_secret\":\"" WEBHOOK_SECRET "\","
              "\"fetch_posts\":true,\"fetch_mentions\":true,\"fetch_private\":true,"
              "\"max_pages\":5,\"max_requests\":30,\"backfill_pages\":1,\"request_timeout\":0,"
              "\"private_title\":\"A reply from our support team\"}",
    .secrets = secrets,
    .token_query = "",
    .sign = sign,
};
