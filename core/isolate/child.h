/* isolate/child.h - the plugin host: the child process an isolated
 * plugin runs in (`gateway __plugin-host FD PLUGIN.so`).
 *
 * It keeps only the socketpair FD to the core, applies the sandbox
 * (isolate/sandbox.h), loads the plugin and gives it a gw_host table
 * whose functions turn into frames (isolate/wire.h) to the core; frames
 * from the core become hook calls. The plugin cannot tell: the same .so
 * runs inline or here. Timers and clocks are served in the child; a
 * kv_get waits for the core's answer (frames that arrive meanwhile are
 * kept for later, in order).
 */
#ifndef GW_ISOLATE_CHILD_H
#define GW_ISOLATE_CHILD_H

/* isolate_child_main - run the plugin host on fd with the plugin at
 * so_path until the core sends SHUTDOWN or closes the socket. Returns
 * the process's exit status: 0 after SHUTDOWN or when the core went
 * away, 1 when the plugin could not be loaded or the core sent a
 * malformed frame (said on stderr). */
int isolate_child_main(int fd, const char *so_path);

#endif /* GW_ISOLATE_CHILD_H */
