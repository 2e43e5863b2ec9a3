/* conv_id.h - the public ids of conversations and contacts: "cv_<hex>"
 * and "ct_<hex>" around the tables' integer keys, so an id in an event or
 * a URL is never mistaken for another kind of id. */
#ifndef GW_CONV_ID_H
#define GW_CONV_ID_H

#include <stddef.h>
#include <stdint.h>

/* "cv_<hex>" (conversations) / "ct_<hex>" (contacts) <-> id: format
 * writes prefix and the id into buf (>= 24 bytes); parse returns the id,
 * or -1 when s is not prefix followed by 1 to 15 hex digits. */
void conv_id_format(const char *prefix, int64_t id, char *buf, size_t len);
int64_t conv_id_parse(const char *prefix, const char *s);

#endif /* GW_CONV_ID_H */
