/* plugins/forum/refs.c - recently seen posts, for in_reply_to.
 *
 * A Discourse reply names the post it answers by its number inside the
 * topic (reply_to_post_number), while an event's in_reply_to must be a
 * native id, the post id. Asking the forum for each would cost a request
 * per reply; but a reply usually follows its parent closely, so the
 * parent went through this instance a moment before. The instance keeps
 * the last FORUM_REFS_MAX (topic, number) -> id pairs it saw in a ring;
 * a miss leaves in_reply_to unset, it never guesses. Memory only: after a
 * restart the ring starts empty.
 */
#include "forum.h"

void forum_refs_add(gw_instance *inst, int64_t topic_id, int64_t post_number, int64_t post_id)
{
    if (topic_id <= 0 || post_number <= 0 || post_id <= 0)
        return;
    /* Refresh an entry already there rather than fill the ring with it. */
    for (size_t i = 0; i < inst->refs_used; i++) {
        forum_ref *r = &inst->refs[i];
        if (r->topic_id == topic_id && r->post_number == post_number) {
            r->post_id = post_id;
            return;
        }
    }
    inst->refs[inst->refs_next] = (forum_ref){topic_id, post_number, post_id};
    inst->refs_next = (inst->refs_next + 1) % FORUM_REFS_MAX;
    if (inst->refs_used < FORUM_REFS_MAX)
        inst->refs_used++;
}

int64_t forum_refs_lookup(void *arg, int64_t topic_id, int64_t post_number)
{
    const gw_instance *inst = arg;
    for (size_t i = 0; i < inst->refs_used; i++) {
        const forum_ref *r = &inst->refs[i];
        if (r->topic_id == topic_id && r->post_number == post_number)
            return r->post_id;
    }
    return 0;
}

void forum_refs_add_posts(gw_instance *inst, const json_t *posts)
{
    size_t i;
    const json_t *post;
    json_array_foreach(posts, i, post)
    {
        int64_t id, topic, number;
        if (forum_json_id(post, "id", &id) && forum_json_id(post, "topic_id", &topic) &&
            forum_json_id(post, "post_number", &number))
            forum_refs_add(inst, topic, number, id);
    }
}

forum_context forum_context_for(gw_instance *inst)
{
    forum_context ctx = {
        .base = inst->opt.base,
        .brand = inst->opt.api_username,
        .archetype = FORUM_ARCHETYPE_UNKNOWN,
        .lookup = forum_refs_lookup,
        .lookup_arg = inst,
    };
    return ctx;
}
