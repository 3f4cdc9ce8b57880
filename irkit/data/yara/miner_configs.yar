/*
 * Miner configurations and wallets. The modern XMRig config.json has no comments and its
 * pool url is often a bare host:port without a scheme, so these rules key on the config's
 * structure: a "pools" list whose entries carry "url" with "user"/"algo"/"coin", next to the
 * sections only a miner has ("donate-level", "randomx", "cpu", "cuda", ...).
 * Wallet rules only count an address written where a miner takes one (user, wallet, -u),
 * which keeps the base58/hex patterns from firing on random data.
 */

rule IRKIT_MinerConfig_XMRig_JSON
{
    meta:
        description = "XMRig-style JSON miner config: a pools list with url and user/algo/coin, plus miner-only sections"
        severity = "high"
        reference = "https://xmrig.com/docs/miner/config"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $pools = /"pools"\s*:\s*\[/ ascii
        $url = /"url"\s*:\s*"/ ascii
        $k1 = /"user"\s*:\s*"/ ascii
        $k2 = /"algo"\s*:\s*("|null)/ ascii
        $k3 = /"coin"\s*:\s*("|null)/ ascii
        $x1 = /"donate-level"\s*:/ ascii
        $x2 = /"donate-over-proxy"\s*:/ ascii
        $x3 = /"randomx"\s*:\s*\{/ ascii
        $x4 = /"cpu"\s*:\s*\{/ ascii
        $x5 = /"cuda"\s*:\s*\{/ ascii
        $x6 = /"opencl"\s*:\s*\{/ ascii
        $x7 = /"nicehash"\s*:/ ascii
        $x8 = /"rig-id"\s*:/ ascii
        $x9 = /"keepalive"\s*:/ ascii
        $x10 = /"huge-pages"\s*:/ ascii
        $x11 = /"max-threads-hint"\s*:/ ascii
        $bare = /"url"\s*:\s*"[A-Za-z0-9.\-]{3,253}:[0-9]{2,5}"/ ascii
    condition:
        filesize < 2MB and $pools and $url and 1 of ($k*) and (2 of ($x*) or ($bare and 1 of ($x*)))
}

rule IRKIT_MinerConfig_Pool_Wallet_JSON
{
    meta:
        description = "JSON miner config whose pool user is a cryptocurrency wallet address"
        severity = "critical"
        reference = "https://xmrig.com/docs/miner/config/pool"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $pools = /"pools"\s*:\s*\[/ ascii
        $url = /"url"\s*:\s*"/ ascii
        $xmr = /"user"\s*:\s*"[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}/ ascii
        $eth = /"user"\s*:\s*"0x[0-9a-fA-F]{40}/ ascii
        $btc = /"user"\s*:\s*"(bc1[ac-hj-np-z02-9]{11,71}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})[".]/ ascii
        $ltc = /"user"\s*:\s*"(ltc1[ac-hj-np-z02-9]{11,71}|[LM][a-km-zA-HJ-NP-Z1-9]{26,33})[".]/ ascii
        $rvn = /"user"\s*:\s*"R[a-km-zA-HJ-NP-Z1-9]{33}[".]/ ascii
    condition:
        $pools and $url and 1 of ($xmr, $eth, $btc, $ltc, $rvn)
}

rule IRKIT_MinerConfig_TRex_JSON
{
    meta:
        description = "T-Rex style JSON config: pools with url/user/worker and T-Rex-only keys"
        severity = "high"
        reference = "https://github.com/trexminer/T-Rex"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $pools = /"pools"\s*:\s*\[/ ascii
        $url = /"url"\s*:\s*"/ ascii
        $user = /"user"\s*:\s*"/ ascii
        $worker = /"worker"\s*:\s*"/ ascii
        $k1 = /"api-bind-http"\s*:/ ascii
        $k2 = /"pci-indexing"\s*:/ ascii
        $k3 = /"gpu-report-interval"\s*:/ ascii
        $k4 = /"intensity"\s*:/ ascii
        $k5 = /"algo"\s*:\s*"/ ascii
    condition:
        filesize < 2MB and $pools and $url and $user and $worker and 2 of ($k*)
}

rule IRKIT_MinerConfig_XmrStak
{
    meta:
        description = "xmr-stak pools.txt/config: pool_list entries with pool_address and wallet_address"
        severity = "high"
        reference = "https://github.com/fireice-uk/xmr-stak"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $list = /"pool_list"\s*:/ ascii
        $addr = /"pool_address"\s*:/ ascii
        $wallet = /"wallet_address"\s*:/ ascii
        $pass = /"pool_password"\s*:/ ascii
    condition:
        filesize < 2MB and $list and $addr and ($wallet or $pass)
}

rule IRKIT_MinerConfig_Nanominer_INI
{
    meta:
        description = "nanominer config.ini: wallet and numbered pool keys under an algorithm section"
        severity = "high"
        reference = "https://github.com/nanopool/nanominer"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $wallet = /(^|\n)\s*wallet\s*=\s*\S{20,}/ ascii
        $pool = /(^|\n)\s*pool[1-9]\s*=\s*[A-Za-z0-9.\-]{3,253}:[0-9]{2,5}/ ascii
        $section = /(^|\n)\s*\[(Ethash|Etchash|RandomX|Autolykos|KawPow|Kaspa|Octopus|Verushash|Zil|Kheavyhash)\]/ ascii nocase
        $rig = /(^|\n)\s*rigName\s*=/ ascii
    condition:
        filesize < 1MB and $wallet and $pool and ($section or $rig)
}

rule IRKIT_Miner_Stratum_URL_With_Wallet
{
    meta:
        description = "A pool URL with a wallet given as the miner user: a launch line, script, unit or cron entry starting a miner"
        severity = "high"
        reference = "https://xmrig.com/docs/miner/command-line-options"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $url = /(stratum[12]?\+(tcp|ssl|tls):\/\/|-o |--url[ =]|--pool[ =]|--server[ =]|-pool )[A-Za-z0-9.\-]{3,253}:[0-9]{2,5}/ ascii
        $xmr = /(-u |--user[ =]|--wallet[ =]|-wal |-ewal )[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}/ ascii
        $eth = /(-u |--user[ =]|--wallet[ =]|-wal |-ewal )0x[0-9a-fA-F]{40}/ ascii
        $btc = /(-u |--user[ =]|--wallet[ =]|-wal )(bc1[ac-hj-np-z02-9]{11,71}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b/ ascii
        $ltc = /(-u |--user[ =]|--wallet[ =]|-wal )(ltc1[ac-hj-np-z02-9]{11,71}|[LM][a-km-zA-HJ-NP-Z1-9]{26,33})\b/ ascii
        $rvn = /(-u |--user[ =]|--wallet[ =]|-wal )R[a-km-zA-HJ-NP-Z1-9]{33}\b/ ascii
    condition:
        $url and 1 of ($xmr, $eth, $btc, $ltc, $rvn)
}

rule IRKIT_Wallet_Monero
{
    meta:
        description = "A Monero address (standard/subaddress 95 base58 chars from 4 or 8, integrated 106) where a miner takes its user"
        severity = "medium"
        reference = "https://docs.getmonero.org/public-address/standard-address/"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $a = /(-u |--user[ =]|--wallet[ =]|-wal |"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}([1-9A-HJ-NP-Za-km-z]{11})?\b/ ascii
    condition:
        $a
}

rule IRKIT_Wallet_GPU_Coins
{
    meta:
        description = "A BTC, ETH, LTC or RVN address where a miner takes its user or wallet"
        severity = "medium"
        reference = "https://en.bitcoin.it/wiki/Invoice_address"
        mitre = "T1496"
        date = "2026-11-30"
    strings:
        $eth = /(-u |--user[ =]|--wallet[ =]|-wal |-ewal |"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)0x[0-9a-fA-F]{40}\b/ ascii
        $btc = /(-u |--user[ =]|--wallet[ =]|-wal |"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)(bc1[ac-hj-np-z02-9]{11,71}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b/ ascii
        $ltc = /(-u |--user[ =]|--wallet[ =]|-wal |"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)(ltc1[ac-hj-np-z02-9]{11,71}|[LM][a-km-zA-HJ-NP-Z1-9]{26,33})\b/ ascii
        $rvn = /(-u |--user[ =]|--wallet[ =]|-wal |"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)R[a-km-zA-HJ-NP-Z1-9]{33}\b/ ascii
    condition:
        any of them
}

rule IRKIT_Wallet_Other_Coins
{
    meta:
        description = "A Kaspa, Ergo, Zephyr, QRL, Iron Fish or Tron address where a miner takes its user or wallet (format only: no checksum is checked here)"
        severity = "medium"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496"
        date = "2026-12-01"
    strings:
        $kas = /(-u |--user[ =]|-w |--wallet[ =]|"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)["']?kaspa:q[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{60,63}\b/ ascii
        $erg = /(-u |--user[ =]|-w |--wallet[ =]|"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)["']?(ERG:)?9[1-9A-HJ-NP-Za-km-z]{50}\b/ ascii
        $zeph = /(-u |--user[ =]|-w |--wallet[ =]|"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)["']?(ZEPH:)?ZEPH(YR|yr|s|i)[1-9A-HJ-NP-Za-km-z]{85,105}\b/ ascii
        $qrl = /(-u |--user[ =]|-w |--wallet[ =]|"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)["']?(QRL:)?Q[0-9a-f]{78}\b/ ascii
        $iron = /(-u |--user[ =]|-w |--wallet[ =]|"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)["']?(IRON:)?[0-9a-f]{64}\b/ ascii
        $trx = /(-u |--user[ =]|-w |--wallet[ =]|"user"\s*:\s*"|"wallet"\s*:\s*"|wallet\s*=\s*)["']?(TRX:)?T[1-9A-HJ-NP-Za-km-z]{33}\b/ ascii
    condition:
        any of them
}

rule IRKIT_Miner_Coin_Prefixed_User
{
    meta:
        description = "A pool with a coin-prefixed miner user (RVN:, TRX:, kaspa:, IRON:, ...), as unMineable and multi-coin pools take it"
        severity = "high"
        reference = "https://unmineable.com/"
        mitre = "T1496"
        date = "2026-12-01"
    strings:
        $user = /(-u |--user[ =]|-w |--wallet[ =]|--dualuser[ =]|"user"\s*:\s*"|"wallet"\s*:\s*")["']?(RVN|TRX|KAS|kaspa|IRON|ERG|ETC|ETH|XMR|DOGE|LTC|SHIB|BTT|ZEPH|XNA|CFX|NEXA|CLORE|DGB|BCH|ZEC|RTM|ALPH|DNX|ZIL|FLUX|BEAM|XEL|KLS|ADA|SOL|BNB|MATIC|XRP|USDT|QRL):[A-Za-z0-9]{20,}/ nocase
        $pool = /(stratum[12]?\+(tcp|tcps|ssl|tls):\/\/|-o |-p |-P |--pool[ =]|--dualpool[ =]|--url[ =]|--server[ =]|"url"\s*:\s*")["']?[A-Za-z0-9.\-]{3,253}(:[0-9]{2,5}|\b)/ ascii
    condition:
        $user and $pool
}
