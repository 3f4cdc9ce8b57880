/*
 * CPU miners: XMRig and its forks, cpuminer / cpuminer-opt, xmr-stak.
 * File rules are gated on the ELF magic with no tight size gate; the *_Memory twins are
 * ungated (process memory has no filesize and no header) and ask for more strings.
 * Strings are ones that survive across releases: help texts, URL schemes, donation hosts,
 * API field names, the login agent format and the log banner's section markers.
 */

rule IRKIT_Miner_XMRig_ELF
{
    meta:
        description = "XMRig (or a fork) miner executable: its name or donation hosts with stratum schemes, help texts and algorithm names"
        severity = "high"
        reference = "https://xmrig.com/docs/miner/command-line-options"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name1 = "XMRig/" ascii
        $name2 = "xmrig.com" ascii
        $name3 = "XMRIG_" ascii
        $don1 = "donate.v2.xmrig.com" ascii
        $don2 = "donate.ssl.xmrig.com" ascii
        $s1 = "stratum+tcp://" ascii
        $s2 = "stratum+ssl://" ascii
        $s3 = "daemon+https://" ascii
        $s4 = "--donate-level" ascii
        $s5 = "--randomx-1gb-pages" ascii
        $s6 = "--cpu-max-threads-hint" ascii
        $s7 = "rx/0" ascii
        $s8 = "cn/r" ascii
        $s9 = "\"donate-level\"" ascii
        $s10 = "randomx" ascii
    condition:
        uint32(0) == 0x464c457f and (1 of ($name*) or 1 of ($don*)) and 4 of ($s*)
}

