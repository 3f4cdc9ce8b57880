/*
 * Markers, never findings: what a file that only mentions miners looks like. This file is
 * the one definition of a "mention" container; two parts of irkit read it:
 *
 * - meta `cap`: the scanner (irkit/hunt/mentions.py) applies it to the other hits on the
 *   same file: "low" lowers them to low, "none" drops them.
 * - meta `skip` (file suffixes): a tree walk (irkit/hunt/notevidence.py) does not scan a
 *   file with one of these suffixes whose first 4 KB this marker recognises (meta
 *   `container` is the reason it logs). A marker without `skip` only caps.
 *
 * Each marker wants the container's own structure (a YARA rule with its condition, a Sigma
 * logsource with its detection, an osquery pack's queries, a Falco rule with its output,
 * prose around code blocks, a test table of expected verdicts), not just a word of it.
 */

rule IRKIT_Mention_YARA_Rules
{
    meta:
        description = "YARA rules that name miners"
        severity = "info"
        reference = "https://yara.readthedocs.io/en/stable/writingrules.html"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
        skip = ".yar .yara"
        container = "a YARA rule file"
    strings:
        $rule = /(^|\n)[ \t]*((private|global)[ \t]+)*rule[ \t]+[A-Za-z_][A-Za-z0-9_]{0,127}([ \t]*:[ \t]*[A-Za-z0-9_ \t]{1,200})?[ \t\r\n]*\{/
        $cond = /condition[ \t]*:/
    condition:
        filesize < 16MB and $rule and $cond
}

rule IRKIT_Mention_Sigma_Rules
{
    meta:
        description = "Sigma rules that name miners"
        severity = "info"
        reference = "https://github.com/SigmaHQ/sigma-specification"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
        skip = ".yml .yaml"
        container = "a Sigma rule file"
    strings:
        $log = /(^|\n)[ \t]*logsource[ \t]*:/
        $det = /(^|\n)[ \t]*detection[ \t]*:/
    condition:
        filesize < 16MB and $log and $det
}

rule IRKIT_Mention_Falco_Rules
{
    meta:
        description = "Falco rules that name miners"
        severity = "info"
        reference = "https://falco.org/docs/concepts/rules/basic-elements/"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
        skip = ".yml .yaml"
        container = "a Falco rule file"
    strings:
        $rule = /(^|\n)-[ \t]+rule[ \t]*:/
        $out = /(^|\n)[ \t]+output[ \t]*:/
        $cond = /(^|\n)[ \t]+condition[ \t]*:/
    condition:
        filesize < 16MB and $rule and $out and $cond
}

rule IRKIT_Mention_Osquery_Pack
{
    meta:
        description = "osquery packs whose queries name miners"
        severity = "info"
        reference = "https://osquery.readthedocs.io/en/stable/deployment/configuration/#query-packs"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
        skip = ".conf .json"
        container = "an osquery pack"
    strings:
        $queries = /"queries"[ \t\r\n]*:[ \t\r\n]*\{/
        $query = /"query"[ \t\r\n]*:[ \t\r\n]*"(SELECT|select)[ \t]/
    condition:
        filesize < 16MB and $queries and $query
}

rule IRKIT_Mention_Documentation
{
    meta:
        description = "Prose documentation that shows miner command lines as code: Markdown fences (or one under a subheading), indented blocks after a paragraph, bold lists or tables, reStructuredText code blocks, HTML pages"
        severity = "info"
        reference = "https://spec.commonmark.org/0.31.2/#indented-code-blocks"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
    strings:
        $fence = /(^|\n)[ \t]*```/
        $rst = /(^|\n)\.\. (code-block|code|sourcecode)::/
        $html = /<(!DOCTYPE[ \t]+html|html[ \t>])/ nocase
        // Markdown without fences: two bold list items (`- **term:**`) or a table's rule
        // line (`|---|`); neither is shell, YAML or source code.
        $md_bold1 = "\n- **"
        $md_bold2 = "\n* **"
        $md_table = /\n\|[ \t]*:?-{3,}:?[ \t]*\|/
        // One fence (an excerpt, a cut-off copy) counts beside a Markdown subheading
        // (`## ` on a line, or `##` opening the file).
        $md_h2 = "\n## "
        $md_h3 = "\n### "
        $md_h4 = "\n#### "
        // A paragraph whose first line is five or more words of prose (letters, digits,
        // UTF-8, light punctuation, no call syntax like `f(x`), ending in ':' or '.', then
        // a blank line and a tab- or four-space-indented line (Markdown's indented code)
        // or, after a ':', a line opening an inline code span.
        $indented = /(^|\n)[A-Za-z\x80-\xff][A-Za-z0-9\x80-\xff,.'-]{0,40}( \(?[A-Za-z0-9\x80-\xff,.'-]{1,40}\)?){4,30}(\n[A-Za-z\x80-\xff][^\n]{0,300}){0,5}(:\n\n\t|:\n\n    |\.\n\n\t|\.\n\n    |:\n\n`)[^ \t\n`]/
        // Source code, scripts (#!), ELF files and compiled Python (.pyc: \r\n at offset 2)
        // have indented blocks or docstrings of their own: there an indented block after
        // prose is no sign of a document.
        $code1 = "\nimport "
        $code2 = "\ndef "
        $code3 = "\nclass "
        $code4 = "\npackage "
        $code5 = "\nfunc "
        $code6 = "\n#include "
    condition:
        filesize < 16MB and (#fence >= 2 or $rst or $html or
            #md_bold1 + #md_bold2 >= 2 or $md_table or ($fence and (any of ($md_h*) or uint16(0) == 0x2323)) or
            ($indented and not any of ($code*) and uint16(0) != 0x2123 and uint32(0) != 0x464c457f and
                uint16(2) != 0x0a0d))
}

