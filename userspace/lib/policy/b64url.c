// SPDX-License-Identifier: GPL-2.0
/*
 * b64url.c - strict base64url without padding (RFC 7515 section 2, RFC 4648
 * section 5).
 *
 * Strict means one spelling per byte string: no '=' padding, no '+' or '/',
 * no whitespace, no length that no encoder produces, and the unused low bits
 * of the last character must be zero. A token that an attacker could re-spell
 * without changing what it decodes to is refused, so the bytes we verify are
 * the only bytes that mean this token.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "token.h"

static const char b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of @c, or -1 for anything outside the alphabet. */
static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

static int b64url_bad_char(const char *in, size_t i)
{
	unsigned char c = in[i];

	if (c == '=')
		return lg_err(-EINVAL, "base64url: padding '=' at offset %zu (JWS forbids padding)",
			      i);
	if (c == '+' || c == '/')
		return lg_err(
			-EINVAL,
			"base64url: '%c' at offset %zu is standard base64, not base64url ('-' and '_')",
			c, i);
	if (c >= 0x21 && c < 0x7f)
		return lg_err(-EINVAL, "base64url: '%c' at offset %zu is not in the alphabet", c,
			      i);
	return lg_err(-EINVAL, "base64url: byte 0x%02x at offset %zu is not in the alphabet", c, i);
}

/*
 * Check every character and the final group: a length of 1 mod 4 encodes no
 * whole byte, and non-zero unused bits give a second spelling of the same
 * bytes.
 */
static int b64url_check(const char *in, size_t len)
{
	int last;

	for (size_t i = 0; i < len; i++)
		if (b64url_value(in[i]) < 0)
			return b64url_bad_char(in, i);
	if (len % 4 == 1)
		return lg_err(-EINVAL,
			      "base64url: length %zu is impossible (one character left over)", len);
	if (len % 4 == 0)
		return 0;
	last = b64url_value(in[len - 1]);
	if ((len % 4 == 2 && (last & 0x0f)) || (len % 4 == 3 && (last & 0x03)))
		return lg_err(
			-EINVAL,
			"base64url: last character '%c' has non-zero unused bits (not the canonical encoding)",
			in[len - 1]);
	return 0;
}

int lg_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_len)
{
	unsigned char *buf;
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	int err;

	*out = NULL;
	*out_len = 0;
	err = b64url_check(in, len);
	if (err)
		return err;
	/* Room for a partial last group; never malloc(0), so *out is freeable. */
	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return lg_err(-ENOMEM, "base64url: out of memory");
	for (size_t i = 0; i < len; i++) {
		acc = acc << 6 | (uint32_t)b64url_value(in[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = acc >> bits & 0xff;
		}
	}
	*out = buf;
	*out_len = n;
	return 0;
}

char *lg_b64url_encode(const unsigned char *in, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[n++] = b64url_alphabet[acc >> bits & 0x3f];
		}
	}
	if (bits)
		out[n++] = b64url_alphabet[acc << (6 - bits) & 0x3f];
	out[n] = 0;
	return out;
}
