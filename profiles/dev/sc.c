/*
 * sc: a tiny static program for smoke-testing the shipped seccomp profiles.
 *
 * Usage: sc CALL...   where CALL is ABI:NR[:A0,A1,...] and ABI is 64 (native), 32 (i386 via
 * int 0x80, x86_64 only) or x32 (x86_64 only, bit 30 set in NR). An argument written as
 * w40/1/0 is a pointer to those 32-bit words (for socketcall). Each call runs in a forked
 * child, so a kill is reported instead of ending the run. One line per call:
 *   ABI:NR ret=R errno=E   or   ABI:NR signal=S si_code=C
 * "sc -n CALL..." runs the calls in the process itself, without fork and wait4 (for allow-lists
 * that deny them); a kill then ends the run.
 * "sc serve PORT" accepts one TCP connection with epoll, answers "ok\n" and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint32_t words[6][8];

#if defined(__x86_64__)
/* An i386 call through int 0x80; returns the raw kernel value (-errno on failure). */
static long i386_call(long nr, long a[6]) {
  long ret;
  register long ebx __asm__("rbx") = a[0];
  __asm__ volatile("push %%rbp\n\tmov %7, %%rbp\n\tint $0x80\n\tpop %%rbp"
                   : "=a"(ret)
                   : "0"(nr), "r"(ebx), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), "m"(a[5])
                     : "memory");
  return ret;
}
#endif

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  char buf[96];
  int n = snprintf(buf, sizeof buf, "signal=%d si_code=%d si_syscall=%d si_errno=%d\n", sig,
                   si->si_code, si->si_syscall, si->si_errno);
  write(1, buf, n);
  _exit(0);
}

static int serve(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (s < 0 || bind(s, (void *)&sa, sizeof sa) || listen(s, 16)) { perror("listen"); return 1; }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("listening on %d\n", port);
  fflush(stdout);
  if (epoll_wait(ep, &ev, 1, 30000) != 1) { perror("epoll_wait"); return 1; }
  int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) { perror("accept4"); return 1; }
  char buf[64];
  read(c, buf, sizeof buf);
  write(c, "ok\n", 3);
  close(c);
  printf("served\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(atoi(argv[2]));
  int inline_calls = argc > 1 && strcmp(argv[1], "-n") == 0;
  for (int i = 1 + inline_calls; i < argc; i++) {
    char abi[8] = {0};
    long nr = 0, a[6] = {0};
    char *spec = strdup(argv[i]), *save = NULL;
    char *p = strtok_r(spec, ":", &save);
    snprintf(abi, sizeof abi, "%s", p);
    nr = strtol(strtok_r(NULL, ":", &save), NULL, 0);
    char *args = strtok_r(NULL, ":", &save);
    for (int k = 0; args && k < 6; k++) {
      char *comma = strchr(args, ',');
      if (comma) *comma = 0;
      if (args[0] == 'w') {
        int n = 0;
        for (char *w = strtok(args + 1, "/"); w && n < 8; w = strtok(NULL, "/"))
          words[k][n++] = (uint32_t)strtoul(w, NULL, 0);
        a[k] = (long)(uintptr_t)words[k];
      } else {
        a[k] = (long)strtoull(args, NULL, 0);
      }
      args = comma ? comma + 1 : NULL;
    }
    fflush(stdout);
    pid_t pid = inline_calls ? 0 : fork();
    if (pid == 0) {
      struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
      sigaction(SIGSYS, &sa, NULL);
      long r;
#if defined(__x86_64__)
      if (strcmp(abi, "32") == 0) {
        r = i386_call(nr, a);
        printf("%s ret=%ld errno=%ld\n", argv[i], r < 0 && r > -4096 ? -1 : r,
               r < 0 && r > -4096 ? -r : 0);
        fflush(stdout);
        if (inline_calls) continue;
        _exit(0);
      }
#endif
      errno = 0;
      long nr2 = nr;
#if defined(__x86_64__)
      if (strcmp(abi, "x32") == 0) nr2 |= 0x40000000;
#endif
      r = syscall(nr2, a[0], a[1], a[2], a[3], a[4], a[5]);
      printf("%s ret=%ld errno=%d\n", argv[i], r, r == -1 ? errno : 0);
      fflush(stdout);
      if (inline_calls) continue;
      _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) printf("%s killed signal=%d\n", argv[i], WTERMSIG(st));
    free(spec);
  }
  return 0;
}
