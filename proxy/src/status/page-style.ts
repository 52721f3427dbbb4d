import { createHash } from 'node:crypto';

/**
 * The status page's stylesheet, inline (one response, printable offline) and allowed by its
 * hash in the Content-Security-Policy, so the page needs no 'unsafe-inline' and runs no script.
 */
export const STATUS_CSS = `
:root{color-scheme:light;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#fff}
body{margin:0 auto;max-width:1440px;padding:1rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:2px solid #d8dee4;padding-bottom:.25rem}
h3{font-size:1.05rem;margin:1.4rem 0 .4rem}
p{margin:.4rem 0}
.meta{color:#57606a;margin:.15rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.3rem 0;color:#24292f}
th,td{border-bottom:1px solid #d8dee4;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th,thead td{background:#f6f8fa;border-bottom:2px solid #afb8c1}
tbody th{font-weight:600}
.num{text-align:right}
td.num,td.date{white-space:nowrap}
thead a{color:inherit}
th[aria-sort=ascending] a::after{content:" \\25B2"}
th[aria-sort=descending] a::after{content:" \\25BC"}
.sub{display:block;color:#57606a;font-weight:400;font-size:.85em}
.state{display:inline-block;padding:.05rem .5rem;border-radius:.7rem;font-weight:600;font-size:.85em;border:1px solid;white-space:nowrap}
.state-proxied{background:#eaeef2;border-color:#8c959f;color:#24292f}
.state-shadow{background:#ddf4ff;border-color:#218bff;color:#0a3069}
.state-canary{background:#fff8c5;border-color:#bf8700;color:#4d2d00}
.state-migrated{background:#dafbe1;border-color:#2da44e;color:#044f1e}
.state-retired{background:#fbefff;border-color:#a475f9;color:#512a97}
.state-rolled-back{background:#ffebe9;border-color:#cf222e;color:#82071e}
.verdict.bad{border-color:#cf222e;background:#ffebe9}
.tag{display:inline-block;margin-left:.4rem;padding:0 .35rem;border:1px solid #8c959f;border-radius:.3rem;font-size:.75em;font-weight:400;color:#57606a;white-space:nowrap}
.tag-openapi{border-color:#218bff;color:#0a3069}
.tag-learned{border-color:#bf8700;color:#4d2d00}
.summary{min-width:16rem;max-width:28rem}
.verdict{padding:.6rem .8rem;border-left:4px solid #bf8700;background:#fff8c5}
.verdict.ok{border-color:#2da44e;background:#dafbe1}
.bad{color:#a40e26;font-weight:600}
.note{color:#57606a;font-size:.9em}
form{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin:.4rem 0}
input[type=text]{font:inherit;padding:.3rem .5rem;min-width:24rem;border:1px solid #8c959f;border-radius:4px}
button{font:inherit;padding:.3rem .9rem;border-radius:4px;border:1px solid #1a7f37;background:#1f883d;color:#fff;cursor:pointer}
nav{margin:.5rem 0}
nav a[aria-current]{font-weight:700;color:#1b1f24;text-decoration:none}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.4rem 0}
dl.facts dt{color:#57606a}
dl.facts dd{margin:0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
@media print{
  nav,form,.no-print{display:none}
  body{max-width:none;padding:0;font-size:9.5pt}
  a{color:inherit;text-decoration:none}
  th[aria-sort] a::after{content:""}
  thead{display:table-header-group}
  tr,.route{break-inside:avoid}
  .state,.verdict{background:none!important;color:#000!important;border-color:#000!important}
}
`;

export const STATUS_CSS_HASH = `'sha256-${createHash('sha256').update(STATUS_CSS).digest('base64')}'`;
