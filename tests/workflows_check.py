#!/usr/bin/env python3
"""Checks the GitHub Actions workflows in .github/workflows/ as GitHub would read them, and what the
release workflow must do: the YAML parses; every job has runs-on and steps, every step exactly one of
`uses` (pinned to a version) and `run`, every `needs` names a job; ${{ }} expressions are closed; the
release runs only on version tags, with read-only default permissions, gives id-token only to the
publishing jobs, checks the tag and the repository metadata with tests/versions_agree.cmake -DRELEASE=ON,
runs tests/run-all before anything is published, publishes npm with provenance and PyPI by trusted
publishing, and attaches SHA256SUMS.

    tests/workflows_check.py [ROOT]      exit 0: as expected; 1: lists what is wrong
"""
import pathlib
import re
import sys

import yaml

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
problems = []


def problem(where, what):
    problems.append(f"{where}: {what}")


def steps_text(job):
    return "\n".join(str(s.get("run", "")) + " " + str(s.get("uses", "")) for s in job.get("steps", []))


workflows = sorted((root / ".github" / "workflows").glob("*.yml"))
if not workflows:
    problem(".github/workflows", "no workflow")
for path in workflows:
    name = path.relative_to(root)
    text = path.read_text()
    if text.count("${{") != text.count("}}"):
        problem(name, "an unclosed ${{ }} expression")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        problem(name, f"not YAML: {e}")
        continue
    # YAML 1.1 reads the key `on` as true.
    triggers = doc.get("on", doc.get(True))
    if not triggers:
        problem(name, "no `on` triggers")
    jobs = doc.get("jobs") or {}
    if not jobs:
        problem(name, "no jobs")
    for job_id, job in jobs.items():
        where = f"{name} job {job_id}"
        if "runs-on" not in job:
            problem(where, "no runs-on")
        needs = job.get("needs", [])
        for need in [needs] if isinstance(needs, str) else needs:
            if need not in jobs:
                problem(where, f"needs an unknown job {need!r}")
        steps = job.get("steps") or []
        if not steps:
            problem(where, "no steps")
        for i, step in enumerate(steps):
            if ("uses" in step) == ("run" in step):
                problem(where, f"step {i + 1} needs exactly one of uses and run")
            uses = step.get("uses")
            if uses and not re.search(r"@(v\d+|release/v\d+|[0-9a-f]{40})$", uses):
                problem(where, f"step {i + 1}: {uses} is not pinned to a version")

    if path.name != "release.yml":
        continue
    push = (triggers or {}).get("push") or {}
    if set(triggers or {}) != {"push"} or set(push) != {"tags"}:
        problem(name, "must run on pushed version tags only")
    if doc.get("permissions") != {"contents": "read"}:
        problem(name, "default permissions must be contents: read")
    for job_id, job in jobs.items():
        if (job.get("permissions") or {}).get("id-token") == "write" and not job_id.startswith("publish-"):
            problem(f"{name} job {job_id}", "only publishing jobs may have id-token: write")
    build = jobs.get("build-and-test", {})
    build_steps = steps_text(build)
    for needed in ("tests/versions_agree.cmake", "tests/run-all", "sha256sum", "actions/upload-artifact"):
        if needed not in build_steps:
            problem(f"{name} job build-and-test", f"does not run {needed}")
    if "tests/versions_agree.cmake" in build_steps and "-DRELEASE=ON" not in build_steps:
        problem(f"{name} job build-and-test", "checks versions without -DRELEASE=ON, so the repository metadata goes unchecked")
    if build_steps.find("tests/versions_agree.cmake") > build_steps.find("tests/run-all"):
        problem(f"{name} job build-and-test", "checks the version after the long run instead of first")
    for job_id, needed in (("publish-npm", "npm publish --provenance"), ("publish-pypi", "pypa/gh-action-pypi-publish"),
                           ("github-release", "gh release create")):
        job = jobs.get(job_id)
        if job is None:
            problem(name, f"no {job_id} job")
            continue
        if job.get("needs") != "build-and-test":
            problem(f"{name} job {job_id}", "must need build-and-test (nothing is published untested)")
        if needed not in steps_text(job):
            problem(f"{name} job {job_id}", f"does not run {needed}")
    if (jobs.get("github-release", {}).get("permissions") or {}).get("contents") != "write":
        problem(f"{name} job github-release", "needs contents: write to create the release")

for p in problems:
    print(f"workflows_check: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"workflows_check: {len(workflows)} workflow(s) as expected")
