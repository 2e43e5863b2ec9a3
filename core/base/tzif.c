/* tzif.c - a TZif (RFC 8536) reader: transitions and their offsets; see
 * tzif.h. */
#include "base/tzif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

#define TZIF_DIR "/usr/share/zoneinfo"
#define TZIF_MAX_BYTES (1024 * 1024)
#define TZIF_HEADER 44

struct tzif {
    size_t count;     /* transitions */
    int64_t *at;      /* owned: transition times, ascending */
    int32_t *offset;  /* owned: the offset from each transition on */
    int32_t initial;  /* before the first transition */
};

/* The six counts of a header, big-endian, after "TZif", version, 15 unused. */
typedef struct tzif_counts {
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_counts;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int read_header(const unsigned char *p, size_t len, tzif_counts *c)
{
    if (len < TZIF_HEADER || memcmp(p, "TZif", 4) != 0)
        return GW_EPARSE;
    *c = (tzif_counts){be32(p + 20), be32(p + 24), be32(p + 28),
                       be32(p + 32), be32(p + 36), be32(p + 40)};
    if (c->typecnt == 0 || c->typecnt > 256 || c->timecnt > 100000 || c->charcnt > 65536 ||
        c->leapcnt > 10000 || c->isutcnt > 256 || c->isstdcnt > 256)
        return GW_EPARSE;
    return GW_OK;
}

/* Bytes of a data block with times of tsize bytes. */
static size_t block_size(const tzif_counts *c, size_t tsize)
{
    return c->timecnt * tsize + c->timecnt + c->typecnt * 6 + c->charcnt +
           c->leapcnt * (tsize + 4) + c->isstdcnt + c->isutcnt;
}

/* Fill tz from the data block at p (times of tsize bytes). */
static int read_block(const unsigned char *p, size_t len, const tzif_counts *c, size_t tsize,
                      tzif *tz)
{
    if (len < block_size(c, tsize))
        return GW_EPARSE;
    const unsigned char *times = p, *idx = p + c->timecnt * tsize;
    const unsigned char *types = idx + c->timecnt;
    tz->count = c->timecnt;
    tz->at = malloc((c->timecnt ? c->timecnt : 1) * sizeof *tz->at);
    tz->offset = malloc((c->timecnt ? c->timecnt : 1) * sizeof *tz->offset);
    if (tz->at == NULL || tz->offset == NULL)
        return GW_ENOMEM;
    for (size_t i = 0; i < c->timecnt; i++) {
        tz->at[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
        if (idx[i] >= c->typecnt || (i > 0 && tz->at[i] <= tz->at[i - 1]))
            return GW_EPARSE;
        tz->offset[i] = (int32_t)be32(types + 6 * idx[i]);
    }
    /* RFC 8536 3.2: local time before the first transition is type 0's */
    tz->initial = (int32_t)be32(types);
    return GW_OK;
}

static int parse(const unsigned char *p, size_t len, tzif *tz)
{
    tzif_counts c;
    int rc = read_header(p, len, &c);
    if (rc != GW_OK)
        return rc;
    if (p[4] >= '2') {
        /* skip the 32-bit block; the 64-bit one follows its own header */
        size_t skip = TZIF_HEADER + block_size(&c, 4);
        if (skip > len || (rc = read_header(p + skip, len - skip, &c)) != GW_OK)
            return GW_EPARSE;
        return read_block(p + skip + TZIF_HEADER, len - skip - TZIF_HEADER, &c, 8, tz);
    }
    return read_block(p + TZIF_HEADER, len - TZIF_HEADER, &c, 4, tz);
}

/* A zone name as the tz database spells them: no "..", no leading '/'. */
static int name_ok(const char *name)
{
    if (name == NULL || *name == '\0' || *name == '/' || strstr(name, "..") != NULL ||
        strlen(name) > 255)
        return 0;
    for (const char *s = name; *s; s++) {
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '/' || *s == '_' || *s == '-' || *s == '+'))
            return 0;
    }
    return 1;
}

int tzif_load(const char *dir, const char *name, tzif **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!name_ok(name)) {
        snprintf(err, errlen, "\"%s\" is not a time zone name (e.g. Europe/Berlin, UTC)",
                 name ? name : "");
        return GW_EINVAL;
    }
    tzif *tz = calloc(1, sizeof *tz);
    if (tz == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : TZIF_DIR, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (strcmp(name, "UTC") == 0) { /* no transitions, offset 0 */
            *out = tz;
            return GW_OK;
        }
        free(tz);
        snprintf(err, errlen, "unknown time zone \"%s\" (no %s; is tzdata installed?)", name,
                 path);
        return GW_ENOENT;
    }
    unsigned char *buf = malloc(TZIF_MAX_BYTES);
    size_t len = buf ? fread(buf, 1, TZIF_MAX_BYTES, f) : 0;
    fclose(f);
    int rc = buf == NULL ? GW_ENOMEM : parse(buf, len, tz);
    free(buf);
    if (rc != GW_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 rc == GW_ENOMEM ? "out of memory" : "not a TZif time zone file");
        tzif_free(tz);
        return rc;
    }
    *out = tz;
    return GW_OK;
}

void tzif_free(tzif *tz)
{
    if (tz == NULL)
        return;
    free(tz->at);
    free(tz->offset);
    free(tz);
}

int32_t tzif_offset(const tzif *tz, int64_t t)
{
    if (tz->count == 0 || t < tz->at[0])
        return tz->initial;
    size_t lo = 0, hi = tz->count; /* the last transition at or before t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offset[lo];
}
