/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Internet checksum (RFC 1071) and the IPv4 and IPv6 pseudo-header sums, for the selftests
 * (through common.h) and bench/tunbench.c. Needs no harness and nothing of the project's:
 * libc only. The helpers a program may not use are marked unused.
 */
#ifndef TUNTAP_RS_SELFTESTS_CSUM_H
#define TUNTAP_RS_SELFTESTS_CSUM_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stddef.h>
#include <stdint.h>

/* Adds data[0..len) to `sum` as big-endian 16-bit words (a last odd byte padded with zero). */
__attribute__((unused))
static uint64_t csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* Folds a csum_add() sum into the Internet checksum, in network byte order. */
__attribute__((unused))
static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* The Internet checksum of data[0..len) (its checksum field, if any, taken as it is). */
__attribute__((unused))
static uint16_t csum(const void *data, size_t len)
{
	return csum_fold(csum_add(0, data, len));
}

/* The sum of the IPv4 pseudo-header (RFC 768, RFC 9293) of a `len`-byte segment. */
__attribute__((unused))
static uint64_t csum_pseudo4(in_addr_t src, in_addr_t dst, uint8_t proto, size_t len)
{
	uint64_t sum = csum_add(0, &src, 4);

	sum = csum_add(sum, &dst, 4);
	return sum + proto + len;
}

/* The sum of the IPv6 pseudo-header (RFC 8200 8.1) of an upper-layer packet of `len` bytes. */
__attribute__((unused))
static uint64_t csum_pseudo6(const struct in6_addr *src, const struct in6_addr *dst, size_t len,
			     uint8_t nxt)
{
	uint64_t sum = csum_add(0, src, 16);

	sum = csum_add(sum, dst, 16);
	return sum + len + nxt;
}

/*
 * What a checksum field holds for a partial checksum (NEEDS_CSUM, CHECKSUM_PARTIAL): the folded
 * pseudo-header sum, not complemented, in network byte order.
 */
__attribute__((unused))
static uint16_t csum_partial_pseudo4(in_addr_t src, in_addr_t dst, uint8_t proto, size_t len)
{
	return (uint16_t)~csum_fold(csum_pseudo4(src, dst, proto, len));
}

__attribute__((unused))
static uint16_t csum_partial_pseudo6(const struct in6_addr *src, const struct in6_addr *dst,
				     size_t len, uint8_t nxt)
{
	return (uint16_t)~csum_fold(csum_pseudo6(src, dst, len, nxt));
}

/* Recomputes the IPv4 header checksum (over ihl * 4 bytes, which buf must hold). */
__attribute__((unused))
static void ip4_recsum(void *buf)
{
	struct iphdr *iph = buf;

	iph->check = 0;
	iph->check = csum(iph, (size_t)iph->ihl * 4);
}

#endif /* TUNTAP_RS_SELFTESTS_CSUM_H */
