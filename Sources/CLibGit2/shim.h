#ifndef MODCHECK_CLIBGIT2_SHIM_H
#define MODCHECK_CLIBGIT2_SHIM_H
#include <string.h>
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

/* glibc hides memmem behind _GNU_SOURCE; Swift's importer needs it declared. */
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

/* git_libgit2_opts is variadic, which Swift cannot call: wrap the options modcheck sets. */
static inline int modcheck_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
static inline int modcheck_git_set_strict_object_creation(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, enabled);
}
static inline int modcheck_git_set_cache_max_size(long long bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)bytes);
}
static inline int modcheck_git_set_cache_object_limit(git_object_t type, size_t bytes) {
    return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, type, bytes);
}
static inline int modcheck_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}
#endif
