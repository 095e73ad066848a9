"""The soak's results as a Markdown table, one row per concurrency and runtime."""


def markdown(doc):
    lines = [
        "| concurrency | function | invocations | injected faults (as documented) | unexpected | invocations/s "
        "| RSS after warm-up | RSS at the end | growth | working set (RSS under load) "
        "| descriptors after warm-up / end | CPU per invocation |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in doc["results"]:
        documented = sum(r["faults_as_documented"].values())
        for mode, m in r["runtimes"].items():
            lines.append(
                f"| {r['concurrency']} | {mode} | {r['invocations']:,} | {r['faults_injected']:,} ({documented:,}) "
                f"| {r['unexpected']} | {r['invocations_per_s']:,} | {m['rss_after_warmup_kib']:,} KiB "
                f"| {m['rss_end_kib']:,} KiB | {m['rss_growth_kib']:+,} KiB "
                f"| {m['working_set_rss_range_kib'][0]:,}–{m['working_set_rss_range_kib'][1]:,} KiB "
                f"| {m['fds_after_warmup']} / {m['fds_end']} "
                f"| {m['cpu_ms_per_invocation_after_warmup']} ms |")
    return "\n".join(lines) + "\n"
