/* lexicon_builtin.h - the shipped lexicons (data/triage/en/ (every .txt)), turned
 * into C strings at build time by cmake/embed_lexicons.cmake, so the binary
 * finds them wherever it is installed. lexicon.c reads them first.
 */
#ifndef GW_TRIAGE_LEXICON_BUILTIN_H
#define GW_TRIAGE_LEXICON_BUILTIN_H

typedef struct triage_builtin_file {
    const char *name; /* "purchase.txt"; NULL ends the table */
    const char *path; /* where it comes from, for messages: "data/triage/en/purchase.txt" */
    const char *text; /* the file's contents */
} triage_builtin_file;

extern const triage_builtin_file triage_builtin_files[];

#endif /* GW_TRIAGE_LEXICON_BUILTIN_H */
