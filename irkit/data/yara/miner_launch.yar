/*
 * How miners are started and kept running: systemd units, Kubernetes and compose manifests,
 * Dockerfiles, supervisor/OpenRC/rc.local/profile lines, launchers that carry pool and
 * wallet in variables, setup-script clones (c3pool/MoneroOcean style) and fetch-or-build
 * installers. A unit or manifest often names the miner and nothing else (its pool is in a
 * config beside it), so the miner's program name in a launch position is the signal.
 * The name list follows irkit/knowledge/miners.py (a test checks every name there fires).
 * Text rules: no header gate, a 2 MB size gate so large binaries are not walked for text.
 * Image references are matched case-sensitively (Docker image names are lower case): with
 * nocase, "from" was the atom and every sentence woke the regex.
 */

rule IRKIT_Miner_Launch_By_Name
{
    meta:
        description = "A unit, manifest, Dockerfile or start-up line that starts a miner by its program name"
        severity = "medium"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496 T1543.002"
        date = "2026-12-01"
    strings:
        $unit = /ExecStart(Pre|Post)?=[^\n]{0,200}\b(xmrig|xmr-stak|xmrminer|t-rex|lolminer|nbminer|gminer|teamredminer|srbminer|nanominer|bzminer|rigel|ccminer|cpuminer|minerd|cgminer|bfgminer|ethminer|phoenixminer|onezerominer|wildrig|kawpowminer|nheqminer|cryptodredge|z-enemy|hellminer|miner\.exe)\b/ nocase
        $image = /(^|\n)[ \t-]*(image:|FROM)[ \t]+["']?[a-z0-9._\/:@-]{0,120}\b(xmrig|xmr-stak|t-rex|lolminer|nbminer|gminer|teamredminer|srbminer|nanominer|bzminer|rigel|ccminer|cpuminer|minerd|ethminer|phoenixminer|onezerominer|wildrig|hellminer)\b/
        $cmd = /(^|\n)[ \t-]*(command|args|entrypoint|ENTRYPOINT|CMD)[ \t]*[:=]?[ \t]*\[?[ \t]*["']?[^\n]{0,120}\b(xmrig|xmr-stak|xmrminer|t-rex|lolminer|nbminer|gminer|teamredminer|srbminer|nanominer|bzminer|rigel|ccminer|cpuminer|minerd|cgminer|bfgminer|ethminer|phoenixminer|onezerominer|wildrig|kawpowminer|nheqminer|cryptodredge|z-enemy|hellminer|miner\.exe)\b/ nocase
        $start = /(^|\n|;|&&)[ \t]*(nohup|setsid|exec|screen[ \t]+-dmS[ \t]+\S+|tmux[ \t]+new[^\n]{0,40}-d[^\n]{0,40}|start-stop-daemon[^\n]{0,80}--exec|@reboot)[ \t]+[^\n]{0,120}\b(xmrig|xmr-stak|xmrminer|t-rex|lolminer|nbminer|gminer|teamredminer|srbminer|nanominer|bzminer|rigel|ccminer|cpuminer|minerd|cgminer|bfgminer|ethminer|phoenixminer|onezerominer|wildrig|kawpowminer|nheqminer|cryptodredge|z-enemy|hellminer|miner\.exe)\b/ nocase
        $bg = /(^|\n)[ \t]*[^\n#]{0,80}\/(xmrig|xmr-stak|t-rex|lolminer|nbminer|gminer|teamredminer|srbminer|nanominer|bzminer|ccminer|cpuminer|minerd|ethminer|phoenixminer|onezerominer|wildrig|hellminer)([ \t][^\n]{0,200})?[ \t]*&[ \t]*(\n|$)/ nocase
    condition:
        filesize < 2MB and any of them
}

rule IRKIT_Miner_Launch_Line
{
    meta:
        description = "A miner started by name with pool, user or algorithm options on the same (continued) line"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496"
        date = "2026-12-01"
    strings:
        $line = /\b(xmrig|xmr-stak|xmrminer|t-rex|lolminer|nbminer|gminer|teamredminer|srbminer|nanominer|bzminer|rigel|ccminer|cpuminer|minerd|cgminer|bfgminer|ethminer|phoenixminer|onezerominer|wildrig|kawpowminer|nheqminer|cryptodredge|z-enemy|hellminer|miner\.exe)(-multi|-opt|\.exe)?["']?([ \t]|\\\r?\n)([^\n]|\\\r?\n){0,400}([ \t]|\[|,)["']?(-o|-P|-p|-w|-u|-a|--url|--pool|--server|--user|--wallet|--algo|--algorithm|--coin|--dualpool|--config|-c|-epool|-pool)([ \t=]|["'],)["']?[A-Za-z0-9$]/ nocase
    condition:
        filesize < 2MB and $line
}

rule IRKIT_Miner_Launch_Variables
{
    meta:
        description = "A launcher carrying pool and wallet in shell variables and passing them as miner options"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496 T1059.004"
        date = "2026-12-01"
    strings:
        $pool = /(-o|-P|--url|--pool|--server|-pool)[ \t=]["']?\$\{?[A-Za-z_]*(POOL|URL|SERVER|HOST)/ nocase
        $user = /(-u|-w|--user|--wallet|-wal|--login)[ \t=]["']?\$\{?[A-Za-z_]*(WALLET|ADDR)/ nocase
        $v1 = /(^|\n)[ \t]*(export[ \t]+)?[A-Za-z_]*POOL[A-Za-z_]*=["']?(stratum[12]?\+(tcp|tcps|ssl|tls):\/\/)?[A-Za-z0-9.\-]{3,253}:[0-9]{2,5}/ nocase
        $v2 = /(^|\n)[ \t]*(export[ \t]+)?[A-Za-z_]*(WALLET|ADDR)[A-Za-z_]*=["']?[A-Za-z]{0,6}:?[0-9A-Za-z]{26,}/ nocase
    condition:
        filesize < 2MB and $pool and $user and 1 of ($v*)
}

rule IRKIT_Miner_Wallet_And_Pool_Variables
{
    meta:
        description = "A wallet of a mined coin and a pool host set as variables side by side (shell, Python, env files): a launcher whose command line is elsewhere"
        severity = "medium"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496"
        date = "2026-12-01"
    strings:
        // The wallet must have a mined coin's own shape (Monero, Zephyr, QRL, Kaspa, Ergo,
        // Ethereum-style, Tron, Ravencoin); a login name or token is not enough here.
        $wallet = /(^|\n)[ \t]*(export[ \t]+)?[A-Za-z_]*(WALLET|ADDR|[Ww]allet|[Aa]ddr)[A-Za-z_0-9]*[ \t]*=[ \t]*["']?([48][1-9A-HJ-NP-Za-km-z]{94}|ZEPH(YR|s|i)[1-9A-HJ-NP-Za-km-z]{85,105}|Q0[0-9a-f]{77}|kaspa:[qp][02-9ac-hj-np-z]{58,62}|9[1-9A-HJ-NP-Za-km-z]{50}|0x[0-9a-fA-F]{40}|[TR][1-9A-HJ-NP-Za-km-z]{33})\b/
        // A bare host (stratum URL or host[:port]), not an http URL or a number.
        $pool = /(^|\n)[ \t]*(export[ \t]+)?[A-Za-z_]*(POOL|[Pp]ool)[A-Za-z_0-9]*[ \t]*=[ \t]*["']?(stratum[12]?\+(tcp|tcps|ssl|tls):\/\/)?[A-Za-z0-9\-]{1,63}(\.[A-Za-z0-9\-]{1,63}){1,6}(:[0-9]{2,5})?["'\r\n]/
    condition:
        filesize < 2MB and $wallet and $pool
}

rule IRKIT_Miner_Argv_List
{
    meta:
        description = "A miner's argument list in exec form (Dockerfile CMD, Kubernetes args, JSON): a pool host:port and a wallet-length user, whatever the binary is called"
        severity = "medium"
        reference = "https://docs.docker.com/reference/dockerfile/#cmd"
        mitre = "T1496 T1610"
        date = "2026-12-01"
    strings:
        $pool = /"(-o|-P|--url|--pool|--server)"[ \t]*,[ \t\r\n]*"(stratum[12]?\+(tcp|tcps|ssl|tls):\/\/)?[A-Za-z0-9.\-]{3,253}:[0-9]{2,5}"/
        // A wallet-like user: an optional coin prefix, one unbroken run of 26 or more
        // letters and digits, an optional worker (`system:serviceaccount:ns:x` is not one).
        $user = /"(-u|-w|--user|--wallet|--login)"[ \t]*,[ \t\r\n]*"([A-Za-z]{2,6}:)?[0-9A-Za-z]{26,120}([.+#\/][A-Za-z0-9._#=\-]{0,60})?"/
    condition:
        filesize < 2MB and $pool and $user
}

rule IRKIT_Installer_Miner_Setup_Clone
{
    meta:
        description = "A c3pool/MoneroOcean-style setup script: the miner's config edited with sed, or a setup_*_miner.sh piped to a shell"
        severity = "high"
        reference = "https://github.com/MoneroOcean/xmrig_setup"
        mitre = "T1496 T1105"
        date = "2026-12-01"
    strings:
        $sed = /sed[ \t]+-i[^\n]{0,200}"(url|user|pass|donate-level|max-threads-hint|max-cpu-usage|background|syslog|log-file)"[ \t]*:[^\n]{0,200}config[A-Za-z_\-]*\.json/
        $setup = /(curl|wget)[^\n|]{0,200}setup[A-Za-z0-9_\-]{0,40}miner[A-Za-z0-9_\-]{0,20}\.sh[^\n]{0,40}\|[^\n]{0,80}(ba)?sh\b/ nocase
    condition:
        filesize < 2MB and (#sed >= 2 or $setup)
}

rule IRKIT_Installer_Miner_Renamed
{
    meta:
        description = "A miner binary moved or copied to a system-looking name (httpd, systemd, kworker, ...)"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1036/005/"
        mitre = "T1496 T1036.005"
        date = "2026-12-01"
    strings:
        $mv = /(mv|cp)[ \t]+(-f[ \t]+)?["']?[^\n \t]{0,120}\b(xmrig|xmr-stak|t-rex|lolminer|nbminer|gminer|srbminer|nanominer|bzminer|cpuminer|minerd)\b["']?[ \t]+["']?[^\n \t]{0,120}\/(httpd|systemd|systemd-[a-z]+|kworker[^\n \t\/]{0,20}|kthreadd|sshd|crond|dbus-daemon|rsyslogd|kswapd0|java|php-fpm|nginx|apache2|init|bash|udevd|networkd|sysupdate|ksoftirqd[^\n \t\/]{0,10})["']?([ \t;&]|\n|$)/ nocase
    condition:
        filesize < 2MB and $mv
}

rule IRKIT_Installer_Miner_Fetch_Or_Build
{
    meta:
        description = "An installer fetching a miner's release tarball or building it from source, then tuning or persisting it"
        severity = "high"
        reference = "https://xmrig.com/docs/miner/build/ubuntu"
        mitre = "T1496 T1105"
        date = "2026-12-01"
    strings:
        $rel = /(curl|wget)[^\n]{0,200}\/(xmrig|xmr-stak|t-rex|lolMiner|NBMiner|gminer|teamredminer|SRBMiner-Multi|nanominer|bzminer|rigel|onezerominer|cpuminer-opt)[^\n \t]{0,80}\.(tar\.gz|tgz|tar\.xz|zip)/ nocase
        $clone = /git[ \t]+clone[ \t]+[^\n]{0,100}(xmrig|xmr-stak|cpuminer|ccminer|nheqminer)(\.git)?/ nocase
        $cd = /(^|\n)[ \t]*cd[ \t]+[^\n]{0,60}\b(xmrig|xmr-stak|cpuminer|ccminer|nheqminer)/ nocase
        $cmake = /(cmake|make)[ \t]/
        $cron = /crontab[ \t]+-l[^\n]{0,200}@reboot[^\n]{0,200}\b(xmrig|xmr-stak|t-rex|lolminer|nbminer|gminer|srbminer|nanominer|bzminer|cpuminer|minerd)\b[^\n]{0,200}\|[ \t]*crontab[ \t]+-/ nocase
        $tune1 = /vm\.nr_hugepages[ \t]*=[ \t]*[0-9]+/
        $tune2 = /modprobe[ \t]+msr/
        $tune3 = /wrmsr[ \t]/
        $run = /(nohup|setsid|systemctl[ \t]+(enable|start)|\.\/)[^\n]{0,100}\b(xmrig|xmr-stak|t-rex|lolminer|nbminer|gminer|srbminer|nanominer|bzminer|cpuminer|minerd|ccminer)\b/ nocase
    condition:
        filesize < 2MB and ($cron or (($rel or $clone or ($cd and $cmake)) and (1 of ($tune*) or $run)) or (1 of ($tune*) and $run))
}

rule IRKIT_Installer_Miner_Build
{
    meta:
        description = "A miner cloned and built from source (git clone of a miner's repository, then cmake/make): an install step, not yet a start"
        severity = "medium"
        reference = "https://xmrig.com/docs/miner/build/ubuntu"
        mitre = "T1496 T1105"
        date = "2026-12-01"
    strings:
        $clone = /git[ \t]+clone[ \t]+[^\n]{0,100}\/(xmrig|xmr-stak|xmr-stak-cpu|cpuminer|cpuminer-opt|cpuminer-multi|ccminer|nheqminer)(\.git)?([ \t;&]|\n|$)/ nocase
        $build = /(cmake[ \t]+\.|make[ \t]+-j|make[ \t]*(\n|;|&|$)|build_deps\.sh)/
    condition:
        filesize < 2MB and $clone and $build
}
