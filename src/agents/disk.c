/*
 * disk.c - the "disk" agent: a block device's file system mounted on the
 * owning node only.  Keys: device, mountpoint, fstype, options (nosuid and
 * nodev unless they say suid or dev).
 *
 * Never a lazy unmount: a detached file system is still in use, and
 * another node mounting the same device would corrupt it.  So stop kills
 * whatever holds the mount (SIGTERM, then SIGKILL) and fails, naming the
 * holders, rather than pretend.  An unmount is not the end either: other
 * mount namespaces may keep the file system alive, so stop ends them and
 * proves it gone (release_fs()).
 *
 * With encrypt = yes (fscrypt.c) start adds the master key after the
 * mount and stop removes it before the unmount; a start that fails after
 * the mount removes the key and unmounts again.
 *
 * An ext4 with multi-mount protection left "in use" by an owner that died
 * is checked and cleared before the mount (mmp.c), instead of the
 * kernel's 22-45 s wait.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "fscrypt.h"
#include "mmp.h"
#include "util.h"

#define MAX_HOLDERS	64
#define MONITOR_FILE	".pgha-monitor"

struct disk {
	const char	*device;
	char		 mp[PATH_MAX];	/* canonical when it exists */
	const char	*fstype;
	unsigned long	 flags;
	char		 data[1024];	/* options mount(2) does not know */
	struct fsc	 enc;
};

struct mnt {
	unsigned	 major, minor;
	bool		 ro;
	char		 source[PATH_MAX];
};

static const struct {
	const char	*name;
	unsigned long	 set, clear;
} mount_opts[] = {
	{ "defaults",	0, 0 },
	{ "rw",		0, MS_RDONLY },
	{ "ro",		MS_RDONLY, 0 },
	{ "suid",	0, MS_NOSUID },
	{ "nosuid",	MS_NOSUID, 0 },
	{ "dev",	0, MS_NODEV },
	{ "nodev",	MS_NODEV, 0 },
	{ "exec",	0, MS_NOEXEC },
	{ "noexec",	MS_NOEXEC, 0 },
	{ "sync",	MS_SYNCHRONOUS, 0 },
	{ "async",	0, MS_SYNCHRONOUS },
	{ "dirsync",	MS_DIRSYNC, 0 },
	{ "atime",	0, MS_NOATIME },
	{ "noatime",	MS_NOATIME, 0 },
	{ "diratime",	0, MS_NODIRATIME },
	{ "nodiratime",	MS_NODIRATIME, 0 },
	{ "relatime",	MS_RELATIME, 0 },
	{ "norelatime",	0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "lazytime",	MS_LAZYTIME, 0 },
	{ "nolazytime",	0, MS_LAZYTIME },
	{ "mand",	MS_MANDLOCK, 0 },
	{ "nomand",	0, MS_MANDLOCK },
	/* fstab-only words that mean nothing to mount(2) */
	{ "auto",	0, 0 },
	{ "noauto",	0, 0 },
	{ "nofail",	0, 0 },
	{ "_netdev",	0, 0 },
};

static int
parse_options(struct disk *d, const char *opts)
{
	char	*copy = xstrdup(opts), *p = copy, *w;
	size_t	 i, used = 0;

	/*
	 * nosuid,nodev unless the options say suid or dev: whoever can write
	 * the shared LUN could otherwise plant a setuid binary or a device
	 * node that goes live on every node that mounts it.
	 */
	d->flags = MS_NOSUID | MS_NODEV;
	d->data[0] = '\0';
	while ((w = strsep(&p, ",")) != NULL) {
		if (*w == '\0')
			continue;
		for (i = 0; i < nitems(mount_opts); i++) {
			if (strcmp(w, mount_opts[i].name) == 0)
				break;
		}
		if (i < nitems(mount_opts)) {
			d->flags &= ~mount_opts[i].clear;
			d->flags |= mount_opts[i].set;
			continue;
		}
		used += snprintf(d->data + used, sizeof(d->data) - used,
		    "%s%s", used ? "," : "", w);
		if (used >= sizeof(d->data)) {
			log_warnx("parameter options: too long");
			free(copy);
			return -1;
		}
	}
	free(copy);
	return 0;
}

