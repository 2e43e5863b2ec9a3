/* plugins/mock/synth.c - synthetic customer-service items.
 *
 * Item n of a seed is a pure function of (seed, n, brand): its own PRNG is
 * seeded from the pair, so the fetch cursor only has to remember n, any
 * item can be regenerated on its own, and a restart never produces a
 * different item under an id already emitted. Only created_at comes from
 * the clock.
 *
 * The mix is meant to exercise the core's customer-service logic:
 *   30% mentions addressed with @brand, some of them replies in a thread,
 *   15% mentions naming the brand without the @ (keyword listening),
 *   20% comments under one of the brand's posts (a new post every 50 items),
 *   15% reviews with a 1-5 rating that follows the tone,
 *   20% private messages, one conversation per author;
 * positive, neutral and negative tones, purchase intent and churn risk
 * phrasing, a few French and Spanish texts, and a pool of authors in which
 * a few come back often and a few are influencers.
 */
#include <ctype.h>
#include <string.h>

#include "mock.h"

/* Salts keep the streams of items and of authors apart. */
#define SALT_ITEM UINT64_C(0x17e4)
#define SALT_AUTHOR UINT64_C(0xa7740)
#define AUTHOR_POOL 400
#define ITEMS_PER_POST 50
#define TEXT_MAX 512

typedef enum synth_kind {
    SYNTH_MENTION_AT,
    SYNTH_MENTION_KEYWORD,
    SYNTH_COMMENT,
    SYNTH_REVIEW,
    SYNTH_MESSAGE
} synth_kind;

/* A text with placeholders {brand}, {order}, {product} and {days}. */
typedef struct synth_template {
    const char *text;
    int tone; /* -1 negative, 0 neutral, +1 positive */
    const char *lang;
} synth_template;

typedef struct synth_template_set {
    const char *name; /* for raw.template */
    const synth_template *items;
    size_t count;
} synth_template_set;

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const synth_template synth_mention_at[] = {
    {"{brand} my order {order} never arrived, it's been {days} days", -1, "en"},
    {"{brand} I was charged twice for order {order}. Please refund me", -1, "en"},
    {"{brand} my {product} stopped working after a week. Really disappointed", -1, "en"},
    {"{brand} 40 minutes on hold and still nobody. I'm cancelling my subscription", -1, "en"},
    {"{brand} how much is the {product}? I'd like to buy two", 0, "en"},
    {"{brand} do you ship to Canada?", 0, "en"},
    {"{brand} when will the {product} be back in stock?", 0, "en"},
    {"{brand} thanks for replacing my {product} so fast, great service!", 1, "en"},
    {"{brand} order {order} arrived a day early, you rock", 1, "en"},
    {"{brand} ma commande {order} n'est toujours pas arriv\xc3\xa9"
     "e apr\xc3\xa8s {days} jours",
     -1, "fr"},
    {"{brand} \xc2\xbftienen {product} en color negro? Quiero comprar uno", 0, "es"},
};

static const synth_template synth_mention_keyword[] = {
    {"just got my {product} from {brand} and I love it", 1, "en"},
    {"anyone else having trouble with the {brand} app today? it keeps crashing", -1, "en"},
    {"{brand} lost my package again, order {order} is {days} days late", -1, "en"},
    {"thinking about switching from {brand}, prices went up again", -1, "en"},
    {"does {brand} have a student discount? want to buy the {product}", 0, "en"},
    {"shoutout to {brand} support, fixed my issue in minutes", 1, "en"},
    {"j'adore mon nouveau {product} de chez {brand}", 1, "fr"},
};

static const synth_template synth_comment[] = {
    {"still waiting on order {order}, any update?", -1, "en"},
    {"this update broke the login for me", -1, "en"},
    {"the {product} is overpriced for what it does", -1, "en"},
    {"when is the {product} coming to Europe?", 0, "en"},
    {"can someone from support DM me? it's about order {order}", 0, "en"},
    {"great news, can't wait to try it!", 1, "en"},
    {"best customer service I've had in years", 1, "en"},
    {"\xc2\xa1me encanta! \xc2\xbf"
     "cu\xc3\xa1ndo llega a M\xc3\xa9xico?",
     1, "es"},
};

static const synth_template synth_review[] = {
    {"Terrible experience: order {order} arrived broken and nobody answers my emails.", -1, "en"},
    {"The {product} died after {days} days. Support was no help.", -1, "en"},
    {"Delivery took {days} days, the {product} is OK.", 0, "en"},
    {"Decent {product}, a bit expensive.", 0, "en"},
    {"Great {product}, arrived in {days} days and works perfectly.", 1, "en"},
    {"Friendly staff and a fast refund when I needed one. Recommended!", 1, "en"},
    {"Service impeccable, je recommande.", 1, "fr"},
};

