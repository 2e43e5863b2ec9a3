/* stdout_text.h - the stdout sink's readable form: one event as one line
 * a person can scan in a terminal (format = "text").
 *
 * Owns nothing. Everything taken from an event is escaped on the way out:
 * the text is a customer's, and a customer must not be able to move the
 * cursor, retitle the window or reorder the line (control characters, C1
 * codes, bidirectional overrides) on an agent's terminal.
 */
#ifndef GW_SINKS_STDOUT_TEXT_H
#define GW_SINKS_STDOUT_TEXT_H

#include <stddef.h>

#include <jansson.h>

/* Columns of a text line on fd: the terminal's width (TIOCGWINSZ) when fd
 * is a terminal, else $COLUMNS when it is a positive number, else 100. */
int stdout_text_width(int fd);

/* One event as a line ending in '\n', at most `width` columns before the
 * '\n' (cut with "…"; width <= 0: never cut):
 *   HH:MM:SS network/account type [priority] @handle: text
 * The time is created_at in local time (received_at when created_at is
 * missing), shown as "YYYY-MM-DD HH:MM" when it is on another local day
 * than received_at; the priority is `priority` or `tags.priority` when the
 * event has one; the author is @handle, else the name. Newlines become
 * spaces and control characters \xNN or \uNNNN escapes. `event` is
 * borrowed. Returns a NUL-terminated string (caller frees), or NULL when
 * out of memory. */
char *stdout_text_line(const json_t *event, int width);

/* A line that is not an event object (data borrowed, no '\n'): its bytes
 * escaped and cut the same way, ending in '\n'. Caller frees; NULL when out
 * of memory. */
char *stdout_text_raw(const char *data, size_t len, int width);

#endif /* GW_SINKS_STDOUT_TEXT_H */
