/*
 * Markers, never findings: files that only mention miners. Their meta `cap` tells the
 * scanner (irkit/hunt/mentions.py) what to do with the other hits on the same file:
 * "low" lowers them to low, "none" drops them. Each marker wants the container's own
 * structure (a YARA rule with its condition, a Sigma logsource with its detection, an
 * osquery pack's queries, a Falco rule with its output), not just a word of it.
 */

rule IRKIT_Mention_Detection_Content
{
    meta:
        description = "Detection content that names miners: YARA rules, Sigma rules, osquery packs, Falco rules"
        severity = "info"
        reference = "https://github.com/SigmaHQ/sigma-specification"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
    strings:
        $yara_rule = /(^|\n)[ \t]*((private|global)[ \t]+)*rule[ \t]+[A-Za-z_][A-Za-z0-9_]{0,127}([ \t]*:[ \t]*[A-Za-z0-9_ \t]{1,200})?[ \t\r\n]*\{/
        $yara_cond = /(^|\n)[ \t]*condition[ \t]*:/
        $sigma_log = /(^|\n)[ \t]*logsource[ \t]*:/
        $sigma_det = /(^|\n)[ \t]*detection[ \t]*:/
        $osq_queries = /"queries"[ \t\r\n]*:[ \t\r\n]*\{/
        $osq_query = /"query"[ \t\r\n]*:[ \t\r\n]*"(SELECT|select)[ \t]/
        $falco_rule = /(^|\n)-[ \t]+rule[ \t]*:/
        $falco_out = /(^|\n)[ \t]+output[ \t]*:/
        $falco_cond = /(^|\n)[ \t]+condition[ \t]*:/
    condition:
        filesize < 16MB and (($yara_rule and $yara_cond) or ($sigma_log and $sigma_det) or
            ($osq_queries and $osq_query) or ($falco_rule and $falco_out and $falco_cond))
}

rule IRKIT_Mention_Documentation
{
    meta:
        description = "Prose documentation that shows miner command lines in code blocks: Markdown fences, reStructuredText code blocks, HTML pages"
        severity = "info"
        reference = "https://spec.commonmark.org/0.31.2/#fenced-code-blocks"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
    strings:
        $fence = /(^|\n)[ \t]{0,3}```/
        $rst = /(^|\n)\.\. (code-block|code|sourcecode)::/
        $html = /<(!DOCTYPE[ \t]+html|html[ \t>])/ nocase
    condition:
        filesize < 16MB and (#fence >= 2 or $rst or $html)
}

rule IRKIT_Mention_Irkit_Pack
{
    meta:
        description = "A copy of irkit's own rule pack (another venv, /opt): never a finding"
        severity = "info"
        reference = "https://attack.mitre.org/techniques/T1496/"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "none"
    strings:
        $rule = /(^|\n)(private[ \t]+)?rule[ \t]+IRKIT_[A-Za-z0-9_]{1,100}[ \t\r]*\n\{/
        $meta = /\n[ \t]+mitre[ \t]*=[ \t]*"/
        $date = /\n[ \t]+date[ \t]*=[ \t]*"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]"/
    condition:
        filesize < 2MB and #rule >= 1 and $meta and $date and IRKIT_Mention_Detection_Content
}
