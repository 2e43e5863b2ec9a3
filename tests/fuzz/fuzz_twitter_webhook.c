/* fuzz_twitter_webhook.c - libFuzzer target for the X plugin's webhook
 * (plugins/twitter/webhook.c): the CRC check (GET ?crc_token=), the
 * x-twitter-webhooks-signature check and the Account Activity body, on
 * requests as anyone reaching the webhook URL could send them. The
 * input format and the checks are webhook_driver.h's; with flag bit 2
 * the driver signs the body with the consumer secret, as X does.
 */
#include "webhook_driver.h"

#define CONSUMER_SECRET "cs-fuzz-secret"

static void sign(const unsigned char *body, size_t len, char *name, char *value)
{
    webhook_sign_base64(CONSUMER_SECRET, "x-twitter-webhooks-signature", "sha256=", body, len, name,
                        value);
}

static const char *const secrets[] = {CONSUMER_SECRET, "bt-fuzz-secret", "ats-fuzz-secret", NULL};

const webhook_target WEBHOOK_TARGET = {
    .config = "{\"base_url\":\"https://api.x.example/\",\"user_id\":\"100\",\"handle\":\"@acme\","
              "\"bearer_token\":\"bt-fuzz-secret\",\"consumer_key\":\"ck\","
              "\"consumer_secret\":\"" CONSUMER_SECRET "\",\"access_token\":\"100-at\","
              "\"access_token_secret\":\"ats-fuzz-secret\",\"search_terms\":[\"acme\"],"
              "\"max_results\":10,\"max_pages\":2}",
    .secrets = secrets,
    .token_query = "",
    .sign = sign,
};
