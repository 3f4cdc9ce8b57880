"""Names of kernel threads, which miners copy so that `ps` output looks harmless.

A real kernel thread has the PF_KTHREAD flag and no user memory; a process
with one of these names and an executable of its own is masquerading (T1036).
"""

import re

KERNEL_THREAD_NAME = re.compile(
    r"^(?:\[.*\]"
    r"|kworker|kthreadd|ksoftirqd|kswapd|kcompactd|khugepaged|kdevtmpfs|kauditd|kblockd"
    r"|kintegrityd|khungtaskd|kthrotld|kstrp|ksmd|kpsmoused|kacpid|kcryptd|kdmflush"
    r"|migration/|watchdog/|watchdogd|cpuhp/|idle_inject/|rcu_|rcub/|rcuc/|rcuo|irq/"
    r"|jbd2/|ext4-rsv-conver|writeback|oom_reaper|netns$|mm_percpu_wq|scsi_eh_|scsi_tmf_"
    r"|xfs-|xfsaild/|nvme-|ttm_swap|edac-poller|devfreq_wq|inet_frag_wq|zswap|kaluad|ipv6_addrconf"
    r"|md\d*_raid|raid5wq|dm_bufio_cache|kmpath|card\d+-crtc)"
)

PF_KTHREAD = 0x00200000
"""The task flag (include/linux/sched.h) the kernel sets on its own threads."""


def looks_like_kernel_thread(name: str) -> bool:
    return bool(KERNEL_THREAD_NAME.match(name))
