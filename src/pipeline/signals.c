/*
 * signals.c - signal flags and self-pipe (see signals.h).
 */
#include "ferry/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;
static int pipe_fds[2] = { -1, -1 };

static void poke(void)
{
	int saved = errno;
	char b = 1;

	/* a full pipe already says "something happened" */
	if (pipe_fds[1] >= 0 && write(pipe_fds[1], &b, 1) < 0)
		b = 0;
	errno = saved;
}

static void on_stop(int sig)
{
	static const char msg[] = "ferry: second stop signal, exiting now\n";

	(void)sig;
	if (stop_flag) {
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(1);
		_exit(1);
	}
	stop_flag = 1;
	poke();
}

static void on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
	poke();
}

int signals_install(struct err *e)
{
	struct sigaction sa;

	if (pipe_fds[0] < 0 && pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_set(e, FERRY_EIO, "could not create signal pipe: %s",
			       strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return err_set(e, FERRY_EIO, "could not install handler: %s",
			       strerror(errno));
	sa.sa_handler = on_hup;
	if (sigaction(SIGHUP, &sa, NULL))
		return err_set(e, FERRY_EIO, "could not install handler: %s",
			       strerror(errno));
	/* a vanished target must surface as an error, not kill us */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

bool signals_stop_requested(void)
{
	return stop_flag != 0;
}

void signals_request_stop(void)
{
	stop_flag = 1;
	poke();
}

bool signals_take_reload(void)
{
	if (!reload_flag)
		return false;
	reload_flag = 0;
	return true;
}

int signals_fd(void)
{
	return pipe_fds[0];
}

void signals_reset(void)
{
	char drain[64];

	stop_flag = 0;
	reload_flag = 0;
	while (pipe_fds[0] >= 0 && read(pipe_fds[0], drain, sizeof(drain)) > 0)
		;
}
