/* replay.h - the driver a fuzz target gets when it is built without
 * libFuzzer (-DGW_FUZZ_REPLAY): files and directories of inputs are fed to
 * the target's LLVMFuzzerTestOneInput, so ctest replays a corpus as a
 * regression pass with any compiler. Each target keeps its own main. */
#ifndef GW_FUZZ_REPLAY_H
#define GW_FUZZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

/* Defined by the fuzz target. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed one file. Returns 0, or 1 when it cannot be read (reported). */
int fuzz_replay_file(const char *path);

/* Feed a file, or every file under a directory (dot files skipped),
 * counting the inputs in *count. Returns how many could not be read. */
int fuzz_replay_path(const char *path, int *count);

/* A target's whole main: feed every path in argv[1..], print how many
 * inputs ran, return 0 when all could be read and there was one. */
int fuzz_replay_main(int argc, char **argv);

#endif /* GW_FUZZ_REPLAY_H */
