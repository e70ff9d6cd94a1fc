#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>

// pipe2 is declared only under _GNU_SOURCE; a pipe created close-on-exec in one call cannot
// leak into a child another thread spawns at the same moment.
static inline int silo_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

// silo blocks SIGINT and SIGTERM in its threads (a sigwait thread handles them); a child it
// spawns gets the ordinary mask and dispositions, so that Ctrl-C and kill stop it too.
static inline int silo_spawnattr_default_signals(posix_spawnattr_t *attributes) {
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigmask(attributes, &empty);
    posix_spawnattr_setsigdefault(attributes, &defaults);
    return posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

// A hook of `silo run`: default signal handling as above, and a process group of its own, so
// that a timeout (or an interrupted run) can end the hook with everything it started.
static inline int silo_spawnattr_hook(posix_spawnattr_t *attributes) {
    silo_spawnattr_default_signals(attributes);
    posix_spawnattr_setpgroup(attributes, 0);
    return posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
}

// O_DIRECT is declared only under _GNU_SOURCE (glibc always has __O_DIRECT), and its value
// differs between architectures.
static inline int silo_o_direct(void) { return __O_DIRECT; }

// ioctl is variadic, which Swift cannot call: the width of the terminal on fd, 0 when fd is
// not a terminal or does not know its size.
static inline int silo_terminal_columns(int fd) {
    struct winsize size;
    return ioctl(fd, TIOCGWINSZ, &size) == 0 ? size.ws_col : 0;
}
