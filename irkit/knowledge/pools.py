"""TCP ports that mining pools commonly listen on (stratum, plain and TLS).

A connection to one of these ports is a cheap signal, not proof: 4444 and 5555
are also used by other software. Analysis weighs it with the other signals.
"""

POOL_PORTS: frozenset[int] = frozenset(
    {
        1111,  # nanopool alt
        2222,
        3333,  # the classic stratum port
        3334,
        3357,
        4444,
        5555,
        6666,
        7777,
        8008,
        8888,
        9999,
        10128,  # moneroocean-style difficulty ports
        10300,
        13333,
        14433,  # supportxmr TLS
        14444,  # monero pools (c3pool, supportxmr, nanopool)
        15555,
        17777,
        20128,
        20580,
        45560,
        45700,  # minexmr / 8220 gang
    }
)


def is_pool_port(port: int | None) -> bool:
    return port is not None and port in POOL_PORTS
