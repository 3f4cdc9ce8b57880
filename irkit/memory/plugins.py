"""The volatility3 plugins `irkit memory analyze` runs, by the name its --plugins option takes.

A module of its own so that the command's help can name them without importing the analysis
(volatility3's runner, the ISF builder and schema: most of `irkit memory`'s start-up).
"""

PLUGINS: dict[str, str] = {
    "pslist": "volatility3.plugins.linux.pslist.PsList",
    "psaux": "volatility3.plugins.linux.psaux.PsAux",
    "pstree": "volatility3.plugins.linux.pstree.PsTree",
    "sockstat": "volatility3.plugins.linux.sockstat.Sockstat",
    "lsof": "volatility3.plugins.linux.lsof.Lsof",
    "malfind": "volatility3.plugins.linux.malware.malfind.Malfind",
    "envars": "volatility3.plugins.linux.envars.Envars",
    "bash": "volatility3.plugins.linux.bash.Bash",
}
"""Name -> volatility3 plugin class, in the order they run."""
