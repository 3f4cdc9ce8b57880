/*
 * GPU miners on Linux: lolMiner, T-Rex, NBMiner, GMiner, PhoenixMiner, nanominer,
 * SRBMiner-MULTI, xmrig-cuda. Public rule sets barely cover these. Each rule wants the
 * miner's own name together with mining context (pool schemes, GPU algorithm names, pool
 * and wallet options), so it fires on the binary, its memory and its launch scripts alike:
 * none is gated on a header. Outside an ELF file the name must lie within 64 KB of a pool
 * scheme or pool/wallet option ($ctx): a 76 MB list of package names once matched a miner's
 * name and algorithm words megabytes apart. The loops look at the first 16 names and the
 * first 64 context strings (bounded: YARA-X flags loops over match counts as slow). $ctx
 * is a flat alternation so each branch gives its own atom: grouped, `://` was the atom
 * and every URL in every file woke the regex (measured: the GPU file's cost +50%).
 */

private rule IRKIT_GPU_Mining_Context
{
    meta:
        description = "Helper: pool schemes, stratum methods, GPU algorithm names and pool/wallet options"
        severity = "info"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $u1 = "stratum+tcp://" ascii
        $u2 = "stratum+ssl://" ascii
        $u3 = "stratum2+tcp://" ascii
        $u4 = "ethproxy+tcp://" ascii
        $u5 = "mining.subscribe" ascii
        $u6 = "stratum+tcps://" ascii
        $a1 = "ethash" ascii nocase
        $a2 = "etchash" ascii nocase
        $a3 = "kawpow" ascii nocase
        $a4 = "autolykos2" ascii nocase
        $a5 = "octopus" ascii nocase
        $a6 = "kheavyhash" ascii nocase
        $a7 = "beamhash" ascii nocase
        $a8 = "cuckatoo32" ascii nocase
        $a9 = "firopow" ascii nocase
        $a10 = "equihash" ascii nocase
        $a11 = "karlsenhash" ascii nocase
        $a12 = "nexapow" ascii nocase
        $a13 = "yespower" ascii nocase
        $a14 = "fishhash" ascii nocase
        $a15 = "zelhash" ascii nocase
        $o1 = "--pool" ascii
        $o2 = "--user" ascii
        $o3 = "--wallet" ascii
        $o4 = "--algo" ascii
        $o5 = "--server" ascii
        $o6 = "-epool" ascii
        $o7 = "-ewal" ascii
        $o8 = "--worker" ascii
    condition:
        (1 of ($u*) and 1 of ($a*)) or (2 of ($a*) and 2 of ($o*)) or (1 of ($u*) and 2 of ($o*))
}

rule IRKIT_Miner_GPU_lolMiner
{
    meta:
        description = "lolMiner GPU miner (binary, memory or launcher) with mining context"
        severity = "high"
        reference = "https://github.com/Lolliedieb/lolMiner-releases"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name = "lolMiner" ascii
        $ctx = /stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|ethproxy\+tcp:\/\/|--pool[ =]|--user[ =]|--wallet[ =]|--algo[ =]|--algorithm[ =]|--server[ =]|-epool |-ewal / ascii
    condition:
        $name and IRKIT_GPU_Mining_Context and
            (uint32(0) == 0x464c457f or for any i in (1..16) : (for any j in (1..64) : (@ctx[j] + 65536 > @name[i] and @name[i] + 65536 > @ctx[j])))
}

rule IRKIT_Miner_GPU_TRex
{
    meta:
        description = "T-Rex NVIDIA miner (binary, memory or launcher) with mining context"
        severity = "high"
        reference = "https://github.com/trexminer/T-Rex"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name1 = "T-Rex" ascii
        $name2 = "trexminer" ascii
        $opt1 = "--api-bind-http" ascii
        $opt2 = "--pci-indexing" ascii
        $ctx = /stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|ethproxy\+tcp:\/\/|--pool[ =]|--user[ =]|--wallet[ =]|--algo[ =]|--algorithm[ =]|--server[ =]|-epool |-ewal / ascii
    condition:
        (1 of ($name*) or all of ($opt*)) and IRKIT_GPU_Mining_Context and
            (uint32(0) == 0x464c457f or for any of ($name*, $opt*) : (for any i in (1..16) : (for any j in (1..64) : (@ctx[j] + 65536 > @[i] and @[i] + 65536 > @ctx[j]))))
}

rule IRKIT_Miner_GPU_NBMiner
{
    meta:
        description = "NBMiner GPU miner (binary, memory or launcher) with mining context"
        severity = "high"
        reference = "https://github.com/NebuTech/NBMiner"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name1 = "NBMiner" ascii
        $name2 = "nbminer" ascii
        $ctx = /stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|ethproxy\+tcp:\/\/|--pool[ =]|--user[ =]|--wallet[ =]|--algo[ =]|--algorithm[ =]|--server[ =]|-epool |-ewal / ascii
    condition:
        1 of ($name*) and IRKIT_GPU_Mining_Context and
            (uint32(0) == 0x464c457f or for any of ($name*) : (for any i in (1..16) : (for any j in (1..64) : (@ctx[j] + 65536 > @[i] and @[i] + 65536 > @ctx[j]))))
}

