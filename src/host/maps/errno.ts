/**
 * @file Linux errno values the maps and helpers return, negated as the kernel does
 * (include/uapi/asm-generic/errno-base.h, errno.h, include/linux/errno.h).
 */

/** Operation not permitted (`-EPERM`): writing a read-only or frozen map from user space. */
export const EPERM = 1;
/** No such element (`-ENOENT`). */
export const ENOENT = 2;
/** Argument list too long: the map is full (`-E2BIG`). */
export const E2BIG = 7;
/** Bad file descriptor (`-EBADF`). */
export const EBADF = 9;
/** Try again (`-EAGAIN`): `bpf_ringbuf_output` on a full ring. */
export const EAGAIN = 11;
/** Out of memory (`-ENOMEM`). */
export const ENOMEM = 12;
/** Bad address (`-EFAULT`). */
export const EFAULT = 14;
/** Device or resource busy (`-EBUSY`). */
export const EBUSY = 16;
/** Element already exists (`-EEXIST`). */
export const EEXIST = 17;
/** Invalid argument (`-EINVAL`). */
export const EINVAL = 22;
/** No space left (`-ENOSPC`): a full LPM trie. */
export const ENOSPC = 28;
/** Result out of range (`-ERANGE`). */
export const ERANGE = 34;
/** Operation not supported on this object (`-EOPNOTSUPP`). */
export const EOPNOTSUPP = 95;
/** Kernel-internal "operation not supported" (`-ENOTSUPP`, include/linux/errno.h). */
export const ENOTSUPP = 524;
