/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the tuntap_rs selftests. */
#ifndef TUNTAP_RS_SELFTESTS_COMMON_H
#define TUNTAP_RS_SELFTESTS_COMMON_H

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

/* Runs `fn(arg)` in a child and returns what the child returned (an errno or 0). */
static inline int in_child(int (*fn)(const void *), const void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Drops CAP_NET_ADMIN from the effective set, keeps root's uid and its other capabilities. */
static inline int drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(__NR_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	return syscall(__NR_capset, &hdr, data);
}

#endif /* TUNTAP_RS_SELFTESTS_COMMON_H */
