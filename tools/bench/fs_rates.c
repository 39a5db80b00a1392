// fs_rates.c - the filesystem half of tools/bench/limits.sh: how many of
// each operation one process gets through per second on DIR's filesystem,
// in C so that the figure is the kernel's and the disk's, not an
// interpreter's. Prints "link mkdir create fsync syncfs" (operations per
// second; syncfs: calls per second, each after 100 new 4 KiB files).
//
//   cc -O2 -o fs_rates fs_rates.c && ./fs_rates DIR
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char data[4096];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char* what, const char* path) {
  fprintf(stderr, "fs_rates: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

// A new directory DIR/name; its path in out.
static void fresh(const char* dir, const char* name, char* out, size_t size) {
  snprintf(out, size, "%s/%s", dir, name);
  if (mkdir(out, 0755) != 0) die("mkdir", out);
}

static double links(const char* dir, int n) {
  char d[4096], src[4200], p[4200];
  fresh(dir, "link", d, sizeof d);
  snprintf(src, sizeof src, "%s/src", d);
  int fd = open(src, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) die("create", src);
  close(fd);
  double start = now();
  for (int i = 0; i < n; ++i) {
    snprintf(p, sizeof p, "%s/%d", d, i);
    if (link(src, p) != 0) die("link", p);
  }
  return n / (now() - start);
}

static double mkdirs(const char* dir, int n) {
  char d[4096], p[4200];
  fresh(dir, "mkdir", d, sizeof d);
  double start = now();
  for (int i = 0; i < n; ++i) {
    snprintf(p, sizeof p, "%s/%d", d, i);
    if (mkdir(p, 0755) != 0) die("mkdir", p);
  }
  return n / (now() - start);
}

static void write_file(const char* p, int sync) {
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) die("create", p);
  if (write(fd, data, sizeof data) != (ssize_t)sizeof data) die("write", p);
  if (sync && fsync(fd) != 0) die("fsync", p);
  close(fd);
}

static double creates(const char* dir, const char* name, int n, int sync) {
  char d[4096], p[4200];
  fresh(dir, name, d, sizeof d);
  double start = now();
  for (int i = 0; i < n; ++i) {
    snprintf(p, sizeof p, "%s/%d", d, i);
    write_file(p, sync);
  }
  return n / (now() - start);
}

static double syncfs_rate(const char* dir, int rounds, int per) {
  char d[4096], p[4200];
  fresh(dir, "syncfs", d, sizeof d);
  int dfd = open(d, O_RDONLY | O_DIRECTORY);
  if (dfd < 0) die("open", d);
  double start = now();
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < per; ++i) {
      snprintf(p, sizeof p, "%s/%d-%d", d, r, i);
      write_file(p, 0);
    }
    if (syncfs(dfd) != 0) die("syncfs", d);
  }
  double rate = rounds / (now() - start);
  close(dfd);
  return rate;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fs_rates DIR (an empty directory)\n");
    return 2;
  }
  memset(data, 'x', sizeof data);
  sync();
  double l = links(argv[1], 20000);
  double m = mkdirs(argv[1], 20000);
  double c = creates(argv[1], "create", 20000, 0);
  double f = creates(argv[1], "fsync", 1000, 1);
  double s = syncfs_rate(argv[1], 100, 100);
  printf("%.0f %.0f %.0f %.0f %.1f\n", l, m, c, f, s);
  return 0;
}
