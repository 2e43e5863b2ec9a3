/* conv_priority.c - see conv_priority.h. */
#include "service/conv_priority.h"

#include <string.h>

const char *const conv_priority_names[CONV_PRIORITIES] = {"urgent", "high", "normal", "low",
                                                          "none"};

unsigned conv_priority_index(const char *label)
{
    for (unsigned i = 0; label != NULL && i + 1 < CONV_PRIORITIES; i++) {
        if (strcmp(label, conv_priority_names[i]) == 0)
            return i;
    }
    return CONV_PRIORITIES - 1;
}
