#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <malloc.h>