rule IRKIT_Mention_Test_Table
{
    meta:
        description = "A detector's test table: command lines as string literals, each with the verdict it expects"
        severity = "info"
        reference = "https://go.dev/wiki/TableDrivenTests"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
    strings:
        // Go/Rust struct literals: the expected verdict on its own line, closing the case
        // (gofmt indents with tabs, rustfmt with spaces). Plain strings: a regex here
        // cost 10% of the pack's time on text full of true/false.
        $own1 = "true,\n\t\t},"
        $own2 = "false,\n\t\t},"
        $own3 = "true,\n        },"
        $own4 = "false,\n        },"
        // One-line cases, each an element of a list: {"cmd", true}, and ("cmd", True),
        // (a call like `d.get("k", True)` has no comma after it).
        $inline1 = "\", true},"
        $inline2 = "\", false},"
        $inline3 = "\", True),"
        $inline4 = "\", False),"
    condition:
        filesize < 16MB and #own1 + #own2 + #own3 + #own4 + #inline1 + #inline2 + #inline3 +
            #inline4 >= 2
}

rule IRKIT_Mention_Rust_Tests
{
    meta:
        description = "A Rust test source: command lines as data in #[test] functions that assert on a detector's verdict, with no way to run a program"
        severity = "info"
        reference = "https://doc.rust-lang.org/book/ch11-01-writing-tests.html"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
    strings:
        $test1 = "#[test]"
        $test2 = "#[cfg(test)]"
        $assert1 = "assert!("
        $assert2 = "assert_eq!("
        $assert3 = "assert_ne!("
        // What runs a program from Rust: a test that can start one is not just data.
        $run1 = "Command::new"
        $run2 = "execv"
        $run3 = "posix_spawn"
        $run4 = "libc::system"
    condition:
        filesize < 16MB and any of ($test*) and any of ($assert*) and not any of ($run*)
}

rule IRKIT_Mention_JS_Tests
{
    meta:
        description = "A JavaScript/TypeScript test file (describe/it/expect): command lines as data, with no way to run a program"
        severity = "info"
        reference = "https://jestjs.io/docs/api"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
    strings:
        $describe = "describe("
        $it1 = "it('"
        $it2 = "it(\""
        $it3 = "it(`"
        $it4 = "test('"
        $it5 = "test(\""
        $expect1 = "expect("
        $expect2 = "assert."
        // What runs a program from Node, Deno or Bun (or a shell library): a test that can
        // start one is not just data.
        $run1 = "child_process"
        $run2 = "spawn_sync"
        $run3 = "Deno.Command"
        $run4 = "Deno.run"
        $run5 = "Bun.spawn"
        $run6 = "execa"
        $run7 = "shelljs"
    condition:
        filesize < 16MB and $describe and any of ($it*) and any of ($expect*) and
            not any of ($run*)
}

rule IRKIT_Mention_JS_Manifest_Literal
{
    meta:
        description = "A Kubernetes manifest quoted in a JavaScript/TypeScript string literal (a scanner's demo data), with no way to run a program or reach an API server"
        severity = "info"
        reference = "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Template_literals"
        mitre = "T1496"
        date = "2026-12-01"
        cap = "low"
    strings:
        $lit1 = "`apiVersion: "
        $lit2 = "'apiVersion: "
        $lit3 = "\"apiVersion: "
        $js1 = "export const "
        $js2 = "export default "
        $js3 = "module.exports"
        // What would turn the literal into a workload: a program run (kubectl or other),
        // a Kubernetes client, or a request to an API server's resource paths.
        $run1 = "child_process"
        $run2 = "spawn_sync"
        $run3 = "Deno.Command"
        $run4 = "Bun.spawn"
        $run5 = "execa"
        $run6 = "shelljs"
        $run7 = "@kubernetes/client-node"
        $run8 = "/api/v1/"
        $run9 = "/apis/"
    condition:
        filesize < 16MB and any of ($lit*) and any of ($js*) and not any of ($run*)
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
        filesize < 2MB and #rule >= 1 and $meta and $date and IRKIT_Mention_YARA_Rules
}