static const synth_template synth_message[] = {
    {"Hi, I need to change the delivery address for order {order}", 0, "en"},
    {"Hello, my {product} arrived damaged. Can I get a refund?", -1, "en"},
    {"Please cancel my subscription, I've been waiting {days} days for an answer", -1, "en"},
    {"Thanks for your help yesterday, everything works now!", 1, "en"},
    {"Is there a discount if I order 10 units of the {product}?", 0, "en"},
    {"Bonjour, o\xc3\xb9 en est ma commande {order} ?", 0, "fr"},
};

static const synth_template_set synth_sets[] = {
    [SYNTH_MENTION_AT] = {"mention_at", synth_mention_at, COUNT_OF(synth_mention_at)},
    [SYNTH_MENTION_KEYWORD] = {"mention_keyword", synth_mention_keyword,
                               COUNT_OF(synth_mention_keyword)},
    [SYNTH_COMMENT] = {"comment", synth_comment, COUNT_OF(synth_comment)},
    [SYNTH_REVIEW] = {"review", synth_review, COUNT_OF(synth_review)},
    [SYNTH_MESSAGE] = {"message", synth_message, COUNT_OF(synth_message)},
};

static const char *const synth_products[] = {
    "wireless earbuds", "smart kettle", "running shoes", "phone case",
    "coffee grinder",   "desk lamp",    "backpack",      "fitness tracker",
};

static const char *const synth_first_names[] = {
    "Ann",   "Bruno", "Chloe", "David",  "Emma", "Farid",  "Grace", "Hugo",    "Ines",
    "Jamal", "Keiko", "Liam",  "Maria",  "Noah", "Olivia", "Priya", "Quentin", "Rosa",
    "Sam",   "Tariq", "Uma",   "Victor", "Wen",  "Yara",   "Zoe",
};

static const char *const synth_last_names[] = {
    "Smith",  "Garcia", "Nguyen", "Kowalski", "Dubois", "Rossi", "Okafor",
    "Tanaka", "Silva",  "Novak",  "Haddad",   "Larsen", "Patel", "Moreau",
};

typedef struct synth_author {
    char id[24];
    char handle[48];
    char name[48];
    json_int_t followers;
    bool verified;
} synth_author;

/* Append s to buf (cap bytes, kept NUL-terminated) at *len, cut when it
 * does not fit. With put_u below it replaces snprintf, which was a third
 * of an item's cost (eleven calls an item). */
