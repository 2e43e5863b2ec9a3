/* fuzz_facebook_webhook.c - libFuzzer target for the Facebook plugin's
 * webhook (plugins/facebook/webhook.c): the subscription handshake
 * (GET ?hub.mode&hub.verify_token&hub.challenge), the X-Hub-Signature-256
 * check and the Page delivery body. The input format and the checks are
 * webhook_driver.h's; flag bit 2 signs the body with the app secret as
 * Facebook does, flag bit 3 puts the right hub.verify_token in front of
 * the query.
 */
#include "webhook_driver.h"

#define APP_SECRET "app-fuzz-secret"
#define VERIFY_TOKEN "vt-fuzz-secret"

static void sign(const unsigned char *body, size_t len, char *name, char *value)
{
    webhook_sign_hex(APP_SECRET, "x-hub-signature-256", "sha256=", body, len, name, value);
}

static const char *const secrets[] = {APP_SECRET, VERIFY_TOKEN, "pat-fuzz-secret", NULL};

const webhook_target WEBHOOK_TARGET = {
    .config = "{\"page_id\":\"1001\",\"page_access_token\":\"pat-fuzz-secret\","
              "\"app_secret\":\"" APP_SECRET "\",\"verify_token\":\"" VERIFY_TOKEN "\","
              "\"graph_version\":\"v25.0\",\"base_url\":\"https://graph.facebook.example\"}",
    .secrets = secrets,
    .token_query = "hub.verify_token=" VERIFY_TOKEN "&",
    .sign = sign,
};
