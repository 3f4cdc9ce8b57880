/*
 * Droppers: shell scripts and cron/systemd lines that fetch and start a miner, kill
 * competing miners, disable security tools, lock their files with chattr +i and plant
 * cron entries or ssh keys. Text rules: no header gate (a cron line has none), a loose
 * 2 MB size gate so huge binaries are not walked for text patterns.
 */

rule IRKIT_Dropper_Cron_Download_Exec
{
    meta:
        description = "A cron entry that downloads with curl/wget and pipes it into a shell"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1053/003/"
        mitre = "T1053.003 T1105"
        date = "2026-11-30"
    strings:
        $cron = /(^|\n)[ \t]*(@(reboot|hourly|daily|weekly|monthly|yearly|annually|midnight)|([0-9*\/,\-]+[ \t]+){4}[0-9A-Za-z*\/,\-]+)[ \t]+([A-Za-z_][A-Za-z0-9_\-]*[ \t]+)?[^\n]{0,200}(curl|wget)[^\n]{0,300}\|[ \t]*(sudo[ \t]+)?(\/bin\/|\/usr\/bin\/)?(ba|da|z|k)?sh\b/ ascii
    condition:
        filesize < 2MB and $cron
}

rule IRKIT_Dropper_Download_Pipe_Shell
{
    meta:
        description = "curl/wget output piped straight into a shell (also in a cron line or unit): weak alone, common in install docs"
        severity = "low"
        reference = "https://attack.mitre.org/techniques/T1105/"
        mitre = "T1105 T1059.004"
        date = "2026-11-30"
    strings:
        $pipe = /(curl|wget)[^\n]{0,300}\|[ \t]*(sudo[ \t]+)?(\/bin\/|\/usr\/bin\/)?(ba|da|z|k)?sh\b/ ascii
    condition:
        filesize < 2MB and $pipe
}

rule IRKIT_Dropper_Miner_Fetch_Start
{
    meta:
        description = "A script that downloads a miner and starts it in the background with a pool or wallet"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496 T1105"
        date = "2026-11-30"
    strings:
        $get1 = /(curl|wget)[ \t][^\n]{0,200}(xmrig|miner|xmr|\.tar\.gz|\.tgz)/ ascii nocase
        $run1 = /nohup[ \t][^\n]{0,200}(&|>)/ ascii
        $run2 = "setsid " ascii
        $run3 = "screen -dmS" ascii
        $m1 = "--donate-level" ascii
        $m2 = "stratum+tcp://" ascii
        $m3 = "stratum+ssl://" ascii
        $m4 = /(-o|--url)[ =][A-Za-z0-9.\-]{3,253}:[0-9]{2,5}/ ascii
        $m5 = "config.json" ascii
    condition:
        filesize < 2MB and $get1 and 1 of ($run*) and 2 of ($m*)
}

