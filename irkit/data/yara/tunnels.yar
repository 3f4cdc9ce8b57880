/*
 * Tunnelling tools and their configs: reverse SSH launch lines, frp, chisel, ngrok and
 * gsocket. A reverse tunnel out of a GPU node or agent sandbox is the signal that gave the
 * ROME incident away. Launch-line rules are ungated so they also match command lines held
 * in process memory.
 */

rule IRKIT_Tunnel_Reverse_SSH
{
    meta:
        description = "An ssh/autossh command forwarding a remote port back in (-R port:host:port), as a reverse tunnel does"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1572/"
        mitre = "T1572 T1021.004"
        date = "2026-11-30"
    strings:
        $opts_first = /ssh[ \t]+-[^\n]{0,120}R[ \t]*([0-9.]+:)?[0-9]{1,5}:[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}/ ascii
        $host_first = /ssh[ \t]+[A-Za-z0-9_.\-]+@[A-Za-z0-9_.\-]+[ \t]+-[A-Za-z]*R[ \t]*([0-9.]+:)?[0-9]{1,5}:[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}/ ascii
    condition:
        any of them
}

rule IRKIT_Tunnel_FRP_Config
{
    meta:
        description = "frp client config (ini or toml): server address/port with proxied local or remote ports"
        severity = "high"
        reference = "https://github.com/fatedier/frp"
        mitre = "T1572 T1090"
        date = "2026-11-30"
    strings:
        $i1 = /(^|\n)[ \t]*server_addr[ \t]*=/ ascii
        $i2 = /(^|\n)[ \t]*server_port[ \t]*=/ ascii
        $i3 = /(^|\n)[ \t]*(local_port|remote_port|local_ip)[ \t]*=/ ascii
        $t1 = /(^|\n)[ \t]*serverAddr[ \t]*=/ ascii
        $t2 = /(^|\n)[ \t]*serverPort[ \t]*=/ ascii
        $t3 = /(^|\n)[ \t]*(localPort|remotePort|\[\[proxies\]\])/ ascii
    condition:
        filesize < 1MB and (all of ($i*) or all of ($t*))
}

rule IRKIT_Tunnel_FRP_Binary
{
    meta:
        description = "frp (fast reverse proxy) client or server binary"
        severity = "medium"
        reference = "https://github.com/fatedier/frp"
        mitre = "T1572 T1090"
        date = "2026-11-30"
    strings:
        $m = "github.com/fatedier/frp" ascii
        $c1 = "frpc" ascii
        $c2 = "frps" ascii
    condition:
        $m and 1 of ($c*)
}

rule IRKIT_Tunnel_Chisel
{
    meta:
        description = "chisel TCP/UDP tunnel over HTTP (binary, memory or a client launch with reverse remotes)"
        severity = "medium"
        reference = "https://github.com/jpillora/chisel"
        mitre = "T1572 T1090"
        date = "2026-11-30"
    strings:
        $m = "github.com/jpillora/chisel" ascii
        $p = "chisel-v3" ascii
        $l = /chisel[ \t]+client[ \t][^\n]{0,200}R:/ ascii
    condition:
        ($m and $p) or $l
}

rule IRKIT_Tunnel_Ngrok
{
    meta:
        description = "ngrok agent config (authtoken with tunnels) or an ngrok tcp launch"
        severity = "medium"
        reference = "https://ngrok.com/docs/agent/config/"
        mitre = "T1572 T1090"
        date = "2026-11-30"
    strings:
        $tok = /(^|\n)[ \t]*authtoken:[ \t]*[A-Za-z0-9_]{20,}/ ascii
        $tun = /(^|\n)[ \t]*(tunnels|endpoints):/ ascii
        $proto = /(^|\n)[ \t]*proto:[ \t]*(tcp|http|tls)/ ascii
        $tcp = /ngrok[ \t]+tcp[ \t]+[0-9]{2,5}/ ascii
    condition:
        ($tok and ($tun or $proto)) or $tcp
}

rule IRKIT_Tunnel_Gsocket
{
    meta:
        description = "gsocket / gs-netcat: relay-based backdoor tunnel used by miner campaigns"
        severity = "high"
        reference = "https://github.com/hackerschoice/gsocket"
        mitre = "T1572 T1219"
        date = "2026-11-30"
    strings:
        $a = "gs-netcat" ascii
        $b = "GSOCKET_ARGS" ascii
        $c = "gsocket" ascii
        $d = "gs.thc.org" ascii
        $e = "GS_SECRET" ascii
    condition:
        2 of them
}
