/*
 * mmp.c - ext4 multi-mount protection (MMP) at the disk agent's start.
 *
 * With MMP a mounted ext4 rewrites a sequence number in its MMP block
 * every mmp_update_interval seconds.  A clean unmount leaves the block
 * "clean" and the next mount is immediate.  After an unclean end (power
 * loss, fence, panic) the block still says "in use", and the kernel's
 * mount then waits twice 2 * max(5, 5 * interval) + 1 seconds to be sure
 * nobody updates it: 22 s at interval 1, 45 s at the default 5, measured
 * here.  That is every failover after a power loss.
 *
 * pgha starts a disk only once every other node of the cluster is known
 * to run nothing of the group (docs/safety.md, rule 1), so that wait only
 * guards against what pgha cannot see: a mount by hand, or a host outside
 * the cluster.  mmp_prepare() does the same check as the kernel over a
 * window of two update intervals, from the block itself (O_DIRECT, no
 * cache): a holder that is alive updates it in that time, and the start
 * is refused, naming the host the block names.  Unchanged, the block is
 * stale; it is marked clean (tune2fs -f -E clear_mmp, which keeps the
 * block's checksum right) and the kernel mounts at once, writing its own
 * new sequence number.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_util.h"
#include "log.h"
#include "mmp.h"
#include "util.h"

#define SB_OFFSET		1024
#define SB_MAGIC		0xEF53
#define INCOMPAT_MMP		0x0100
#define MMP_MAGIC		0x004D4D50U
#define MMP_SEQ_CLEAN		0xFF4D4D50U
#define MMP_SEQ_FSCK		0xE24D4D50U
#define IO_ALIGN		4096
#define POLL_MS			100
#define TUNE2FS			"/sbin/tune2fs"

struct mmp_block {
	uint32_t	seq;
	char		node[65];	/* the host that wrote it */
	char		bdev[33];
};

static uint32_t
le32_at(const unsigned char *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint16_t
le16_at(const unsigned char *p)
{
	uint16_t	v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint64_t
le64_at(const unsigned char *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* IO_ALIGN bytes around offset off, past the page cache, into buf. */
static int
read_direct(int fd, off_t off, unsigned char *buf)
{
	off_t	base = off & ~(off_t)(IO_ALIGN - 1);

	if (pread(fd, buf, IO_ALIGN, base) != IO_ALIGN)
		return -1;
	if (base != off)
		memmove(buf, buf + (off - base), IO_ALIGN - (off - base));
	return 0;
}

static int
mmp_read(int fd, off_t at, struct mmp_block *m, unsigned char *buf)
{
	if (read_direct(fd, at, buf) == -1)
		return -1;
	if (le32_at(buf) != MMP_MAGIC) {
		errno = EINVAL;
		return -1;
	}
	m->seq = le32_at(buf + 4);
	memcpy(m->node, buf + 16, 64);
	m->node[64] = '\0';
	memcpy(m->bdev, buf + 80, 32);
	m->bdev[32] = '\0';
	return 0;
}

/* tune2fs -f -E clear_mmp DEVICE, within the operation's deadline. */
static int
mmp_clear(const char *device)
{
	char	*argv[] = { TUNE2FS, "-f", "-E", "clear_mmp",
			    (char *)device, NULL };
	struct agent_spawn	 sp = { .argv = argv,
				    .pgrp = AGENT_SPAWN_SAME_GROUP,
				    .in = AGENT_SPAWN_KEEP,
				    .out = STDERR_FILENO,
				    .err = AGENT_SPAWN_KEEP };
	int	 status;
	pid_t	 pid;

	if ((pid = agent_spawn(&sp)) == -1) {
		log_warn("fork");
		return -1;
	}
	if (agent_spawn_wait(pid, false, 0, &status) == -1) {
		log_warnx("%s: %s did not finish in time", device, TUNE2FS);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("%s: %s -f -E clear_mmp failed (status %d)", device,
		    TUNE2FS, status);
		return -1;
	}
	return 0;
}

/*
 * Watch an "in use" block for two update intervals; 0 once it is found
 * stale and cleared, -1 (said why) if it changed or on error.
 */
static int
mmp_takeover(int fd, const char *device, off_t at, unsigned interval,
    const struct mmp_block *first, unsigned char *buf)
{
	struct mmp_block	m;
	uint64_t		t0 = now_ms(), window = 2000ULL * interval;

	while (now_ms() - t0 < window) {
		if (agent_remaining_ms() < POLL_MS) {
			log_warnx("%s: no time left to check its multi-mount "
			    "protection block", device);
			return -1;
		}
		agent_sleep_ms(POLL_MS);
		if (mmp_read(fd, at, &m, buf) == -1) {
			log_warn("%s: reading its multi-mount protection "
			    "block", device);
			return -1;
		}
		if (m.seq != first->seq) {
			log_warnx("%s is in use by another host: its ext4 "
			    "multi-mount protection block changed within %u "
			    "ms (written by host \"%s\", device %s): unmount "
			    "it there first", device,
			    (unsigned)(now_ms() - t0), m.node, m.bdev);
			return -1;
		}
	}
	printf("disk: %s: multi-mount protection block of host \"%s\" "
	    "unchanged for %u ms: stale, cleared\n", device, first->node,
	    (unsigned)(now_ms() - t0));
	return mmp_clear(device);
}

int
mmp_prepare(const char *device)
{
	unsigned char		*buf = NULL;
	struct mmp_block	 m;
	unsigned		 bs, interval;
	uint64_t		 blk;
	int			 fd, r = -1;

	if ((fd = open(device, O_RDONLY | O_DIRECT | O_CLOEXEC)) == -1)
		return 0;	/* mount(2) will say what is wrong */
	if (posix_memalign((void **)&buf, IO_ALIGN, IO_ALIGN) != 0) {
		log_warnx("out of memory");
		goto out;
	}
	if (read_direct(fd, SB_OFFSET, buf) == -1 ||
	    le16_at(buf + 0x38) != SB_MAGIC ||
	    !(le32_at(buf + 0x60) & INCOMPAT_MMP)) {
		r = 0;		/* not ext4 with MMP: nothing to do */
		goto out;
	}
	bs = 1024U << (le32_at(buf + 0x18) & 7);
	interval = le16_at(buf + 0x166);
	blk = le64_at(buf + 0x168);
	if (interval == 0)
		interval = 5;	/* the kernel's default */
	if (mmp_read(fd, (off_t)(blk * bs), &m, buf) == -1) {
		r = 0;		/* let the kernel judge a damaged block */
		goto out;
	}
	if (m.seq == MMP_SEQ_CLEAN)
		r = 0;
	else if (m.seq == MMP_SEQ_FSCK)
		log_warnx("%s is being checked (e2fsck or tune2fs on host "
		    "\"%s\"): wait until it is done", device, m.node);
	else
		r = mmp_takeover(fd, device, (off_t)(blk * bs), interval, &m,
		    buf);
out:
	free(buf);
	close(fd);
	return r;
}
