/* fuzz_yelp_webhook.c - libFuzzer target for the Yelp plugin's webhook
 * (plugins/yelp/webhook.c): the URL token, the verification handshake
 * (GET ?verification=) and the delivery's updates, whose reads the fuzz
 * host refuses (GW_EIO) so their error path runs too. Yelp signs
 * nothing; flag bit 3 of the input (webhook_driver.h) puts the right
 * token in front of the query.
 */
#include "webhook_driver.h"

#define WEBHOOK_TOKEN "tok-fuzz-secret"

static const char *const secrets[] = {WEBHOOK_TOKEN, "key-fuzz-secret", "pt-fuzz-secret", NULL};

const webhook_target WEBHOOK_TARGET = {
    .config = "{\"business_id\":\"acme-sf\",\"api_key\":\"key-fuzz-secret\","
              "\"partner_token\":\"pt-fuzz-secret\",\"webhook_token\":\"" WEBHOOK_TOKEN "\","
              "\"base_url\":\"https://api.yelp.example\",\"partner_base_url\":\"https://"
              "partner.yelp.example\"}",
    .secrets = secrets,
    .token_query = "token=" WEBHOOK_TOKEN "&",
    .sign = NULL,
};
