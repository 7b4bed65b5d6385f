//! A small SVG line chart: latency percentile curves (x: percentile on a
//! log scale of 1/(1−p), y: latency on a log scale), one line per series.

use std::fmt::Write;

const W: f64 = 860.0;
const H: f64 = 480.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;
const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

/// One line of the chart: a name and (percentile %, ns) points.
pub struct Series<'a> {
    /// Legend text.
    pub name: &'a str,
    /// Points as (percentile in %, latency in ns).
    pub points: &'a [(f64, u64)],
}

fn x_of(pct: f64) -> f64 {
    // 0 % → 0, 90 % → 1, 99 % → 2, … 99.9999 % → 6.
    let frac = (1.0 - pct / 100.0).max(1e-6);
    let v = (-frac.log10()).clamp(0.0, 6.0);
    LEFT + v / 6.0 * (W - LEFT - RIGHT)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders the percentile chart.
pub fn percentile_chart(title: &str, series: &[Series<'_>]) -> String {
    let max_ns = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .max()
        .unwrap_or(1)
        .max(10);
    let min_ns = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .min()
        .unwrap_or(1)
        .max(1);
    let lo = (min_ns as f64).log10().floor();
    let hi = (max_ns as f64).log10().ceil().max(lo + 1.0);
    let y_of = |ns: u64| {
        let v = (ns.max(1) as f64).log10();
        H - BOTTOM - (v - lo) / (hi - lo) * (H - TOP - BOTTOM)
    };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = write!(
        s,
        r#"<text x="{}" y="25" font-size="15" text-anchor="middle">{}</text>"#,
        (W - RIGHT + LEFT) / 2.0,
        escape(title)
    );
    // Axes and grid.
    for (i, label) in ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"]
        .iter()
        .enumerate()
    {
        let x = LEFT + i as f64 / 6.0 * (W - LEFT - RIGHT);
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{label}</text>"##,
            H - BOTTOM,
            H - BOTTOM + 18.0
        );
    }
    let mut e = lo;
    while e <= hi {
        let ns = 10f64.powf(e);
        let y = y_of(ns as u64);
        let label = if ns >= 1e9 {
            format!("{}s", ns / 1e9)
        } else if ns >= 1e6 {
            format!("{}ms", ns / 1e6)
        } else if ns >= 1e3 {
            format!("{}µs", ns / 1e3)
        } else {
            format!("{ns}ns")
        };
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{label}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
        e += 1.0;
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">percentile</text>"#,
        (W - RIGHT + LEFT) / 2.0,
        H - 15.0
    );
    let _ = write!(
        s,
        r#"<text x="20" y="{}" transform="rotate(-90 20 {})" text-anchor="middle">latency (log scale)</text>"#,
        H / 2.0,
        H / 2.0
    );
    // Lines and legend.
    for (i, ser) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        if ser.points.is_empty() {
            continue;
        }
        let pts: Vec<String> = ser
            .points
            .iter()
            .map(|&(p, ns)| format!("{:.1},{:.1}", x_of(p), y_of(ns)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        );
        let ly = TOP + 10.0 + i as f64 * 20.0;
        let lx = W - RIGHT + 15.0;
        let _ = write!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="3"/><text x="{}" y="{}">{}</text>"#,
            lx + 20.0,
            lx + 26.0,
            ly + 4.0,
            escape(ser.name)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_is_well_formed_svg_with_every_series() {
        let a = [(0.0, 100u64), (90.0, 200), (99.0, 400), (99.9, 5000)];
        let b = [(0.0, 50u64), (99.99, 90)];
        let svg = percentile_chart(
            "t <x>",
            &[
                Series {
                    name: "parse",
                    points: &a,
                },
                Series {
                    name: "book",
                    points: &b,
                },
            ],
        );
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("t &lt;x&gt;"));
        assert!(svg.contains(">parse<") && svg.contains(">book<"));
    }
}