rule IRKIT_Miner_GPU_GMiner
{
    meta:
        description = "GMiner GPU miner (binary, memory or launcher) with mining context"
        severity = "high"
        reference = "https://github.com/develsoftware/GMinerRelease"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name1 = "GMiner" ascii
        $name2 = "develsoftware" ascii
        $ctx = /stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|ethproxy\+tcp:\/\/|--pool[ =]|--user[ =]|--wallet[ =]|--algo[ =]|--algorithm[ =]|--server[ =]|-epool |-ewal / ascii
    condition:
        1 of ($name*) and IRKIT_GPU_Mining_Context and
            (uint32(0) == 0x464c457f or for any of ($name*) : (for any i in (1..16) : (for any j in (1..64) : (@ctx[j] + 65536 > @[i] and @[i] + 65536 > @ctx[j]))))
}

rule IRKIT_Miner_GPU_PhoenixMiner
{
    meta:
        description = "PhoenixMiner GPU miner (binary, memory or launcher) with mining context"
        severity = "high"
        reference = "https://phoenixminer.info/"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name = "PhoenixMiner" ascii
        $ctx = /stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|ethproxy\+tcp:\/\/|--pool[ =]|--user[ =]|--wallet[ =]|--algo[ =]|--algorithm[ =]|--server[ =]|-epool |-ewal / ascii
    condition:
        $name and IRKIT_GPU_Mining_Context and
            (uint32(0) == 0x464c457f or for any i in (1..16) : (for any j in (1..64) : (@ctx[j] + 65536 > @name[i] and @name[i] + 65536 > @ctx[j])))
}

rule IRKIT_Miner_GPU_Nanominer
{
    meta:
        description = "nanominer GPU/CPU miner (binary, memory or launcher) with mining context or its config keys"
        severity = "high"
        reference = "https://github.com/nanopool/nanominer"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name = "nanominer" ascii
        // Its config.ini's keys as INI assignments, not the words (a parser's docstring has them).
        $k1 = /(^|\n)[ \t]*rigName[ \t]*=/ ascii
        $k2 = /(^|\n)[ \t]*pool1[ \t]*=/ ascii
        $k3 = /(^|\n)[ \t]*wallet[ \t]*=/ ascii
        $ctx = /stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|ethproxy\+tcp:\/\/|--pool[ =]|--user[ =]|--wallet[ =]|--algo[ =]|--algorithm[ =]|--server[ =]|-epool |-ewal / ascii
    condition:
        $name and ((2 of ($k*) and filesize < 2MB) or (IRKIT_GPU_Mining_Context and
            (uint32(0) == 0x464c457f or for any i in (1..16) : (for any j in (1..64) : (@ctx[j] + 65536 > @name[i] and @name[i] + 65536 > @ctx[j])))))
}

rule IRKIT_Miner_GPU_SRBMiner
{
    meta:
        description = "SRBMiner-MULTI miner (binary, memory or launcher) with its own options or mining context"
        severity = "high"
        reference = "https://github.com/doktor83/SRBMiner-Multi"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $name = "SRBMiner" ascii
        $o1 = "--disable-gpu" ascii
        $o2 = "--disable-cpu" ascii
        $o3 = "--algorithm" ascii
        $ctx = /stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|ethproxy\+tcp:\/\/|--pool[ =]|--user[ =]|--wallet[ =]|--algo[ =]|--algorithm[ =]|--server[ =]|-epool |-ewal / ascii
    condition:
        $name and (2 of ($o*) or IRKIT_GPU_Mining_Context) and
            (uint32(0) == 0x464c457f or for any i in (1..16) : (for any j in (1..64) : (@ctx[j] + 65536 > @name[i] and @name[i] + 65536 > @ctx[j])))
}

rule IRKIT_Miner_GPU_XMRig_CUDA
{
    meta:
        description = "xmrig-cuda plugin, or an XMRig config that switches its CUDA backend on (a CPU-only XMRig carries the loader's strings too, so they alone are not enough)"
        severity = "high"
        reference = "https://github.com/xmrig/xmrig-cuda"
        mitre = "T1496"
        date = "2026-12-01"
    strings:
        $lib = "libxmrig-cuda.so" ascii
        $name = "xmrig-cuda" ascii
        $s1 = "randomx" ascii
        $s4 = "kawpow" ascii
        $s5 = "cn/r" ascii
        $xmrig1 = "donate.v2.xmrig.com" ascii
        $xmrig2 = "--donate-level" ascii
        $xmrig3 = "\"donate-level\"" ascii
        $on = /"cuda"\s*:\s*\{\s*"enabled"\s*:\s*true/ ascii
        $pools = /"pools"\s*:\s*\[/ ascii
    condition:
        (($lib or $name) and 2 of ($s*) and none of ($xmrig*)) or ($on and $pools)
}

rule IRKIT_Miner_GPU_Algo_Commandline
{
    meta:
        description = "A GPU miner launch line: an algorithm option naming a GPU mining algorithm next to a pool option (host:port, or GMiner's --server host --port N)"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $algo = /--(algo|algorithm|coin)[ =](ethash|etchash|kawpow|autolykos2|octopus|kheavyhash|beamhashiii|cuckatoo32|firopow|zelhash|karlsenhash|nexapow|zil)\b/ ascii nocase
        $pool = /(--pool|--server|--url|-o)[ =](stratum[12]?\+(tcp|tcps|ssl):\/\/)?[A-Za-z0-9.\-]{3,253}(:|[ \t]+--port[ =])[0-9]{2,5}/ ascii
    condition:
        $algo and $pool and (@pool[1] - @algo[1] < 400 and @algo[1] - @pool[1] < 400)
}
