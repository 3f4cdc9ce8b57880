"""What each record field means, for the record types whose dataclasses do not say it.

`irkit.evidence.schema` writes these into the JSON Schemas and docs/records.md. A field's
attribute docstring in its dataclass wins over an entry here (records.py's types use those);
an entry here lets a collector's dataclass stay a bare list of fields. Keyed by record type
(`kind`), then field name; the schema check fails when a field has no meaning.
"""

_PROC_READ = "; null when it could not be read"
_HOST_COPY = "of the copied file (`member`); null for symlink records"
_REVIEW_TIME = "when the review ran (UTC)"

MEANINGS: dict[str, dict[str, str]] = {
    "process": {
        "pid": "process id (a directory of `/proc`, or a hidden pid found by the probe)",
        "ppid": "parent pid from `/proc/PID/stat`" + _PROC_READ,
        "name": "`comm` (15 chars, what `ps -o comm` shows; set by `prctl(PR_SET_NAME)`)"
        + _PROC_READ,
        "exe": "`/proc/PID/exe` target without the ` (deleted)` suffix; null for kernel threads "
        "or when denied",
        "cmdline": "argv, NUL-split, lossless",
        "cwd": "`/proc/PID/cwd`",
        "uid": "real uid (`/proc/PID/status`; null when not a bounded number)",
        "gid": "real gid (`/proc/PID/status`; null when not a bounded number)",
        "user": "name of `uid` in the collected root's `/etc/passwd`",
        "start_time": "boot time (`/proc/stat` btime) + start ticks; null without a usable btime",
        "state": "`R`, `S`, `D`, `Z`, ..." + _PROC_READ,
        "threads": "thread count" + _PROC_READ,
        "rss": "resident size in bytes" + _PROC_READ,
        "vms": "virtual size in bytes" + _PROC_READ,
        "cpu_percent": "CPU used over one sampling interval (option `cpu_interval`, default 0.5 s) "
        "for all processes at once; 100 = one core",
        "cgroup": "unified (v2) cgroup path, else the first v1 controller's",
        "container_id": "64-hex id implied by the cgroup (docker, containerd/CRI, cri-o, podman, "
        "kubelet)",
        "container_runtime": "`docker`, `cri-containerd`, `cri-o`, `podman`, `kubernetes`",
        "pod_uid": "Kubernetes pod uid from a `kubepods` cgroup",
        "namespaces": "namespace inode per kind (`net`, `pid`, `mnt`, `user`, ...)",
        "ld_preload": "`LD_PRELOAD` from `/proc/PID/environ`",
        "exe_sha256": "sha256 of the whole executable, read through `/proc/PID/exe` (works for "
        "deleted files); each file hashed once, keyed by device/inode/size/mtime; null when it "
        "is larger than the `hash_bytes` limit or unreadable (never a prefix's hash; for a "
        "recovered binary it is its `file` record's `sha256`)",
        "exe_deleted": "the link ends in ` (deleted)`",
        "flags": "`exe-deleted`; `exe-in-writable-dir` (/tmp, /var/tmp, /dev/shm, /run/shm, "
        "/dev/mqueue, or a world-writable directory); `exe-in-hidden-dir` (a dot-directory in "
        "the path); `kernel-thread-imitation` (name or argv[0] like `kworker/…`, `kthreadd`, "
        "`[…]`, but without the kernel's PF_KTHREAD flag); `hidden-pid`",
        "exe_member": "bundle member holding the binary recovered from `/proc/PID/exe` "
        "(`files/proc/PID/exe`), for deleted executables only; cut at the `executable_bytes` "
        "limit (its `file` record then says `partial`, `cap`)",
    },
    "socket": {
        "proto": "`tcp`, `tcp6`, `udp`, `udp6`, `unix`",
        "local_address": "for `unix`: the socket path (`@name` for abstract)",
        "local_port": "null for `unix`",
        "remote_address": "null for `unix`",
        "remote_port": "null for `unix`",
        "state": "TCP state (`LISTEN`, `ESTABLISHED`, `TIME_WAIT`, ...); UDP `UNCONN`/"
        "`ESTABLISHED`; unix sockets are only recorded when listening (`LISTEN`)",
        "pid": "first process holding the socket inode (`/proc/PID/fd/*` → `socket:[inode]`)",
        "process_name": "`comm` of `pid`",
        "inode": "socket inode (0 for TIME_WAIT)",
        "flags": "`pool-port`: remote port in `irkit.knowledge.pools.POOL_PORTS`",
        "pids": "every process holding it (after fork, several)",
        "uid": "socket owner uid from the table",
        "netns": "network namespace inode whose table held the socket",
        "source": "the procfs table read (`/proc/net/tcp`, or `/proc/PID/net/tcp` for another "
        "namespace)",
    },
    "persistence": {
        "mechanism": "`cron`, `anacron`, `at`, `systemd`, `init.d`, `rc.local`, `shell-rc`, "
        "`ld.so.preload`, `authorized_keys`, `udev`, `modules-load`, `motd`, `xdg-autostart`",
        "source": "host path of the file (or symlink)",
        "line": "1-based line of the entry (first line of a continued line); null where the whole "
        "file is the entry (scripts in cron.daily, init.d, update-motd.d) or for a symlink",
        "owner": "account the entry runs as or belongs to: the crontab user field, the user "
        "crontab's name, systemd `User=`, the home's owner for per-user files, else the file "
        "owner's name",
        "schedule": "cron expression or `@reboot`; `hourly`/`daily`/...; at: the UTC run time "
        "from the job name; anacron `every N day(s), M min`; systemd `WantedBy=…` or a timer's "
        "`OnCalendar=…`; `boot`, `login shell`, `ssh login`, `device event`, `desktop login`, ...",
        "command": "what runs: the command line, script path, library (`ld.so.preload`), module "
        'name, `command="…"` of a key (null for a plain key), the unit a timer starts, a '
        "symlink's target; null for environment lines",
        "mtime": "modification time " + _HOST_COPY,
        "ctime": "inode change time " + _HOST_COPY,
        "sha256": "sha256 " + _HOST_COPY,
        "member": "bundle member holding the copied file; null for symlink records",
        "detail": "per mechanism: `environment` (`NAME=value` lines of crontabs), `unit`/`key`/"
        "`wanted_by` (systemd), `link`/`masked` (symlinks), `interpreter`/`elf` (scripts), "
        "`key_type`/`fingerprint`/`comment`/`options` (SSH keys), `uid` (at; null when the "
        "`# atrun uid=` line holds no 32-bit number), `job_id` (anacron), `rule` (udev)",
    },
    "account": {
        "name": "account name",
        "uid": "user id",
        "gid": "primary group id",
        "gecos": "the comment field",
        "home": "home directory",
        "shell": "login shell",
        "source": "the file read (`/etc/passwd`; `/etc/shadow` is never read)",
        "line": "1-based line in `source`",
        "flags": "`uid-0-not-root` (uid 0 under another name), `login-shell` (a shell that is "
        "not nologin/false)",
    },
    "group": {
        "name": "group name",
        "gid": "group id",
        "members": "member account names",
        "source": "the file read (`/etc/group`)",
        "line": "1-based line in `source`",
    },
    "sudo_rule": {
        "source": "`/etc/sudoers` or a file of `/etc/sudoers.d`",
        "line": "1-based line of the rule (its first line when continued)",
        "rule": "the rule, continuation lines joined",
        "include": "target of `#include`/`@includedir`, else null",
        "flags": "`nopasswd`",
    },
    "session": {
        "source": "the utmp file read (`/var/run/utmp`; for `login`, wtmp or btmp)",
        "entry_type": "`USER_PROCESS`, `BOOT_TIME`, `DEAD_PROCESS`, ...",
        "user": "user name of the entry",
        "line": "terminal (`pts/0`, `tty1`, `~` for boot marks)",
        "host": "remote host name as the entry holds it",
        "address": "remote IPv4/IPv6 address; null when none",
        "pid": "login process id",
        "time": "time of the entry (UTC)",
    },
    "login": {
        "failed": "true for a btmp entry (a failed login)",
    },
    "kernel_module": {
        "name": "module name",
        "size": "bytes of the loaded module; null when unreadable",
        "refcount": "use count; null when unreadable",
        "used_by": "modules using it",
        "state": "`Live`, `Loading`, `Unloading`; null when unreadable",
        "address": "load address as `/proc/modules` shows it (zero under kptr_restrict)",
        "taint": "the taint letters, e.g. `OE`",
        "flags": "`out-of-tree`, `unsigned`, or `not-in-proc-modules` for a loadable module "
        "present in `/sys/module` (it has `initstate`) but unlinked from `/proc/modules` (hidden)",
    },
    "kernel_taint": {
        "value": "`/proc/sys/kernel/tainted`",
        "flags": 'each set bit in words, e.g. `"O: out-of-tree module loaded"`',
    },
    "gpu": {
        "index": "NVML device index",
        "name": "product name",
        "uuid": "GPU UUID",
        "pci_bus_id": "PCI bus id",
        "driver_version": "NVIDIA driver version",
        "utilization_gpu": "GPU utilisation, percent",
        "utilization_memory": "memory controller utilisation, percent",
        "memory_total": "bytes of device memory",
        "memory_used": "bytes of device memory in use",
        "temperature_c": "temperature, °C",
        "power_watts": "power draw, W",
        "errors": "NVML queries this GPU does not support",
    },
    "gpu_process": {
        "gpu_index": "index of the GPU (`gpu` record)",
        "gpu_uuid": "UUID of the GPU",
        "pid": "process using the GPU",
        "used_memory": "bytes of device memory it uses; null when NVML does not say",
        "context": "`compute` or `graphics`",
    },
    "host": {
        "hostname": "`/proc/sys/kernel/hostname`",
        "kernel_release": "`/proc/sys/kernel/osrelease`",
        "kernel_version": "`/proc/sys/kernel/version`",
        "os_release": "the `KEY=value` pairs of the root's `/etc/os-release`",
        "machine_id": "`/etc/machine-id`",
        "boot_id": "`/proc/sys/kernel/random/boot_id`",
        "boot_time": "`btime` of `/proc/stat` (UTC)",
        "uptime_seconds": "`/proc/uptime`",
        "timezone": "the root's `/etc/timezone` or the target of `/etc/localtime`",
        "cpu_count": "processors in `/proc/cpuinfo`",
        "cpu_model": "`model name` of `/proc/cpuinfo`",
        "memory_total_bytes": "`MemTotal` of `/proc/meminfo`, in bytes",
    },
    "memory-symbols": {
        "btf_member": "bundle member holding `/sys/kernel/btf/vmlinux`",
        "kallsyms_member": "bundle member holding `/proc/kallsyms`",
        "banner_member": "bundle member holding `/proc/version`",
        "banner": "the kernel banner (`/proc/version`)",
        "kallsyms_usable": "kallsyms names `init_task` with a non-zero address",
        "kptr_restrict": "`/proc/sys/kernel/kptr_restrict`",
        "la57": "five-level paging (`la57` in `/proc/cpuinfo`); null when unknown",
        "problems": "why the material may not do, e.g. kallsyms all zero under kptr_restrict",
    },
    "memory-dump": {
        "pid": "process dumped",
        "member": "`memory/pid-N.core`; null when nothing was written",
        "regions": "memory regions written",
        "bytes_read": "bytes of process memory read",
        "partial": "the core is not the whole of the process's readable memory",
        "skipped": "regions left out (by rule or cap), as `start-end why`",
        "unreadable": "regions whose read failed",
    },
    "memory-image": {
        "member": "`memory/image.lime`; null when no image was taken",
        "method": "`acquirer:NAME`, `kcore`, `none`",
        "format": "`lime`; empty when no image was taken",
        "size": "bytes written",
        "sha256": "of the member",
        "partial": "the image is not whole",
        "attempts": "why each way that was tried failed",
    },
    "yara-hit": {
        "rule": "rule name",
        "namespace": "rule file (namespace) it comes from",
        "severity": "the rule's `severity` meta",
        "description": "the rule's `description` meta",
        "target": "what was scanned: a host path, `pid N`, the image member",
        "target_kind": "`file`, `process`, `image`",
        "tags": "the rule's tags",
        "meta": "the rule's meta",
        "strings": "matched strings (at most 16): identifier, offset (in the target's address "
        "space), length, excerpt",
        "matches": "matched string instances in all",
        "pid": "the process scanned",
        "path": "the file scanned",
    },
    "finding": {
        "title": "what was seen, in one line",
        "severity": "info < low < medium < high < critical",
        "source": "`yara`, `heuristic`, `memory-analysis`",
        "reasons": "why it matters, one reason per signal",
        "pid": "the process it is about",
        "path": "the file it is about",
        "socket": "the connection it is about (`proto local -> remote`)",
        "rule": "the YARA rule or heuristic that raised it",
        "mitre": "ATT&CK technique ids",
        "evidence": "the bundle members it rests on",
        "time": "when the thing found happened, when known (UTC)",
    },
    "verdict": {
        "verdict": 'COMPROMISED, SUSPICIOUS or CLEAN, by the rule in review.md, "Verdict"',
        "reason": "the one line a responder can repeat",
        "threshold": "the `--fail-on` severity",
        "findings_at_or_above": "findings at or above `threshold`",
    },
    "process-verdict": {
        "pid": "the process judged",
        "name": "its `comm`",
        "exe": "its executable",
        "verdict": "`likely miner`, `tunnel`, `suspicious`, `noted`",
        "severity": "info < low < medium < high < critical",
        "reasons": "the signals that agree, in words",
        "mitre": "ATT&CK technique ids",
        "lineage": "`pid name (user)` up to init",
        "agent_ancestor": "pid of the AI agent or runtime it descends from, if any",
    },
    "ioc": {
        "ioc_type": "pool-url, pool-host, wallet, worker, pool-login, algorithm, download-url, "
        "download-host, tunnel-endpoint, c2, file (docs/iocs.md)",
        "value": "the indicator",
        "context": "where it was seen",
        "validated": "wallet checksum verified (null: no checksum to verify)",
        "detail": "host, port, sha256, tunnel forwards...",
        "source": "cmdline, socket, persistence, config, log, memory, file, process",
        "finding": "the title of the finding it belongs to",
    },
    "rescan": {
        "bundle": "the bundle rescanned",
        "bundle_manifest_sha256": "its manifest's sha256",
        "rules": "rule files used",
        "rules_sha256": "sha256 over the rules",
        "time": _REVIEW_TIME,
        "members_scanned": "members scanned",
        "errors": "what could not be scanned, and why",
    },
    "memory-review": {
        "bundle": "the bundle reviewed",
        "image": "its memory image member; null when it holds none",
        "symbols": "symbols were found for the image's kernel",
        "banners": "kernel banners found in the image",
        "messages": "what the analysis said",
        "errors": "what failed",
        "time": _REVIEW_TIME,
    },
    "memory-process": {
        "pid": "process id in the image",
        "ppid": "parent pid",
        "name": "`comm`",
        "args": "arguments (psaux)",
        "uid": "uid",
        "start_time": "start time (UTC)",
        "offset": "offset of its task_struct",
        "flags": "`hidden-pid`: in the image but not in the bundle's process records (memory.md)",
    },
    "memory-socket": {
        "pid": "owning process",
        "process_name": "its `comm`",
        "family": "`AF_INET`, `AF_INET6`, `AF_UNIX`",
        "proto": "`TCP`, `UDP`, ...",
        "local_address": "local address",
        "local_port": "local port",
        "remote_address": "remote address",
        "remote_port": "remote port",
        "state": "socket state",
    },
    "memory-region": {
        "pid": "process id",
        "process_name": "its `comm`",
        "start": "first address",
        "end": "last address",
        "protection": "e.g. `rwx`",
        "path": "backing file, if any",
        "hexdump": "the first bytes, as hex",
    },
    "memory-image-hit": {
        "rule": "rule name",
        "severity": "the rule's `severity` meta",
        "description": "the rule's `description` meta",
        "physical_offsets": "physical offsets of the matches",
        "strings": "matched string identifiers",
    },
}
