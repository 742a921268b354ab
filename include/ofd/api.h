/*
 * OFD_API marks what the core exports to custom segment modules (`overflowd -p FILE.so`).
 *
 * The core is built with -fvisibility=hidden: a function declared in include/ofd/ without
 * OFD_API is internal and a module that calls it fails to load. Mark only the segment-facing
 * API (the functions declared under include/ofd/); static inline helpers need no mark.
 */
#ifndef OFD_API_H
#define OFD_API_H

#define OFD_API __attribute__((visibility("default")))

#endif
