// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - events (being written).
 */

#include "kipc.h"

/**
 * kipc_event_create_ioctl() - KIPC_IOC_EVENT_CREATE
 * @arg: user pointer to the create struct
 *
 * Return: -ENOTTY until events exist.
 */
long kipc_event_create_ioctl(void __user *arg)
{
	return -ENOTTY;
}
