/*
 * fscrypt.c - encryption of a disk resource's directories with Linux
 * fscrypt v2 (see fscrypt.h): AES-256-XTS for contents, AES-256-CTS for
 * names, padding 32, the master key from the node's keystore.
 *
 * The keystore is opened only through its automatic-opening file: a disk
 * that waited for a passphrase would hold a failover until someone typed
 * it, so without automatic opening start fails at once and says the fix.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/fscrypt.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "fscrypt.h"
#include "keystore.h"
#include "util.h"

#define ID_HEX	(2 * FSCRYPT_KEY_IDENTIFIER_SIZE + 1)

struct fsc_key {
	__u8	id[FSCRYPT_KEY_IDENTIFIER_SIZE];
};

static void
id_hex(const __u8 *id, char hex[ID_HEX])
{
	hex_encode(id, FSCRYPT_KEY_IDENTIFIER_SIZE, hex);
}

int
fsc_load(struct fsc *f)
{
	const char	*enc = agent_param("encrypt");

	memset(f, 0, sizeof(*f));
	if (*enc == '\0' || strcmp(enc, "no") == 0)
		return OCF_SUCCESS;
	if (strcmp(enc, "yes") != 0) {
		log_warnx("parameter encrypt: \"%s\" is not yes or no", enc);
		return OCF_ERR_CONFIGURED;
	}
	f->on = true;
	f->keystore = agent_param("keystore");
	if (*f->keystore == '\0')
		f->keystore = KS_DEFAULT_PATH;
	f->dirs = agent_param("encrypted_dirs");
	if (*f->dirs == '\0')
		f->dirs = "data";
	if (f->keystore[0] != '/') {
		log_warnx("parameter keystore: \"%s\" is not an absolute path",
		    f->keystore);
		return OCF_ERR_CONFIGURED;
	}
	return OCF_SUCCESS;
}

/* The next word of the blank-separated list; false at the end. */
static bool
next_dir(const char **p, const char *mp, char *path, size_t len)
{
	size_t	l;

	*p += strspn(*p, " \t");
	if (**p == '\0')
		return false;
	l = strcspn(*p, " \t");
	snprintf(path, len, "%s/%.*s", mp, (int)l, *p);
	*p += l;
	return true;
}

/* A relative dir must stay below mp: no ".." part, no leading "/". */
static bool
dir_ok(const char *path, const char *mp)
{
	const char	*rel = path + strlen(mp) + 1, *c;

	if (*rel == '/' || *rel == '\0')
		return false;
	for (c = rel; *c; c += strcspn(c, "/"), c += *c == '/') {
		size_t l = strcspn(c, "/");

		if (l == 0 || (l == 2 && c[0] == '.' && c[1] == '.') ||
		    (l == 1 && c[0] == '.'))
			return false;
	}
	return true;
}

