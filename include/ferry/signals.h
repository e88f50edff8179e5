/*
 * signals.h - SIGTERM/SIGINT/SIGHUP turned into flags and a pollable fd.
 *
 * The handlers only set a flag and write one byte to a self-pipe (nothing
 * else is async-signal-safe); the loops act on the flags at points of their
 * choosing.  A second SIGTERM/SIGINT while a stop is already under way
 * ends the process at once with exit code 1: safe, because recovery is
 * always replay from the checkpoint committed in the target.
 */
#ifndef FERRY_SIGNALS_H
#define FERRY_SIGNALS_H

#include <stdbool.h>

#include "ferry/err.h"

/* Install the handlers (once per process). */
int signals_install(struct err *e) FERRY_MUSTCHECK;
/* True once SIGTERM/SIGINT arrived or signals_request_stop() was called. */
bool signals_stop_requested(void);
/* Ask for a stop from code (e.g. --until reached, fatal error). */
void signals_request_stop(void);
/* True once per SIGHUP (the call clears it). */
bool signals_take_reload(void);
/* Read end of the self-pipe: readable after any of the signals.  -1
 * before signals_install(). */
int signals_fd(void);
/* Forget a previous stop request (tests run several pipelines). */
void signals_reset(void);

#endif
