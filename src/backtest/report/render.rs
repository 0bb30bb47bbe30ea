//! The report's content written out as Markdown and as one self-contained HTML page.

use super::chart::escape;
use super::content::{Block, Cell, Doc, Table, Tone};
use std::fmt::Write;

/// GitHub-flavoured Markdown; the chart is an image link to `chart_file`.
pub(super) fn markdown(doc: &Doc, chart_file: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", md_text(&doc.title));
    let _ = writeln!(s, "{}\n", md_text(&doc.subtitle));
    if let Some(b) = &doc.banner {
        let _ = writeln!(s, "> **{}**\n", md_text(b));
    }
    if !doc.kpis.is_empty() {
        let head: Vec<&str> = doc.kpis.iter().map(|k| k.label).collect();
        let _ = writeln!(s, "| {} |", head.join(" | "));
        let _ = writeln!(s, "|{}", " ---: |".repeat(head.len()));
        let values: Vec<String> = doc
            .kpis
            .iter()
            .map(|k| format!("**{}** {}", md_cell(&k.value.text), md_cell(&k.note)))
            .collect();
        let _ = writeln!(s, "| {} |\n", values.join(" | "));
    }
    for section in &doc.sections {
        let _ = writeln!(s, "## {}\n", md_text(&section.title));
        for block in &section.blocks {
            match block {
                Block::Chart => {
                    let _ = writeln!(
                        s,
                        "![Equity against buy and hold, with entries and exits, and drawdown]({chart_file})\n"
                    );
                }
                Block::Para(p) => {
                    let _ = writeln!(s, "{}\n", md_text(p));
                }
                Block::Facts(facts) => {
                    s.push_str("| | |\n| --- | --- |\n");
                    for (k, v) in facts {
                        let _ = writeln!(s, "| {} | {} |", md_cell(k), md_cell(&v.text));
                    }
                    s.push('\n');
                }
                Block::Table(t) => md_table(&mut s, t),
            }
        }
    }
    s
}

fn md_table(s: &mut String, t: &Table) {
    let _ = writeln!(s, "| {} |", t.head.join(" | "));
    let align: Vec<&str> = t
        .numeric
        .iter()
        .map(|n| if *n { "---:" } else { "---" })
        .collect();
    let _ = writeln!(s, "| {} |", align.join(" | "));
    let row = |s: &mut String, cells: &[Cell], bold: bool| {
        let texts: Vec<String> = cells
            .iter()
            .map(|c| {
                let text = md_cell(&c.text);
                if bold && !text.is_empty() {
                    format!("**{text}**")
                } else {
                    text
                }
            })
            .collect();
        let _ = writeln!(s, "| {} |", texts.join(" | "));
    };
    for r in &t.rows {
        row(s, r, false);
    }
    if let Some(f) = &t.foot {
        row(s, f, true);
    }
    s.push('\n');
}

/// Text in a table cell: pipes and line breaks would end the cell.
fn md_cell(s: &str) -> String {
    md_text(s).replace('|', "\\|").replace('\n', " ")
}

