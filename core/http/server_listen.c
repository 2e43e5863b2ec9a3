/* server_listen.c - listen address parsing and the listen socket; see
 * server_listen.h.
 */
#include "http/server_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/error.h"

int server_listen_parse(const char *text, struct sockaddr_storage *ss, socklen_t *sslen)
{
    char host[INET6_ADDRSTRLEN];
    const char *port;
    size_t hlen;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            return GW_EINVAL;
        hlen = (size_t)(close - text - 1);
        if (hlen == 0 || hlen >= sizeof host)
            return GW_EINVAL;
        memcpy(host, text + 1, hlen);
        port = close + 2;
    } else {
        const char *colon = strchr(text, ':');
        if (colon == NULL || strchr(colon + 1, ':') != NULL)
            return GW_EINVAL;
        hlen = (size_t)(colon - text);
        if (hlen == 0 || hlen >= sizeof host)
            return GW_EINVAL;
        memcpy(host, text, hlen);
        port = colon + 1;
    }
    host[hlen] = '\0';
    size_t plen = strlen(port);
    if (plen == 0 || plen > 5 || strspn(port, "0123456789") != plen)
        return GW_EINVAL;
    unsigned long pnum = strtoul(port, NULL, 10);
    if (pnum > 65535)
        return GW_EINVAL;

    memset(ss, 0, sizeof *ss);
    if (text[0] == '[') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)pnum);
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return GW_EINVAL;
        *sslen = sizeof *a6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)pnum);
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return GW_EINVAL;
        *sslen = sizeof *a4;
    }
    return GW_OK;
}

int server_listen_open(const struct sockaddr_storage *ss, socklen_t sslen, int *port_out)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss->ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (bind(fd, (const struct sockaddr *)ss, sslen) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *port_out = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}
