# Turns the shipped lexicons into a C file (core/triage/lexicon_builtin.h
# declares the table), so the gateway finds them wherever it is installed.
# Run at build time by core/CMakeLists.txt:
#   cmake -DSRC=<data/triage/en> -DOUT=<file.c> -P embed_lexicons.cmake
file(GLOB files RELATIVE ${SRC} ${SRC}/*.txt)
list(SORT files)
set(body "/* Generated from data/triage/en by cmake/embed_lexicons.cmake: do not edit. */\n")
string(APPEND body "#include \"triage/lexicon_builtin.h\"\n\n")
string(APPEND body "const triage_builtin_file triage_builtin_files[] = {\n")
foreach(name ${files})
  file(READ ${SRC}/${name} text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  # C11 reads "??" followed by some characters as a trigraph.
  string(REPLACE "?" "\\?" text "${text}")
  string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
  string(APPEND body "  {\"${name}\", \"data/triage/en/${name}\",\n    \"${text}\"},\n")
endforeach()
string(APPEND body "  {0, 0, 0},\n};\n")
# Written only when it changed, so an unrelated build recompiles nothing.
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL body)
  file(WRITE ${OUT} "${body}")
endif()
