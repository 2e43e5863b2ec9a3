/* listen_addr.c - parsing "host:port" listen addresses; see listen_addr.h. */
#include "base/listen_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

#define LISTEN_SHAPE "expected a numeric address and port, \"127.0.0.1:8080\" or \"[::1]:8080\""

static int refuse(char *why, size_t whylen, const char *reason)
{
    snprintf(why, whylen, "%s", reason);
    return GW_EINVAL;
}

/* The port: 1 to 5 digits, at most 65535; 0 asks the kernel for a free one. */
static int parse_port(const char *port, uint16_t *out, char *why, size_t whylen)
{
    size_t plen = strlen(port);
    if (plen == 0)
        return refuse(why, whylen, LISTEN_SHAPE "; the port is missing");
    if (strspn(port, "0123456789") != plen)
        return refuse(why, whylen, LISTEN_SHAPE "; the port must be a number");
    unsigned long n = plen > 5 ? 65536 : strtoul(port, NULL, 10);
    if (n > 65535)
        return refuse(why, whylen, "the port must be between 0 and 65535 (0 picks a free one)");
    *out = (uint16_t)n;
    return GW_OK;
}

int listen_addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *sslen, char *why,
                      size_t whylen)
{
    char host[INET6_ADDRSTRLEN];
    const char *port;
    size_t hlen;
    int v6 = text[0] == '[';

    why[0] = '\0';
    if (v6) {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            return refuse(why, whylen, LISTEN_SHAPE);
        hlen = (size_t)(close - text - 1);
        port = close + 2;
    } else {
        const char *colon = strrchr(text, ':');
        if (colon == NULL)
            return refuse(why, whylen, LISTEN_SHAPE "; the port is missing");
        if (memchr(text, ':', (size_t)(colon - text)) != NULL)
            return refuse(why, whylen, LISTEN_SHAPE "; an IPv6 address goes in brackets");
        hlen = (size_t)(colon - text);
        port = colon + 1;
    }
    if (hlen == 0)
        return refuse(why, whylen, LISTEN_SHAPE "; the address is missing");
    if (hlen >= sizeof host)
        return refuse(why, whylen, LISTEN_SHAPE "; the address is too long");
    memcpy(host, text + (v6 ? 1 : 0), hlen);
    host[hlen] = '\0';

    uint16_t pnum;
    if (parse_port(port, &pnum, why, whylen) != GW_OK)
        return GW_EINVAL;

    struct sockaddr_storage local;
    if (ss == NULL)
        ss = &local;
    memset(ss, 0, sizeof *ss);
    if (v6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(pnum);
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return refuse(why, whylen, "the address in brackets is not a numeric IPv6 address");
        if (sslen != NULL)
            *sslen = sizeof *a6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons(pnum);
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return refuse(why, whylen,
                          "the address must be numeric; host names such as \"localhost\" are "
                          "not resolved: write 127.0.0.1, 0.0.0.0 or [::1]");
        if (sslen != NULL)
            *sslen = sizeof *a4;
    }
    return GW_OK;
}
