"""The command line every benchmark script checks before it starts:
-h/--help prints the script's docstring, and an option it does not know,
an option without its value, or one argument too many stops it with its
usage line, rather than being read as a build directory or a count."""
import sys


def check(doc, valued=(), flags=(), positional=2):
    """doc: the script's docstring (its usage line starts "usage:");
    valued: options taking a value (--repeat 3); flags: options alone;
    positional: how many plain arguments it takes. Exits 0 after --help,
    2 with a message on a mistake."""
    args = sys.argv[1:]
    if "-h" in args or "--help" in args:
        print(doc.strip())
        sys.exit(0)
    usage = next((line for line in doc.splitlines() if line.startswith("usage:")), "")
    plain, i = 0, 0
    while i < len(args):
        a = args[i]
        if a in valued:
            if i + 1 >= len(args):
                fail("%s needs a value" % a, usage)
            i += 2
            continue
        if a.startswith("-") and a not in flags:
            fail("unknown option %s" % a, usage)
        if not a.startswith("-"):
            plain += 1
            if plain > positional:
                fail("unexpected argument %s" % a, usage)
        i += 1


def fail(what, usage):
    sys.stderr.write("%s: %s\n%s\n" % (sys.argv[0], what, usage))
    sys.exit(2)
