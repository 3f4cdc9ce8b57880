/*
 * Miner rootkits: ld.so.preload process hiders (libprocesshider and its clones, as used
 * by TeamTNT-style campaigns) and the Diamorphine-style kernel module, plus the scripts
 * installing them. The shared-object rules keep the ELF gate (files only); the hider's
 * source is also looked for because campaigns compile it on the victim.
 */

rule IRKIT_Rootkit_Preload_Process_Hider
{
    meta:
        description = "Shared object hooking readdir through dlsym to hide a process from /proc listings"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1574/006/"
        mitre = "T1574.006 T1014"
        date = "2026-11-30"
    strings:
        $h1 = "readdir" ascii
        $h2 = "readdir64" ascii
        $h3 = "dlsym" ascii
        $p1 = "process_to_filter" ascii
        $p2 = "get_dir_name" ascii
        $p3 = "get_process_name" ascii
        $f1 = "/proc/self/fd/%d" ascii
        $f2 = "/proc/%s/stat" ascii
        $f3 = "%d (%[^)]s" ascii
    condition:
        uint32(0) == 0x464c457f and all of ($h*) and (1 of ($p*) and 2 of ($f*))
}

rule IRKIT_Rootkit_Process_Hider_Source
{
    meta:
        description = "C source of an LD_PRELOAD process hider (compiled on the victim by some campaigns)"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1574/006/"
        mitre = "T1574.006 T1014"
        date = "2026-11-30"
    strings:
        $a = "dlsym(RTLD_NEXT" ascii
        $b = /struct[ \t]+dirent(64)?[ \t]*\*[ \t]*readdir(64)?[ \t]*\(/ ascii
        $c = "/proc" ascii
        $d = /strcmp\([^\n]{0,60}(process_to_filter|filter|hide)/ ascii
    condition:
        filesize < 1MB and all of them
}

rule IRKIT_Rootkit_Preload_Install
{
    meta:
        description = "A script writing a library path into /etc/ld.so.preload"
        severity = "high"
        reference = "https://attack.mitre.org/techniques/T1574/006/"
        mitre = "T1574.006"
        date = "2026-11-30"
    strings:
        $w = /(echo|printf)[ \t]+[^\n]{0,120}\.so[^\n]{0,20}>>?[ \t]*\/etc\/ld\.so\.preload/ ascii
    condition:
        filesize < 2MB and $w
}

rule IRKIT_Rootkit_Diamorphine_LKM
{
    meta:
        description = "Diamorphine-style kernel rootkit module: hooked getdents/kill and module hiding"
        severity = "critical"
        reference = "https://attack.mitre.org/techniques/T1014/"
        mitre = "T1014 T1547.006"
        date = "2026-11-30"
    strings:
        $n = "diamorphine" ascii
        $s1 = "hacked_getdents64" ascii
        $s2 = "hacked_getdents" ascii
        $s3 = "hacked_kill" ascii
        $s4 = "module_hide" ascii
        $s5 = "module_show" ascii
        $s6 = "give_root" ascii
    condition:
        uint32(0) == 0x464c457f and ($n or 3 of ($s*))
}