static void put_s(char *buf, size_t cap, size_t *len, const char *s)
{
    while (*s != '\0' && *len + 1 < cap)
        buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

/* Append v in decimal, as put_s. */
static void put_u(char *buf, size_t cap, size_t *len, uint64_t v)
{
    char digits[21];
    size_t n = sizeof digits - 1;
    digits[n] = '\0';
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put_s(buf, cap, len, digits + n);
}

/* Author k of a seed. Every 29th author (from k = 3) is an influencer so
 * that any run of a few hundred items meets some. */
static void synth_author_make(uint64_t seed, uint64_t k, synth_author *a)
{
    gw_sdk_rng rng;
    gw_sdk_rng_seed(&rng, seed ^ gw_sdk_mix64(k + SALT_AUTHOR));
    const char *first = synth_first_names[gw_sdk_rng_below(&rng, COUNT_OF(synth_first_names))];
    const char *last = synth_last_names[gw_sdk_rng_below(&rng, COUNT_OF(synth_last_names))];
    size_t len = 0;
    /* Numeric ids, as most networks use, unique per k in practice. */
    put_u(a->id, sizeof a->id, &len, 1000000000000ULL + gw_sdk_rng_below(&rng, 8999999999999ULL));
    len = 0;
    put_s(a->name, sizeof a->name, &len, first);
    put_s(a->name, sizeof a->name, &len, " ");
    put_s(a->name, sizeof a->name, &len, last);
    len = 0;
    put_s(a->handle, sizeof a->handle, &len, first);
    if (gw_sdk_rng_below(&rng, 2) == 0) {
        put_s(a->handle, sizeof a->handle, &len, "_");
        put_s(a->handle, sizeof a->handle, &len, last);
    } else {
        put_u(a->handle, sizeof a->handle, &len, gw_sdk_rng_below(&rng, 1000));
    }
    for (char *p = a->handle; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);

    if (k % 29 == 3) {
        a->followers = (json_int_t)(50000 + gw_sdk_rng_below(&rng, 1950000));
        a->verified = gw_sdk_rng_below(&rng, 10) < 7;
    } else if (gw_sdk_rng_below(&rng, 100) < 12) {
        a->followers = (json_int_t)(1000 + gw_sdk_rng_below(&rng, 19000));
        a->verified = false;
    } else {
        a->followers = (json_int_t)gw_sdk_rng_below(&rng, 1000);
        a->verified = false;
    }
}

/* Values substituted into a template. */
typedef struct synth_vars {
    const char *brand;
    char order[16];
    const char *product;
    char days[8];
} synth_vars;

/* Expand a template into out (outlen bytes); text that does not fit is
 * cut, which the fixed templates and a sane brand never reach. */
static void synth_expand(const char *tmpl, const synth_vars *vars, char *out, size_t outlen)
{
    size_t len = 0;
    for (const char *p = tmpl; *p != '\0' && len + 1 < outlen;) {
        const char *value = NULL;
        size_t skip = 0;
        if (*p == '{') {
            static const char *const names[] = {"{brand}", "{order}", "{product}", "{days}"};
            const char *values[] = {vars->brand, vars->order, vars->product, vars->days};
            for (size_t i = 0; i < COUNT_OF(names); i++) {
                size_t n = strlen(names[i]);
                if (strncmp(p, names[i], n) == 0) {
                    value = values[i];
                    skip = n;
                    break;
                }
            }
        }
        if (value != NULL) {
            len += gw_sdk_str_copy(out + len, outlen - len, value);
            if (len >= outlen)
                len = strlen(out);
            p += skip;
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
}

static synth_kind synth_pick_kind(gw_sdk_rng *rng)
{
    uint64_t roll = gw_sdk_rng_below(rng, 100);
    if (roll < 30)
        return SYNTH_MENTION_AT;
    if (roll < 45)
        return SYNTH_MENTION_KEYWORD;
    if (roll < 65)
        return SYNTH_COMMENT;
    if (roll < 80)
        return SYNTH_REVIEW;
    return SYNTH_MESSAGE;
}

/* A rating that follows the tone: 1-2 negative, 3 neutral, 4-5 positive. */
static int synth_rating(gw_sdk_rng *rng, int tone)
{
    if (tone < 0)
        return 1 + (int)gw_sdk_rng_below(rng, 2);
    if (tone > 0)
        return 4 + (int)gw_sdk_rng_below(rng, 2);
    return 3;
}

/* Set key to a string the plugin made from its own tables and digits
 * (ASCII or UTF-8 literals), so the UTF-8 check is skipped. */
static int set_own(json_t *o, const char *key, const char *value)
{
    return json_object_set_new_nocheck(o, key, json_string_nocheck(value));
}

/* Built member by member: json_pack parsed its format string for every
 * item and was two thirds of an item's cost. Returns a new reference or
 * NULL when out of memory. */
static json_t *synth_author_json(const synth_author *a)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    /* One statement each: the order of calls inside one expression is
     * unspecified, and the members' order is the output's. */
    int bad = set_own(o, "id", a->id);
    bad |= set_own(o, "handle", a->handle);
    bad |= set_own(o, "name", a->name);
    bad |= json_object_set_new_nocheck(o, "followers", json_integer(a->followers));
    bad |= json_object_set_new_nocheck(o, "verified", json_boolean(a->verified));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *synth_raw_json(uint64_t seed, uint64_t n, const char *template_name)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = set_own(o, "generator", "mock");
    bad |= json_object_set_new_nocheck(o, "seed", json_integer((json_int_t)seed));
    bad |= json_object_set_new_nocheck(o, "n", json_integer((json_int_t)n));
    bad |= set_own(o, "template", template_name);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *mock_synth_event(uint64_t seed, uint64_t n, const char *brand, int64_t now_ms)
{
    gw_sdk_rng rng;
    gw_sdk_rng_seed(&rng, seed ^ gw_sdk_mix64(n + SALT_ITEM));

    synth_kind kind = synth_pick_kind(&rng);
    const synth_template_set *set = &synth_sets[kind];
    size_t tmpl_index = (size_t)gw_sdk_rng_below(&rng, set->count);
    const synth_template *tmpl = &set->items[tmpl_index];

    /* Skewed towards the first authors of the pool: a few customers
     * write often, most only once. */
    uint64_t author_k = gw_sdk_rng_below(&rng, gw_sdk_rng_below(&rng, AUTHOR_POOL) + 1);
    synth_author author;
    synth_author_make(seed, author_k, &author);

    char at_brand[160];
    size_t len = 0;
    put_s(at_brand, sizeof at_brand, &len, "@");
    put_s(at_brand, sizeof at_brand, &len, brand);
    synth_vars vars;
    vars.brand = kind == SYNTH_MENTION_AT ? at_brand : brand;
    len = 0;
    put_s(vars.order, sizeof vars.order, &len, "#");
    put_u(vars.order, sizeof vars.order, &len, 1000 + gw_sdk_rng_below(&rng, 9000));
    vars.product = synth_products[gw_sdk_rng_below(&rng, COUNT_OF(synth_products))];
    len = 0;
    put_u(vars.days, sizeof vars.days, &len, 2 + gw_sdk_rng_below(&rng, 19));
    char text[TEXT_MAX];
    synth_expand(tmpl->text, &vars, text, sizeof text);

    char native_id[48], post_id[48], thread_id[64], url[512], created_at[GW_SDK_RFC3339_SIZE];
    len = 0;
    put_u(native_id, sizeof native_id, &len, seed);
    put_s(native_id, sizeof native_id, &len, "-");
    put_u(native_id, sizeof native_id, &len, n);
    len = 0;
    put_u(post_id, sizeof post_id, &len, seed);
    put_s(post_id, sizeof post_id, &len, "-post-");
    put_u(post_id, sizeof post_id, &len, n / ITEMS_PER_POST);
    len = 0;
    put_s(url, sizeof url, &len, "https://mock.example/");
    put_s(url, sizeof url, &len, brand);
    put_s(url, sizeof url, &len, "/");
    put_s(url, sizeof url, &len, native_id);
    /* Written a few seconds before it is fetched, as on a real network. */
    gw_sdk_time_format(now_ms - (int64_t)gw_sdk_rng_below(&rng, 5000), created_at,
                       sizeof created_at);

    /* Threads: comments and a third of the @mentions answer the brand's
     * current post; a DM conversation is per author; anything else starts
     * its own thread. */
    const char *in_reply_to = NULL;
    bool is_reply =
        kind == SYNTH_COMMENT || (kind == SYNTH_MENTION_AT && gw_sdk_rng_below(&rng, 3) == 0);
    len = 0;
    if (is_reply) {
        put_s(thread_id, sizeof thread_id, &len, post_id);
        in_reply_to = post_id;
    } else if (kind == SYNTH_MESSAGE) {
        put_s(thread_id, sizeof thread_id, &len, "dm-");
        put_s(thread_id, sizeof thread_id, &len, author.id);
    } else {
        put_s(thread_id, sizeof thread_id, &len, native_id);
    }

    static const char *const types[] = {
        [SYNTH_MENTION_AT] = "mention", [SYNTH_MENTION_KEYWORD] = "mention",
        [SYNTH_COMMENT] = "comment",    [SYNTH_REVIEW] = "review",
        [SYNTH_MESSAGE] = "message",
    };
    char template_name[64];
    len = 0;
    put_s(template_name, sizeof template_name, &len, set->name);
    put_s(template_name, sizeof template_name, &len, "/");
    put_u(template_name, sizeof template_name, &len, tmpl_index);

    /* Members in the order json_pack gave them (tests and recorded runs
     * compare the text). text and url carry the configured brand, so
     * their UTF-8 is checked. */
    json_t *event = json_object();
    if (event == NULL)
        return NULL;
    int bad = set_own(event, "type", types[kind]);
    bad |= set_own(event, "native_id", native_id);
    bad |= set_own(event, "visibility", kind == SYNTH_MESSAGE ? "private" : "public");
    bad |= set_own(event, "thread_id", thread_id);
    /* null when the item starts its thread (the pipeline drops nulls). */
    bad |= json_object_set_new_nocheck(
        event, "in_reply_to", in_reply_to != NULL ? json_string_nocheck(in_reply_to) : json_null());
    bad |= json_object_set_new_nocheck(event, "author", synth_author_json(&author));
    bad |= json_object_set_new_nocheck(event, "text", json_string(text));
    bad |= set_own(event, "lang", tmpl->lang);
    bad |= set_own(event, "created_at", created_at);
    bad |= json_object_set_new_nocheck(event, "raw", synth_raw_json(seed, n, template_name));
    if (bad)
        goto fail;
    if (kind != SYNTH_MESSAGE && json_object_set_new_nocheck(event, "url", json_string(url)) < 0)
        goto fail;
    if (kind == SYNTH_REVIEW &&
        json_object_set_new_nocheck(event, "rating", json_integer(synth_rating(&rng, tmpl->tone))) <
            0)
        goto fail;
    return event;

fail:
    json_decref(event);
    return NULL;
}
