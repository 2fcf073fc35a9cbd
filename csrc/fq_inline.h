/* FQ_INLINE: a static inline function in C, also for MSVC's C compiler (``__inline``). */
#ifndef FQ_INLINE_H
#define FQ_INLINE_H
#if defined(_MSC_VER) && !defined(__cplusplus)
#define FQ_INLINE static __inline
#else
#define FQ_INLINE static inline
#endif
#endif