static int
disk_load(struct disk *d)
{
	const char	*mp = agent_param("mountpoint");

	d->device = agent_param("device");
	d->fstype = agent_param("fstype");
	if (*d->device == '\0' || mp[0] != '/') {
		log_warnx("parameters device and mountpoint (absolute) "
		    "are required");
		return OCF_ERR_CONFIGURED;
	}
	if (realpath(mp, d->mp) == NULL &&
	    snprintf(d->mp, sizeof(d->mp), "%s", mp) >= (int)sizeof(d->mp)) {
		log_warnx("parameter mountpoint: too long");
		return OCF_ERR_CONFIGURED;
	}
	if (parse_options(d, agent_param("options")) == -1)
		return OCF_ERR_CONFIGURED;
	return fsc_load(&d->enc);
}

/* Undo mountinfo's octal escapes (\040 for a blank) in place. */
static void
mi_unescape(char *s)
{
	char	*o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

static bool
has_opt(const char *list, const char *opt)
{
	size_t	n = strlen(opt);

	for (const char *p = list; p && *p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, opt, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* Parse one mountinfo line; its mount point into mpath. */
static int
mi_parse(char *line, char **mpath, struct mnt *m)
{
	char	*f[6], *sep, *p = line, *fs, *src, *super;
	int	 i;

	for (i = 0; i < 6; i++) {
		if ((f[i] = strsep(&p, " ")) == NULL)
			return -1;
	}
	if (p == NULL || (sep = strstr(p, "- ")) == NULL)
		return -1;
	sep += 2;
	fs = strsep(&sep, " ");
	src = strsep(&sep, " ");
	super = strsep(&sep, " \n");
	if (fs == NULL || src == NULL ||
	    sscanf(f[2], "%u:%u", &m->major, &m->minor) != 2)
		return -1;
	mi_unescape(f[4]);
	mi_unescape(src);
	*mpath = f[4];
	m->ro = has_opt(f[5], "ro") || has_opt(super, "ro");
	snprintf(m->source, sizeof(m->source), "%s", src);
	return 0;
}

/* The topmost mount on mp: 0 and *m, or -1 if nothing is mounted there. */
static int
mount_lookup(const char *mp, struct mnt *m)
{
	FILE	*f;
	char	*line = NULL, *mpath;
	size_t	 cap = 0;
	int	 found = -1;
	struct mnt cur;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return -1;
	while (getline(&line, &cap, f) != -1) {
		if (mi_parse(line, &mpath, &cur) == 0 &&
		    strcmp(mpath, mp) == 0) {
			*m = cur;	/* later lines are mounted on top */
			found = 0;
		}
	}
	free(line);
	fclose(f);
	return found;
}

/* The mount is of our device: same device number, or same source path. */
static bool
mount_is_ours(const struct disk *d, const struct mnt *m)
{
	struct stat	st;
	char		real[PATH_MAX];

	if (stat(d->device, &st) == 0 && S_ISBLK(st.st_mode) &&
	    major(st.st_rdev) == m->major && minor(st.st_rdev) == m->minor)
		return true;
	return realpath(d->device, real) != NULL &&
	    strcmp(real, m->source) == 0;
}

static int
mkdir_p(const char *path)
{
	char	buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0755) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int	kill_device_users(const struct disk *);
static int	count_device_users(const struct disk *);
static int	disk_stop(struct disk *);

/* Mounted: the key and the encrypted dirs, or back to unmounted. */
static int
disk_start_enc(struct disk *d)
{
	int	r;

	if (!d->enc.on || (r = fsc_start(&d->enc, d->mp, d->device)) ==
	    OCF_SUCCESS)
		return OCF_SUCCESS;
	/* fsc_start removed the key: the reason stays the last line. */
	d->enc.on = false;
	if (disk_stop(d) != OCF_SUCCESS)
		log_warnx("... and %s could not be unmounted again", d->mp);
	return r;
}

static int
disk_start(struct disk *d)
{
	struct mnt	m;
	char		real[PATH_MAX];

	if (mkdir_p(d->mp) == -1) {
		log_warn("mkdir %s", d->mp);
		return OCF_ERR_GENERIC;
	}
	if (realpath(d->mp, real) != NULL)
		snprintf(d->mp, sizeof(d->mp), "%s", real);
	if (mount_lookup(d->mp, &m) == 0) {
		if (mount_is_ours(d, &m))
			return disk_start_enc(d);
		log_warnx("%s: %s is already mounted there", d->mp, m.source);
		return OCF_ERR_GENERIC;
	}
	if (*d->fstype == '\0') {
		log_warnx("parameter fstype is required");
		return OCF_ERR_CONFIGURED;
	}
	/* Leftovers of a detached mount of ours go before we mount again. */
	if (kill_device_users(d) == -1)
		return OCF_ERR_GENERIC;
	if (strncmp(d->fstype, "ext", 3) == 0 && mmp_prepare(d->device) == -1)
		return OCF_ERR_GENERIC;
	if (mount(d->device, d->mp, d->fstype, d->flags,
	    d->data[0] ? d->data : NULL) == -1) {
		log_warn("mount %s on %s", d->device, d->mp);
		return errno == ENODEV ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC;
	}
	return disk_start_enc(d);
}

struct holders {
	const char	*mp;
	pid_t		 pid[MAX_HOLDERS];
	int		 n;
};

static bool
link_under(const char *path, const char *mp)
{
	char	buf[PATH_MAX];

	return agent_readlink(path, buf, sizeof(buf)) == 0 &&
	    agent_path_under(buf, mp);
}

static bool
fds_under(pid_t pid, const char *mp)
{
	char		 dir[64], path[64 + 256];
	DIR		*d;
	struct dirent	*de;
	bool		 hit = false;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return false;
	while (!hit && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		hit = link_under(path, mp);
	}
	closedir(d);
	return hit;
}

static bool
maps_under(pid_t pid, const char *mp)
{
	char	 path[64], *line = NULL, *p;
	size_t	 cap = 0;
	FILE	*f;
	bool	 hit = false;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (!hit && getline(&line, &cap, f) != -1) {
		if ((p = strchr(line, '/')) == NULL)
			continue;
		p[strcspn(p, "\n")] = '\0';
		hit = agent_path_under(p, mp);
	}
	free(line);
	fclose(f);
	return hit;
}

static int
holder_check(pid_t pid, void *arg)
{
	struct holders	*h = arg;
	char		 path[64];
	static const char *const links[] = { "cwd", "root", "exe" };
	size_t		 i;
	bool		 hit = false;

	for (i = 0; i < nitems(links) && !hit; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid,
		    links[i]);
		hit = link_under(path, h->mp);
	}
	if (hit || fds_under(pid, h->mp) || maps_under(pid, h->mp)) {
		if (h->n < MAX_HOLDERS)
			h->pid[h->n++] = pid;
	}
	return 0;
}

static void
holders_find(struct holders *h, const char *mp)
{
	h->mp = mp;
	h->n = 0;
	agent_proc_foreach(holder_check, h);
}

/* Signal the holders; pid 1 is never killed (it would take the node). */
static void
holders_signal(const struct holders *h, int sig)
{
	for (int i = 0; i < h->n; i++) {
		if (h->pid[i] != 1)
			kill(h->pid[i], sig);
	}
}

static void
holders_report(const struct holders *h, const char *mp)
{
	char	line[1024], comm[32];
	size_t	used;

	used = snprintf(line, sizeof(line), "umount %s: Device or resource "
	    "busy; held by", mp);
	for (int i = 0; i < h->n && used < sizeof(line); i++) {
		agent_proc_comm(h->pid[i], comm, sizeof(comm));
		used += snprintf(line + used, sizeof(line) - used, " %d(%s)",
		    (int)h->pid[i], comm);
	}
	if (h->n == 0)
		snprintf(line + used, sizeof(line) - used, " no process "
		    "(a mount below it?)");
	log_warnx("%s", line);
}

/* 0 unmounted (or no longer a mount point), 1 busy, -1 other error. */
static int
try_umount(const char *mp)
{
	if (umount2(mp, UMOUNT_NOFOLLOW) == 0 || errno == EINVAL)
		return 0;
	if (errno == EBUSY)
		return 1;
	log_warn("umount %s", mp);
	return -1;
}

/*
 * Processes still using the file system on the device although it is not
 * mounted at the mount point any more: a lazy (detached) unmount leaves the
 * file system alive, and writable, for as long as they hold it.  Another
 * node must not mount it before they are gone.
 */
struct devusers {
	dev_t	dev;
	pid_t	pid[MAX_HOLDERS];
	int	n;
};

static bool
on_dev(const char *path, dev_t dev)
{
	struct stat	st;

	return stat(path, &st) == 0 && st.st_dev == dev;
}

static int
devuser_check(pid_t pid, void *arg)
{
	struct devusers	*u = arg;
	char		 path[64 + 256], dir[64];
	DIR		*dp;
	struct dirent	*de;
	bool		 hit;

	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	hit = on_dev(path, u->dev);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	hit = hit || on_dev(path, u->dev);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if (!hit && (dp = opendir(dir)) != NULL) {
		while (!hit && (de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			hit = on_dev(path, u->dev);
		}
		closedir(dp);
	}
	if (hit && pid != 1 && u->n < MAX_HOLDERS)
		u->pid[u->n++] = pid;
	return 0;
}

static int
count_device_users(const struct disk *d)
{
	struct devusers	u;
	struct stat	st;

	if (stat(d->device, &st) == -1 || !S_ISBLK(st.st_mode))
		return 0;
	memset(&u, 0, sizeof(u));
	u.dev = st.st_rdev;
	agent_proc_foreach(devuser_check, &u);
	return u.n;
}

/* 0 once nothing uses the device's file system, -1 (said) otherwise. */
static int
kill_device_users(const struct disk *d)
{
	struct devusers	u;
	struct stat	st;
	int		i;

	if (stat(d->device, &st) == -1 || !S_ISBLK(st.st_mode))
		return 0;
	for (;;) {
		memset(&u, 0, sizeof(u));
		u.dev = st.st_rdev;
		agent_proc_foreach(devuser_check, &u);
		if (u.n == 0)
			return 0;
		if (agent_remaining_ms() == 0) {
			log_warnx("%s: %d process(es) still use its file "
			    "system (detached from %s)", d->device, u.n, d->mp);
			return -1;
		}
		for (i = 0; i < u.n; i++)
			kill(u.pid[i], SIGKILL);
		agent_sleep_ms(20);
	}
}

/*
 * Mount namespaces that still have the device's file system mounted after
 * the unmount here: any local user can keep a copy of every mount with
 * `unshare -Urm`, and the file system then lives on, writable, with no
 * process using it by cwd, root or fd.  They are found through each
 * process's mountinfo (by the device's major:minor), one read per mount
 * namespace, and ended: the namespace goes with its last process.
 */
#define MAX_MNTNS	256

struct nsholders {
	unsigned	 major, minor;
	ino_t		 self_ns;
	ino_t		 ns[MAX_MNTNS];
	bool		 ns_has[MAX_MNTNS];
	int		 nns;
	bool		 self_has;	/* our own namespace has it elsewhere */
	pid_t		 pid[MAX_HOLDERS];
	int		 n;
};

static bool
mountinfo_has(pid_t pid, unsigned major, unsigned minor)
{
	char		 path[64], *line = NULL;
	size_t		 cap = 0;
	unsigned	 ma, mi;
	FILE		*f;
	bool		 hit = false;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (!hit && getline(&line, &cap, f) != -1) {
		hit = sscanf(line, "%*s %*s %u:%u", &ma, &mi) == 2 &&
		    ma == major && mi == minor;
	}
	free(line);
	fclose(f);
	return hit;
}

static int
nsholder_check(pid_t pid, void *arg)
{
	struct nsholders	*h = arg;
	char			 path[64];
	struct stat		 st;
	int			 i;
	bool			 has;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (stat(path, &st) == -1)
		return 0;
	for (i = 0; i < h->nns && h->ns[i] != st.st_ino; i++)
		;
	if (i < h->nns)
		has = h->ns_has[i];
	else {
		has = mountinfo_has(pid, h->major, h->minor);
		if (h->nns < MAX_MNTNS) {
			h->ns[h->nns] = st.st_ino;
			h->ns_has[h->nns++] = has;
		}
	}
	if (!has)
		return 0;
	if (st.st_ino == h->self_ns)
		h->self_has = true;
	else if (pid != 1 && h->n < MAX_HOLDERS)
		h->pid[h->n++] = pid;
	return 0;
}

static int
nsholders_find(struct nsholders *h, dev_t dev)
{
	struct stat	st;

	memset(h, 0, sizeof(*h));
	h->major = major(dev);
	h->minor = minor(dev);
	if (stat("/proc/self/ns/mnt", &st) == -1) {
		log_warn("/proc/self/ns/mnt");
		return -1;
	}
	h->self_ns = st.st_ino;
	agent_proc_foreach(nsholder_check, h);
	return 0;
}

/*
 * Is the device's file system still alive?  Each test is per kernel: an
 * ext4 registers /proc/fs/ext4/<dev> for as long as its superblock lives,
 * and a mounted device cannot be opened with O_EXCL.  On separate machines
 * that is this node's kernel only; in the lab every node shares one kernel
 * and one loop device, where it also sees another node's mount (which must
 * not exist while this node releases the disk either).
 */
static bool
fs_alive(dev_t dev, const char *device, char *why, size_t len)
{
	char	 link[64], name[PATH_MAX], path[PATH_MAX + 32], *base;
	int	 fd;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev),
	    minor(dev));
	if (agent_readlink(link, name, sizeof(name)) == 0 &&
	    (base = strrchr(name, '/')) != NULL) {
		snprintf(path, sizeof(path), "/proc/fs/ext4/%s", base + 1);
		if (access(path, F_OK) == 0) {
			snprintf(why, len, "%s still exists", path);
			return true;
		}
	}
	if ((fd = open(device, O_RDONLY | O_EXCL | O_CLOEXEC)) == -1) {
		if (errno != EBUSY)
			return false;
		snprintf(why, len, "open %s O_EXCL: busy", device);
		return true;
	}
	close(fd);
	return false;
}

/*
 * After the unmount: end every other mount namespace that still has the
 * file system, then prove it gone.  0 once it is, -1 (said) when it cannot
 * be made so in time: the stop fails (the group stays here, stop-failed)
 * rather than let another node mount a file system still live here.
 */
static int
release_fs(const struct disk *d, bool unmounted)
{
	struct nsholders	h;
	struct stat		st;
	char			why[PATH_MAX + 64] = "";
	bool			found = false;

	if (kill_device_users(d) == -1)
		return -1;
	if (stat(d->device, &st) == -1 || !S_ISBLK(st.st_mode))
		return 0;
	for (;;) {
		if (nsholders_find(&h, st.st_rdev) == -1)
			return -1;
		found = found || h.n > 0;
		if (h.self_has) {
			log_warnx("%s is still mounted in this node's mount "
			    "namespace (not on %s): unmount it there",
			    d->device, d->mp);
			return -1;
		}
		if (h.n == 0 && ((!unmounted && !found) ||
		    !fs_alive(st.st_rdev, d->device, why, sizeof(why))))
			return 0;
		if (agent_remaining_ms() == 0)
			break;
		for (int i = 0; i < h.n; i++)
			kill(h.pid[i], SIGKILL);
		agent_sleep_ms(20);
	}
	if (h.n > 0) {
		log_warnx("%s: %d process(es) of other mount namespaces still "
		    "have its file system mounted (first: pid %d)", d->device,
		    h.n, (int)h.pid[0]);
	} else {
		log_warnx("%s: its file system is still alive after the "
		    "unmount (%s; a mount namespace held open?)", d->device,
		    why);
	}
	return -1;
}

static int
disk_stop(struct disk *d)
{
	struct mnt	m;
	struct holders	h;
	uint64_t	term_ms, term_until;
	int		r, sig = SIGTERM;

	if (mount_lookup(d->mp, &m) == -1 || !mount_is_ours(d, &m))
		return release_fs(d, false) == 0 ? OCF_SUCCESS :
		    OCF_ERR_GENERIC;
	/* A third of the budget (at most 3 s) for holders to exit cleanly. */
	term_ms = agent_remaining_ms() / 3;
	term_until = now_ms() + (term_ms > 3000 ? 3000 : term_ms);
	for (;;) {
		/*
		 * The key first: should the unmount leave the file system
		 * alive (a mount elsewhere), it is ciphertext all the same.
		 * Files still open keep their inodes' keys until they close;
		 * each round after the holders are signalled tries again.
		 */
		if (d->enc.on)
			(void)fsc_remove_key(&d->enc, d->mp);
		if ((r = try_umount(d->mp)) < 0)
			return OCF_ERR_GENERIC;
		if (r == 0)
			return release_fs(d, true) == 0 ? OCF_SUCCESS :
			    OCF_ERR_GENERIC;
		holders_find(&h, d->mp);
		if (agent_remaining_ms() == 0) {
			holders_report(&h, d->mp);
			return OCF_ERR_GENERIC;
		}
		if (now_ms() >= term_until)
			sig = SIGKILL;
		holders_signal(&h, sig);
		agent_sleep_ms(20);
	}
}

/*
 * In a child, so that a hung device cannot hold the monitor past its time.
 * The mount point's root may be writable by others (the server's user):
 * the test file is made fresh (O_EXCL, no link followed) in the directory
 * opened once, and whatever had its name before is removed, not opened.
 */
static void
write_test_child(const char *mp)
{
	char	path[PATH_MAX + 32];
	int	dfd, fd;

	snprintf(path, sizeof(path), "%s/%s", mp, MONITOR_FILE);
	if ((dfd = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("write test %s", mp);
		_exit(1);
	}
	if (unlinkat(dfd, MONITOR_FILE, 0) == -1 && errno != ENOENT) {
		log_warn("write test: remove %s", path);
		_exit(1);
	}
	fd = openat(dfd, MONITOR_FILE, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, "pgha\n", 5) != 5 || fsync(fd) == -1) {
		log_warn("write test %s", path);
		_exit(1);
	}
	if (close(fd) == -1 || unlinkat(dfd, MONITOR_FILE, 0) == -1) {
		log_warn("write test %s", path);
		_exit(1);
	}
	_exit(0);
}

static int
write_test(const char *mp)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1) {
		log_warn("fork");
		return OCF_ERR_GENERIC;
	}
	if (pid == 0)
		write_test_child(mp);
	if (agent_wait_child(pid, agent_deadline(), &status) == -1) {
		kill(pid, SIGKILL);
		log_warnx("write test on %s did not finish in time (hung "
		    "device?)", mp);
		return OCF_ERR_GENERIC;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? OCF_SUCCESS :
	    OCF_ERR_GENERIC;
}

