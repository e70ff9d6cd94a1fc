#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

// pipe2 is declared only under _GNU_SOURCE; a pipe created close-on-exec in one call cannot
// leak into a child another thread spawns at the same moment.
static inline int silo_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

// O_DIRECT is declared only under _GNU_SOURCE (glibc always has __O_DIRECT), and its value
// differs between architectures.
static inline int silo_o_direct(void) { return __O_DIRECT; }
