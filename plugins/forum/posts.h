/* plugins/forum/posts.h - the posts.json phase (posts.c), run by fetch.c. */
#ifndef FORUM_POSTS_H
#define FORUM_POSTS_H

#include "gateway/plugin.h"
#include "phase.h"

/* Start the walk; it ends with forum_phase_over or by finishing the fetch. */
void forum_posts_start(forum_fetch *f);
/* The answer to the walk's request (borrowed). */
void forum_posts_response(forum_fetch *f, const gw_http_response *response);

#endif /* FORUM_POSTS_H */
