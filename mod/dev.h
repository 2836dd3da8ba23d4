/* SPDX-License-Identifier: GPL-2.0 */
/* The /dev/zcpool character device (a miscdevice). */
#ifndef _ZCPOOL_DEV_H
#define _ZCPOOL_DEV_H

int zcpool_dev_init(void);
void zcpool_dev_exit(void);

#endif /* _ZCPOOL_DEV_H */
