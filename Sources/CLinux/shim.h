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

// O_DIRECT is declared only under _GNU_SOURCE (glibc always has __O_DIRECT), and its value
// differs between architectures.
static inline int silo_o_direct(void) { return __O_DIRECT; }

// ioctl is variadic, which Swift cannot call: the width of the terminal on fd, 0 when fd is
// not a terminal or does not know its size.
static inline int silo_terminal_columns(int fd) {
    struct winsize size;
    return ioctl(fd, TIOCGWINSZ, &size) == 0 ? size.ws_col : 0;
}