static int
fs_open(const char *mp)
{
	int	fd;

	if ((fd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		log_warn("open %s", mp);
	return fd;
}

static void
spec_id(struct fscrypt_key_specifier *s, const struct fsc_key *k)
{
	memset(s, 0, sizeof(*s));
	s->type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	memcpy(s->u.identifier, k->id, sizeof(k->id));
}

/* Add the master key to the file system; the kernel names it. */
static int
key_add(int fd, const struct ks_key *key, struct fsc_key *out,
    const char *device)
{
	struct fscrypt_add_key_arg	*a;
	size_t				 sz = sizeof(*a) + KS_KEY_LEN;
	int				 r = 0;

	a = xcalloc(1, sz);
	a->key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	a->raw_size = KS_KEY_LEN;
	memcpy(a->raw, key->k, KS_KEY_LEN);
	if (ioctl(fd, FS_IOC_ADD_ENCRYPTION_KEY, a) == -1) {
		if (errno == EOPNOTSUPP || errno == ENOTTY)
			log_warnx("%s: its file system has no encryption "
			    "support (make it with mkfs.ext4 -O encrypt, or "
			    "run tune2fs -O encrypt %s while unmounted)",
			    device, device);
		else
			log_warn("%s: adding the master key to the file "
			    "system", device);
		r = -1;
	} else
		memcpy(out->id, a->key_spec.u.identifier, sizeof(out->id));
	explicit_bzero(a, sz);
	free(a);
	return r;
}

/*
 * The identifier of the key added for the file system on mp, kept in the
 * node's /run while it is online: stop removes exactly that key, even if
 * no encrypted directory can be read any more.
 */
#define KEY_RUN_DIR	"/run/pgha"

static void
key_note_path(const char *mp, char path[PATH_MAX])
{
	char	h[65];

	sha256_hex(mp, strlen(mp), h);
	snprintf(path, PATH_MAX, "%s/fscrypt-%.16s.id", KEY_RUN_DIR, h);
}

static void
key_note(const char *mp, const struct fsc_key *k)
{
	char	path[PATH_MAX];
	FILE	*f;

	key_note_path(mp, path);
	/*
	 * The same directory holds pghad's control socket, which every
	 * local user may reach: made here first it must not shut them out.
	 * The note holds only a key identifier, which is no secret.
	 */
	(void)mkdir(KEY_RUN_DIR, 0755);
	if ((f = fopen(path, "we")) == NULL)
		return;		/* the policies still name it */
	(void)fwrite(k->id, sizeof(k->id), 1, f);
	(void)fclose(f);
}

/* 1 and the noted identifier, or 0 if there is none. */
static int
key_noted(const char *mp, struct fsc_key *k)
{
	char	path[PATH_MAX];
	FILE	*f;
	size_t	n;

	key_note_path(mp, path);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	n = fread(k->id, 1, sizeof(k->id), f);
	(void)fclose(f);
	return n == sizeof(k->id);
}

static void
key_unnote(const char *mp)
{
	char	path[PATH_MAX];

	key_note_path(mp, path);
	(void)unlink(path);
}

/* 0 removed (or absent), 1 files busy, -1 error (said). */
static int
key_remove(int fd, const struct fsc_key *k)
{
	struct fscrypt_remove_key_arg	a;

	memset(&a, 0, sizeof(a));
	spec_id(&a.key_spec, k);
	if (ioctl(fd, FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS, &a) == -1) {
		if (errno == ENOKEY)
			return 0;
		log_warn("removing the master key from the file system");
		return -1;
	}
	return (a.removal_status_flags &
	    FSCRYPT_KEY_REMOVAL_STATUS_FLAG_FILES_BUSY) ? 1 : 0;
}

/* 0 and the v2 policy, 1 not encrypted, -1 error (said). */
static int
policy_get(const char *path, struct fscrypt_policy_v2 *pol)
{
	struct fscrypt_get_policy_ex_arg	a;
	int					fd, r;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		log_warn("open %s", path);
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.policy_size = sizeof(a.policy);
	r = ioctl(fd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &a);
	close(fd);
	if (r == -1 && errno == ENODATA)
		return 1;
	if (r == -1) {
		log_warn("%s: reading its encryption policy", path);
		return -1;
	}
	if (a.policy.version != FSCRYPT_POLICY_V2) {
		log_warnx("%s is encrypted with an fscrypt v1 policy, which "
		    "pgha does not use: copy its files to a new directory",
		    path);
		return -1;
	}
	*pol = a.policy.v2;
	return 0;
}

static int
policy_set(const char *path, const struct fsc_key *k)
{
	struct fscrypt_policy_v2	pol;
	int				fd, r;

	memset(&pol, 0, sizeof(pol));
	pol.version = FSCRYPT_POLICY_V2;
	pol.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS;
	pol.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS;
	pol.flags = FSCRYPT_POLICY_FLAGS_PAD_32;
	memcpy(pol.master_key_identifier, k->id, sizeof(k->id));
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		log_warn("open %s", path);
		return -1;
	}
	r = ioctl(fd, FS_IOC_SET_ENCRYPTION_POLICY, &pol);
	close(fd);
	if (r == -1) {
		log_warn("%s: setting its encryption policy", path);
		return -1;
	}
	printf("fscrypt: %s encrypted (v2, AES-256-XTS)\n", path);
	return 0;
}

static int
dir_entries(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Missing parents root's 0755, the dir itself 0700. */
static int
dir_make(const char *path, const char *mp)
{
	char	buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + strlen(mp) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST) {
			log_warn("mkdir %s", buf);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(buf, 0700) == -1) {
		log_warn("mkdir %s", buf);
		return -1;
	}
	return 0;
}

/*
 * The directories between mp and path (not path itself) that exist are
 * real directories that only root can change: nobody else can swap one
 * for a symbolic link while root works below it.
 */
static int
parents_safe(const char *path, const char *mp)
{
	char		buf[PATH_MAX], *p;
	struct stat	st;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + strlen(mp) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (lstat(buf, &st) == 0 && (!S_ISDIR(st.st_mode) ||
		    st.st_uid != 0 || (st.st_mode & 022))) {
			log_warnx("encrypted_dirs: %s must be a directory that "
			    "only root can change (owner root, not group- or "
			    "world-writable, no symbolic link)", buf);
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* One encrypted dir: made, given our policy, or checked against it. */
static int
dir_setup(const struct fsc *f, const char *mp, const char *path,
    const struct fsc_key *k, const char *fpr)
{
	struct fscrypt_policy_v2	pol;
	struct stat			st;
	char				have[ID_HEX];
	int				r, n;

	if (parents_safe(path, mp) == -1)
		return -1;
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return dir_make(path, mp) == 0 ?
			    policy_set(path, k) : -1;
		log_warn("%s", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("encrypted_dirs: %s is not a directory", path);
		return -1;
	}
	if ((r = policy_get(path, &pol)) == -1)
		return -1;
	if (r == 0) {
		if (memcmp(pol.master_key_identifier, k->id,
		    sizeof(k->id)) == 0)
			return 0;
		id_hex(pol.master_key_identifier, have);
		log_warnx("%s is encrypted with another master key "
		    "(identifier %s); this node's keystore %s has "
		    "fingerprint %s: copy the cluster's keystore here",
		    path, have, f->keystore, fpr);
		return -1;
	}
	if ((n = dir_entries(path)) != 0) {
		if (n < 0)
			log_warn("%s", path);
		else
			log_warnx("%s exists with unencrypted files in it: "
			    "move them out (fscrypt encrypts only an empty "
			    "directory), start the disk, and copy them back "
			    "in", path);
		return -1;
	}
	return policy_set(path, k);
}

static int
dirs_setup(const struct fsc *f, const char *mp, const struct fsc_key *k,
    const char *fpr)
{
	const char	*p = f->dirs;
	char		 path[PATH_MAX];

	while (next_dir(&p, mp, path, sizeof(path))) {
		if (!dir_ok(path, mp)) {
			log_warnx("parameter encrypted_dirs: \"%s\" is not "
			    "below the mount point", path + strlen(mp) + 1);
			return OCF_ERR_CONFIGURED;
		}
		if (dir_setup(f, mp, path, k, fpr) == -1)
			return OCF_ERR_GENERIC;
	}
	return OCF_SUCCESS;
}

/*
 * The master key through automatic opening, never a prompt.  The
 * keystore's errors name the file and, for a missing or foreign
 * automatic-opening file, the fix (pgha keystore auto-open).
 */
static int
key_open(const struct fsc *f, struct ks_key *key)
{
	char	err[512];

	if (ks_auto_open(f->keystore, key, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		/* a fault of this node's, not of the configuration */
		return OCF_ERR_GENERIC;
	}
	return OCF_SUCCESS;
}

int
fsc_start(const struct fsc *f, const char *mp, const char *device)
{
	struct ks_key	key;
	struct fsc_key	k;
	char		fpr[KS_FPR_HEX];
	int		fd, r;

	if ((r = key_open(f, &key)) != OCF_SUCCESS)
		return r;
	ks_key_fingerprint(&key, fpr);
	if ((fd = fs_open(mp)) == -1) {
		ks_key_wipe(&key);
		return OCF_ERR_GENERIC;
	}
	r = key_add(fd, &key, &k, device);
	ks_key_wipe(&key);
	if (r == -1) {
		close(fd);
		return OCF_ERR_GENERIC;
	}
	key_note(mp, &k);
	if ((r = dirs_setup(f, mp, &k, fpr)) != OCF_SUCCESS &&
	    key_remove(fd, &k) == 0)
		key_unnote(mp);
	close(fd);
	return r;
}

/* The identifiers of the policies on the encrypted dirs, each once. */
static int
dir_ids(const struct fsc *f, const char *mp, struct fsc_key *ids, int max,
    bool strict)
{
	struct fscrypt_policy_v2	pol;
	const char			*p = f->dirs;
	char				 path[PATH_MAX];
	int				 n = 0, i, r;

	while (next_dir(&p, mp, path, sizeof(path))) {
		if (!strict && access(path, F_OK) == -1)
			continue;
		if ((r = policy_get(path, &pol)) == -1) {
			if (strict)
				return -1;
			continue;	/* removing: the others still */
		}
		if (r == 1) {
			if (!strict)
				continue;
			log_warnx("%s is not encrypted", path);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (memcmp(ids[i].id, pol.master_key_identifier,
			    sizeof(ids[i].id)) == 0)
				break;
		if (i == n && n < max)
			memcpy(ids[n++].id, pol.master_key_identifier,
			    sizeof(ids[0].id));
	}
	return n;
}

int
fsc_remove_key(const struct fsc *f, const char *mp)
{
	struct fsc_key	ids[8];
	int		fd, n, i, r, busy = 0;

	if ((n = dir_ids(f, mp, ids, 7, false)) == -1 ||
	    (fd = fs_open(mp)) == -1)
		return -1;
	if (key_noted(mp, &ids[n])) {
		for (i = 0; i < n; i++)
			if (memcmp(ids[i].id, ids[n].id, sizeof(ids[n].id)) == 0)
				break;
		if (i == n)
			n++;
	}
	for (i = 0; i < n; i++) {
		if ((r = key_remove(fd, &ids[i])) == -1) {
			close(fd);
			return -1;
		}
		busy |= r;
	}
	close(fd);
	if (busy == 0)
		key_unnote(mp);
	return busy;
}

int
fsc_monitor(const struct fsc *f, const char *mp)
{
	struct fscrypt_get_key_status_arg	a;
	struct fsc_key				ids[8];
	char					hex[ID_HEX];
	int					fd, n, i;

	if ((n = dir_ids(f, mp, ids, 8, true)) == -1)
		return OCF_ERR_GENERIC;
	if ((fd = fs_open(mp)) == -1)
		return OCF_ERR_GENERIC;
	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		spec_id(&a.key_spec, &ids[i]);
		if (ioctl(fd, FS_IOC_GET_ENCRYPTION_KEY_STATUS, &a) == -1) {
			log_warn("%s: master key status", mp);
			break;
		}
		if (a.status != FSCRYPT_KEY_STATUS_PRESENT) {
			id_hex(ids[i].id, hex);
			log_warnx("%s: the master key (identifier %s) is %s "
			    "in the file system", mp, hex,
			    a.status == FSCRYPT_KEY_STATUS_ABSENT ? "absent" :
			    "being removed");
			break;
		}
	}
	close(fd);
	return i == n ? OCF_SUCCESS : OCF_ERR_GENERIC;
}