static int
disk_monitor(struct disk *d)
{
	struct mnt	m;
	int		users;

	if (mount_lookup(d->mp, &m) == -1) {
		/* Not mounted, yet in use: detached, still written to. */
		if ((users = count_device_users(d)) > 0) {
			log_warnx("%s is not mounted on %s but %d process(es) "
			    "still use its file system (a lazy unmount?)",
			    d->device, d->mp, users);
			return OCF_ERR_GENERIC;
		}
		return OCF_NOT_RUNNING;
	}
	if (!mount_is_ours(d, &m)) {
		log_warnx("%s: %s is mounted there, not %s", d->mp, m.source,
		    d->device);
		return OCF_ERR_GENERIC;
	}
	if (m.ro) {
		log_warnx("%s: mounted read-only (file system errors?)",
		    d->mp);
		return OCF_ERR_GENERIC;
	}
	if (d->enc.on && fsc_monitor(&d->enc, d->mp) != OCF_SUCCESS)
		return OCF_ERR_GENERIC;
	return write_test(d->mp);
}

int
disk_main(enum agent_action act)
{
	struct disk	d;
	int		r;

	memset(&d, 0, sizeof(d));
	if ((r = disk_load(&d)) != OCF_SUCCESS)
		return r;
	switch (act) {
	case ACT_START:
		return disk_start(&d);
	case ACT_STOP:
		return disk_stop(&d);
	case ACT_MONITOR:
		return disk_monitor(&d);
	}
	return OCF_ERR_ARGS;
}
