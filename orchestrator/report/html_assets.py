"""The HTML report's inline style sheet and script: the file must stand alone (no URL at all)."""

from __future__ import annotations

STYLE = """
:root { color-scheme: light; --ok: #2e7d32; --changed: #b26a00; --bad: #c62828;
  --skip: #00838f; --muted: #666; --line: #ddd; --plan: #1565c0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
  max-width: 1200px; padding: 1rem 1.5rem 3rem; color: #222; }
h1 { margin: .2rem 0 .4rem; font-size: 1.6rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { margin: 1.4rem 0 .3rem; }
table { border-collapse: collapse; margin: .4rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
  vertical-align: top; }
thead th { background: #f4f4f4; }
code { font: 12px/1.4 ui-monospace, "Cascadia Mono", Consolas, monospace;
  overflow-wrap: anywhere; }
code.d-added { color: var(--ok); }
code.d-removed { color: var(--bad); }
code.d-changed { color: var(--changed); }
.verdict { font-weight: 600; padding: .3rem .6rem; display: inline-block; border-radius: 4px; }
.verdict.good { background: #e8f5e9; color: var(--ok); }
.verdict.bad { background: #ffebee; color: var(--bad); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
  margin: .6rem 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
ul.counts { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem; }
ul.counts li { padding: .1rem .5rem; border-radius: 3px; }
.o { white-space: nowrap; font-weight: 600; }
.o-ok, .o-no-change { background: #e8f5e9; color: var(--ok); }
.o-changed, .o-will-change { background: #fff3e0; color: var(--changed); }
.o-failed, .o-unreachable, .o-rollback-failed, .o-deadline-missed, .o-not-run {
  background: #ffebee; color: var(--bad); }
.o-rolled-back { background: #e3f2fd; color: var(--plan); }
.o-skipped { background: #e0f7fa; color: var(--skip); }
.o-unknown { background: #f3e5f5; color: #6a1b9a; }
.o-none { color: #bbb; }
.grid th.col { max-width: 9rem; font-weight: 500; font-size: 12px; }
.grid td { text-align: center; }
.ignored { font-weight: 400; font-style: italic; }
.irreversible { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
ol.timeline { list-style: none; padding: 0; border-left: 3px solid var(--line);
  margin-left: .4rem; }
ol.timeline > li { margin: .5rem 0 .5rem -.55rem; padding-left: 1rem; position: relative; }
ol.timeline > li::before { content: ""; position: absolute; left: 0; top: .45rem; width: .7rem;
  height: .7rem; border-radius: 50%; background: #999; }
ol.timeline > li.window::before { background: var(--plan); }
.window-box { border: 1px solid #90caf9; border-radius: 6px; padding: .5rem .8rem;
  background: #f5faff; }
.window-box ol { margin: .3rem 0; list-style: none; padding-left: .5rem; }
.bar { position: relative; height: 1.4rem; background: #eceff1; border-radius: 3px;
  margin: .5rem 0 .1rem; overflow: hidden; }
.bar span { position: absolute; top: 0; bottom: 0; min-width: 2px; }
.bar .forward { background: #bbdefb; }
.bar .revert { background: repeating-linear-gradient(45deg, #ef9a9a 0 4px, #ffcdd2 4px 8px); }
.bar .open { background: #90caf9; }
.bar .late { background: var(--bad); }
.bar .close { width: 3px; background: #0d47a1; }
.bar-scale { display: flex; justify-content: space-between; font-size: 12px;
  color: var(--muted); }
label.filter { display: inline-block; margin: .3rem 0; }
@media print { label.filter { display: none; } }
"""

# Progressive enhancement only: without it every row stays shown. It marks the page as
# loaded (data-ready) so a browser test can tell that the script ran to its end.
SCRIPT = """
(function () {
  "use strict";
  var filter = document.getElementById("only-problems");
  var rows = document.querySelectorAll("#grid tbody tr");
  function apply() {
    rows.forEach(function (row) {
      row.hidden = filter.checked && row.getAttribute("data-problem") !== "1";
    });
  }
  if (filter) {
    filter.addEventListener("change", apply);
    apply();
  }
  document.documentElement.setAttribute("data-ready", "1");
})();
"""