rule IRKIT_Dropper_Kill_Competing_Miners
{
    meta:
        description = "A script killing competing miners by name and then fetching or starting its own (a kill list alone is what a clean-up script does too)"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496 T1489"
        date = "2026-11-30"
    strings:
        $k = /(pkill|killall)[ \t]+(-9[ \t]+)?(-f[ \t]+)?[^\n]{0,30}(xmrig|kdevtmpfsi|kinsing|minerd|xmr-stak|cryptonight|kworkerds|sysupdate|networkservice|watchbog|ddgs|sysrv|zzh|xmrigDaemon|nanominer|lolMiner|t-rex|nbminer|ethminer)/ ascii nocase
        $g = /ps[ \t]+(aux|-ef)[ \t]*\|[ \t]*grep[ \t][^\n]{0,80}(xmrig|kdevtmpfsi|kinsing|minerd|cryptonight|stratum|xmr)[^\n]{0,200}kill/ ascii nocase
        $ctx1 = /(curl|wget)[ \t][^\n]{0,300}(\||-O|-o|>)/ ascii
        $ctx2 = /chmod[ \t]+(\+x|[0-7]?7[0-7][0-7])/ ascii
        $ctx3 = /nohup[ \t]|setsid[ \t]|screen[ \t]+-dmS/ ascii
        $ctx4 = /stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|--donate-level|config\.json/ ascii
        $ctx5 = /crontab[ \t]+-|\/etc\/cron|@reboot/ ascii
    condition:
        filesize < 2MB and (#k >= 2 or #g >= 1) and 2 of ($ctx*)
}

rule IRKIT_Dropper_Disable_Security
{
    meta:
        description = "A script switching off SELinux, firewalls, cloud monitoring agents or the NMI watchdog, as miner droppers do"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1562/001/"
        mitre = "T1562.001 T1562.004"
        date = "2026-11-30"
    strings:
        $s1 = "setenforce 0" ascii
        $s2 = /SELINUX=disabled[^\n]{0,40}\/etc\/selinux\/config/ ascii
        $s3 = "ufw disable" ascii
        $s4 = /iptables[ \t]+-F/ ascii
        $s5 = "nmi_watchdog" ascii
        $s6 = "/usr/local/aegis" ascii
        $s7 = "aegis_uninstall" ascii
        $s8 = "/usr/local/qcloud" ascii
        $s9 = "YDService" ascii
        $s10 = /systemctl[ \t]+(stop|disable)[ \t]+(apparmor|firewalld|auditd|falcon-sensor|wazuh-agent|osqueryd)/ ascii
        $s11 = /service[ \t]+(apparmor|firewalld|auditd)[ \t]+stop/ ascii
        $s12 = "bash_history" ascii
        $s13 = "history -c" ascii
    condition:
        filesize < 2MB and 3 of them
}

rule IRKIT_Dropper_Chattr_Lock
{
    meta:
        description = "chattr +i/+a or -i on cron, ssh key, preload or /tmp paths: a dropper locking its persistence or unlocking a competitor's"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1222/002/"
        mitre = "T1222.002"
        date = "2026-11-30"
    strings:
        $c = /chattr[ \t]+(-R[ \t]+)?[+\-][ia]+[ \t]+[^\n]{0,80}(authorized_keys|crontab|cron\.d|\/var\/spool\/cron|ld\.so\.preload|\/tmp\/|\/var\/tmp\/|\/dev\/shm|\.ssh)/ ascii
    condition:
        filesize < 2MB and $c
}

rule IRKIT_Dropper_SSH_Key_Plant
{
    meta:
        description = "A script appending a public key to authorized_keys"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1098/004/"
        mitre = "T1098.004"
        date = "2026-11-30"
    strings:
        $k = /echo[ \t]+["']?(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp[0-9]+)[ \t]+AAAA[A-Za-z0-9+\/=]{20,}[^\n]{0,100}>>?[ \t]*[^\n]{0,60}authorized_keys/ ascii
    condition:
        filesize < 2MB and $k
}

rule IRKIT_Dropper_Crontab_Rewrite
{
    meta:
        description = "A script adding a downloading entry to the user crontab through crontab -l | ... | crontab -"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1053/003/"
        mitre = "T1053.003"
        date = "2026-11-30"
    strings:
        $c = /crontab[ \t]+-l[^\n]{0,300}(curl|wget)[^\n]{0,300}\|[ \t]*crontab[ \t]+-/ ascii
        $d = /echo[ \t]+["'][^\n]{0,40}(curl|wget)[^\n]{0,300}["'][ \t]*>>?[ \t]*\/(etc\/cron|var\/spool\/cron)/ ascii
    condition:
        filesize < 2MB and ($c or $d)
}

rule IRKIT_Dropper_Miner_Host_Tuning
{
    meta:
        description = "MSR and hugepage tuning as RandomX miners do (modprobe msr, wrmsr, nr_hugepages)"
        severity = "medium"
        reference = "https://xmrig.com/docs/miner/randomx-optimization-guide/msr"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $m1 = /modprobe[ \t]+msr/ ascii
        $m2 = /wrmsr[ \t]+(-a[ \t]+)?0x/ ascii
        $h = /vm\.nr_hugepages[ \t]*=[ \t]*[0-9]+/ ascii
    condition:
        filesize < 2MB and $m1 and $m2 and $h
}
