/*
 * replay.c - runs a libFuzzer harness without libFuzzer: every file named
 * on the command line, and every regular file in the directories named,
 * is fed once to LLVMFuzzerTestOneInput.  Each input is copied into a
 * buffer of exactly its size, so a sanitizer build catches reads past it.
 * Exits 1 if nothing was replayed: an empty corpus tests nothing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	FILE		*f = fopen(path, "rb");
	struct stat	 st;
	uint8_t		*buf;
	size_t		 n;

	if (f == NULL || fstat(fileno(f), &st) == -1) {
		perror(path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if ((buf = malloc(st.st_size ? st.st_size : 1)) == NULL)
		abort();
	n = fread(buf, 1, st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

/* Files of dir in name order, so runs are reproducible. */
static int
replay_dir(const char *dir, int *count)
{
	struct dirent	**ents;
	struct stat	  st;
	char		 *path;
	int		  i, n, err = 0;

	if ((n = scandir(dir, &ents, NULL, alphasort)) == -1) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (asprintf(&path, "%s/%s", dir, ents[i]->d_name) == -1)
			abort();
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) == 0)
				(*count)++;
			else
				err = -1;
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	return err;
}

int
main(int argc, char **argv)
{
	struct stat	st;
	int		i, count = 0, err = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) == -1)
				err = 1;
		} else if (replay_file(argv[i]) == 0)
			count++;
		else
			err = 1;
	}
	printf("replayed %d inputs\n", count);
	if (count == 0) {
		fprintf(stderr, "%s: no input replayed\n", argv[0]);
		return 1;
	}
	return err;
}
