/*
 * fuzz_keystore.c - the keystore file parser and unwrapping must refuse
 * anything malformed without a crash, a leak or a read past the input,
 * and with a clear message.
 *
 * Each input is tried as it is, and, when it has a keystore's length,
 * again with its trailing SHA-256 made right: the fuzzer cannot forge a
 * checksum, and without this it would never get past it to the fields,
 * the key derivation and the AEAD.  What parses is unwrapped: a keystore
 * with the passphrase of the seed corpus (if its scrypt cost is small),
 * an automatic-opening file with the corpus's node identity.  A key that
 * comes out must match the fingerprint in the header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "keystore.h"

/* The seeds in tests/fuzz/corpus/keystore were made with these. */
#define FUZZ_PASS	"fuzz passphrase"
#define FUZZ_MID	"0123456789abcdef0123456789abcdef"
#define FUZZ_NODE	"fuzznode"
#define MAX_COST	(1u << 13)	/* N * r * p: about a millisecond */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
try_image(const unsigned char *buf, size_t len)
{
	struct ks_header	h;
	struct ks_key		key;
	char			err[512], fpr[KS_FPR_HEX];
	int			r = -1;

	err[0] = '\0';
	if (ks_parse("fuzz", buf, len, &h, err, sizeof(err)) == -1) {
		if (strncmp(err, "fuzz: ", 6) != 0 || strchr(err, '\n'))
			abort();	/* a one-line message naming the file */
		return;
	}
	if ((h.kind != KS_KIND_PASS && h.kind != KS_KIND_AUTO) ||
	    strlen(h.fpr) != 64 || strspn(h.fpr, "0123456789abcdef") != 64)
		abort();
	if (h.kind == KS_KIND_PASS &&
	    (1ull << h.log2n) * h.r * h.p <= MAX_COST)
		r = ks_open_buf("fuzz", buf, len, FUZZ_PASS,
		    strlen(FUZZ_PASS), &key, err, sizeof(err));
	else if (h.kind == KS_KIND_AUTO)
		r = ks_auto_open_buf("fuzz", buf, len, &key, err, sizeof(err));
	if (r == 0) {
		ks_key_fingerprint(&key, fpr);
		if (strcmp(fpr, h.fpr) != 0)
			abort();
		ks_key_wipe(&key);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int	init;
	unsigned char	*copy;
	unsigned int	 n;

	if (!init) {
		ks_set_identity_for_test(FUZZ_MID, FUZZ_NODE);
		init = 1;
	}
	try_image(data, len);
	if (len != KS_FILE_LEN)
		return 0;
	if ((copy = malloc(len)) == NULL)
		abort();
	memcpy(copy, data, len);
	if (EVP_Digest(copy, len - 32, copy + len - 32, &n, EVP_sha256(),
	    NULL) != 1)
		abort();
	try_image(copy, len);
	free(copy);
	return 0;
}
