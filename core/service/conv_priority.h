/* conv_priority.h - the priority labels a conversation is counted under
 * (triage's levels, and "none" for an item triage did not rank), shared
 * by the conversation's state (conv_state.c) and the metrics.
 */
#ifndef GW_CONV_PRIORITY_H
#define GW_CONV_PRIORITY_H

#define CONV_PRIORITIES 5 /* urgent, high, normal, low, none */

extern const char *const conv_priority_names[CONV_PRIORITIES];

/* The index of label in conv_priority_names; "none"'s (the last) for NULL
 * or a label that is none of them. */
unsigned conv_priority_index(const char *label);

#endif /* GW_CONV_PRIORITY_H */
