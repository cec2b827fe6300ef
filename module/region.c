// SPDX-License-Identifier: GPL-2.0
/*
 * kipc - regions (being written).
 */

#include "kipc.h"

/**
 * kipc_region_create_ioctl() - KIPC_IOC_REGION_CREATE
 * @arg: user pointer to the create struct
 *
 * Return: -ENOTTY until regions exist.
 */
long kipc_region_create_ioctl(void __user *arg)
{
	return -ENOTTY;
}