/// Text that Markdown would otherwise read as markup (`<`, `*`, `_` in strategy names).
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '_' | '`' | '<' | '>' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const CSS: &str = r#"
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--gain:#137333;--loss:#b42318;--bg:#f5f6f8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 40px}
h1{font-size:24px;margin:0 0 4px;letter-spacing:-.01em}
.sub{color:var(--muted);margin:0 0 14px}
h2{font-size:16px;margin:0 0 12px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:14px 0}
.banner{background:#fff4e5;border:1px solid #f2c078;color:#7a4100;border-radius:10px;padding:12px 16px;margin:12px 0;font-weight:600}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;background:none;border:0;padding:0}
.kpi{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.kpi .label{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}
.kpi .value{font-size:22px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums;white-space:nowrap}
.kpi .note{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th{text-align:left;color:var(--muted);font-weight:600;font-size:11px;text-transform:uppercase;letter-spacing:.04em;border-bottom:1px solid var(--line);padding:6px 10px}
td{padding:6px 10px;border-bottom:1px solid #f0f1f4;vertical-align:top}
tbody tr:nth-child(even) td{background:#fafbfc}
.num{text-align:right;white-space:nowrap}
tfoot td{font-weight:650;border-top:2px solid var(--line);border-bottom:0}
table.facts th{width:30%;text-transform:none;letter-spacing:0;font-size:13px;color:var(--fg);font-weight:500;border-bottom:1px solid #f0f1f4;vertical-align:top}
table.reconciliation{max-width:640px}
table.trades td,table.skips td,table.open td{font-size:13px}
table.trades td,table.trades th,table.open td,table.open th{white-space:nowrap}
table.trades td:last-child{white-space:normal}
.gain{color:var(--gain)}.loss{color:var(--loss)}.muted{color:var(--muted)}
p{margin:8px 0 0;color:var(--muted)}
figure{margin:0}figure svg{width:100%;height:auto;display:block}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:18px}
"#;

/// One page with the chart inline and its own styles: it opens from disk, offline.
pub(super) fn html(doc: &Doc, svg: &str) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<header><h1>{}</h1><p class=\"sub\">{}</p></header>",
        escape(&doc.title),
        escape(&doc.subtitle)
    );
    if let Some(banner) = &doc.banner {
        let _ = write!(b, "<div class=\"banner\">{}</div>", escape(banner));
    }
    if !doc.kpis.is_empty() {
        b.push_str("<section class=\"kpis\">");
        for k in &doc.kpis {
            let _ = write!(
                b,
                "<div class=\"kpi\"><div class=\"label\">{}</div><div class=\"value{}\">{}</div><div class=\"note\">{}</div></div>",
                escape(k.label),
                tone_class(k.value.tone),
                escape(&k.value.text),
                escape(&k.note)
            );
        }
        b.push_str("</section>");
    }
    for section in &doc.sections {
        let _ = write!(
            b,
            "<section id=\"{}\"><h2>{}</h2>",
            section.id,
            escape(&section.title)
        );
        for block in &section.blocks {
            match block {
                Block::Chart => {
                    let _ = write!(b, "<figure>{svg}</figure>");
                }
                Block::Para(p) => {
                    let _ = write!(b, "<p>{}</p>", escape(p));
                }
                Block::Facts(facts) => {
                    b.push_str("<table class=\"facts\"><tbody>");
                    for (k, v) in facts {
                        let _ = write!(
                            b,
                            "<tr><th scope=\"row\">{}</th><td{}>{}</td></tr>",
                            escape(k),
                            class_attr(v.tone, false),
                            escape(&v.text)
                        );
                    }
                    b.push_str("</tbody></table>");
                }
                Block::Table(t) => html_table(&mut b, t),
            }
        }
        b.push_str("</section>");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body><main>{b}<footer>alpaca-exec {} backtest report</footer></main></body></html>\n",
        escape(&doc.title),
        env!("CARGO_PKG_VERSION")
    )
}

fn html_table(b: &mut String, t: &Table) {
    let _ = write!(b, "<table class=\"{}\"><thead><tr>", t.class);
    for (i, h) in t.head.iter().enumerate() {
        let num = t.numeric.get(i).copied().unwrap_or(false);
        let _ = write!(
            b,
            "<th{}>{}</th>",
            if num { " class=\"num\"" } else { "" },
            escape(h)
        );
    }
    b.push_str("</tr></thead><tbody>");
    let row = |b: &mut String, cells: &[Cell]| {
        b.push_str("<tr>");
        for (i, c) in cells.iter().enumerate() {
            let num = t.numeric.get(i).copied().unwrap_or(false);
            let _ = write!(b, "<td{}>{}</td>", class_attr(c.tone, num), escape(&c.text));
        }
        b.push_str("</tr>");
    };
    for r in &t.rows {
        row(b, r);
    }
    b.push_str("</tbody>");
    if let Some(f) = &t.foot {
        b.push_str("<tfoot>");
        row(b, f);
        b.push_str("</tfoot>");
    }
    b.push_str("</table>");
}

fn tone_class(t: Tone) -> &'static str {
    match t {
        Tone::Plain => "",
        Tone::Gain => " gain",
        Tone::Loss => " loss",
        Tone::Muted => " muted",
    }
}

fn class_attr(t: Tone, numeric: bool) -> String {
    let classes = format!("{}{}", if numeric { "num" } else { "" }, tone_class(t));
    let classes = classes.trim();
    if classes.is_empty() {
        String::new()
    } else {
        format!(" class=\"{classes}\"")
    }
}