rule IRKIT_Miner_XMRig_Memory
{
    meta:
        description = "XMRig-family miner in process memory: login agent, donation hosts, pool schemes and RandomX algorithm names together"
        severity = "high"
        reference = "https://xmrig.com/docs/miner/config"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $agent = /XMRig\/[0-9]+\.[0-9]+\.[0-9]+ \(/ ascii
        $don1 = "donate.v2.xmrig.com" ascii
        $don2 = "donate.ssl.xmrig.com" ascii
        $s1 = "stratum+tcp://" ascii
        $s2 = "stratum+ssl://" ascii
        $s3 = "\"method\":\"login\"" ascii
        $s4 = "\"algo\":[" ascii
        $s5 = "rx/0" ascii
        $s6 = "randomx" ascii
        $s7 = "donate-level" ascii
        $s8 = "\"job_id\"" ascii
    condition:
        ($agent or 1 of ($don*)) and 3 of ($s*)
}

rule IRKIT_Miner_XMRig_Log
{
    meta:
        description = "XMRig-style miner log or console capture: the startup banner's section markers and job/share lines"
        severity = "high"
        reference = "https://xmrig.com/docs/miner/command-line-options"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $b1 = " * ABOUT" ascii
        $b2 = " * LIBS" ascii
        $b3 = " * HUGE PAGES" ascii
        $b4 = " * DONATE" ascii
        $b5 = " * POOL #1" ascii
        $b6 = " * COMMANDS" ascii
        $b7 = " * 1GB PAGES" ascii
        $l1 = "new job from" ascii
        $l2 = "use pool" ascii
        $l3 = "READY threads" ascii
        $l4 = /accepted \([0-9]+\/[0-9]+\) diff/ ascii
        $l5 = "speed 10s/60s/15m" ascii
    condition:
        3 of ($b*) or (1 of ($b*) and 2 of ($l*)) or 3 of ($l*)
}

rule IRKIT_Miner_Cpuminer_ELF
{
    meta:
        description = "cpuminer / cpuminer-opt executable: usage text, share verdict strings and stratum methods"
        severity = "high"
        reference = "https://github.com/JayDDee/cpuminer-opt"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name1 = "cpuminer" ascii
        $name2 = "minerd" ascii
        $s1 = "--algo=ALGO" ascii
        $s2 = "stratum+tcp://" ascii
        $s3 = "yay!!!" ascii
        $s4 = "booooo" ascii
        $s5 = "mining.subscribe" ascii
        $s6 = "mining.authorize" ascii
        $s7 = "--coinbase-addr" ascii
        $s8 = "Stratum connection" ascii
    condition:
        uint32(0) == 0x464c457f and 1 of ($name*) and 3 of ($s*)
}

rule IRKIT_Miner_Cpuminer_Memory
{
    meta:
        description = "cpuminer-family miner in process memory: stratum methods with its share verdict texts"
        severity = "high"
        reference = "https://github.com/pooler/cpuminer"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $v1 = "yay!!!" ascii
        $v2 = "booooo" ascii
        $m1 = "mining.subscribe" ascii
        $m2 = "mining.authorize" ascii
        $m3 = "mining.submit" ascii
        $m4 = "mining.notify" ascii
        $u = "stratum+tcp://" ascii
    condition:
        1 of ($v*) and 2 of ($m*) and $u
}

rule IRKIT_Miner_XmrStak
{
    meta:
        description = "xmr-stak miner binary or memory: its name with its configuration keys"
        severity = "high"
        reference = "https://github.com/fireice-uk/xmr-stak"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name = "xmr-stak" ascii
        $k1 = "pool_address" ascii
        $k2 = "wallet_address" ascii
        $k3 = "use_nicehash" ascii
        $k4 = "cpu_threads_conf" ascii
        $k5 = "pool_password" ascii
        $k6 = "pools.txt" ascii
    condition:
        $name and 3 of ($k*)
}

rule IRKIT_Miner_Stratum_JSONRPC_Memory
{
    meta:
        description = "A stratum mining session in memory or a capture: several stratum v1 methods, or a Monero-style login with an agent and algorithms"
        severity = "medium"
        reference = "https://en.bitcoin.it/wiki/Stratum_mining_protocol"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $m1 = "mining.subscribe" ascii
        $m2 = "mining.authorize" ascii
        $m3 = "mining.submit" ascii
        $m4 = "mining.notify" ascii
        $m5 = "mining.set_difficulty" ascii
        $x1 = "\"method\":\"login\"" ascii
        $x2 = "\"agent\":\"" ascii
        $x3 = "\"method\":\"submit\"" ascii
        $x4 = "\"method\":\"keepalived\"" ascii
        $x5 = "\"algo\":[" ascii
    condition:
        3 of ($m*) or ($x1 and 2 of ($x2, $x3, $x4, $x5))
}

rule IRKIT_Miner_Generic_ELF
{
    meta:
        description = "Unnamed or renamed miner executable: a pool URL scheme with several mining algorithm names and stratum methods"
        severity = "medium"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $u1 = "stratum+tcp://" ascii
        $u2 = "stratum+ssl://" ascii
        $u3 = "stratum2+tcp://" ascii
        $a1 = "cryptonight" ascii nocase
        $a2 = "randomx" ascii nocase
        $a3 = "ethash" ascii nocase
        $a4 = "kawpow" ascii nocase
        $a5 = "autolykos" ascii nocase
        $a6 = "scrypt" ascii
        $a7 = "sha256d" ascii
        $a8 = "yescrypt" ascii
        $a9 = "equihash" ascii nocase
        $p1 = "mining.subscribe" ascii
        $p2 = "hashrate" ascii nocase
        $p3 = "nicehash" ascii nocase
    condition:
        uint32(0) == 0x464c457f and 1 of ($u*) and 2 of ($a*) and 1 of ($p*)
}

rule IRKIT_Miner_Stratum_URL
{
    meta:
        description = "A stratum pool URL: a weak signal alone, worth a look in scripts, services and command lines"
        severity = "low"
        reference = "https://en.bitcoin.it/wiki/Stratum_mining_protocol"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $u = /stratum[12]?\+(tcp|ssl|tls):\/\/[A-Za-z0-9.\-]{3,253}(:[0-9]{2,5})?/ ascii
    condition:
        $u
}
