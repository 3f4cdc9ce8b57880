"""Review of sealed bundles, away from the suspect host: verify and load them (`bundles`),
re-hunt them with newer rules (`rescan`), analyse their memory image (`memory`). The bundle is
only ever read; what a review adds goes to files beside it (BUNDLE.rescan-TIME.jsonl)."""
