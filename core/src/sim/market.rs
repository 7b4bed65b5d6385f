//! The market thread: walks the source at the configured speed, keeps the
//! sim's books, broadcasts every frame to the connections subscribed to its
//! stream, and restarts the source (with an update-id offset) when looping.

use super::book::{Applied, SimBook};
use super::source::{for_each_record, SourceKind, SymbolInfo};
use super::stream::{classify, offset_ids};
use super::{bump, lock, Shared};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Update ids left unused between the end of one pass and the start of the
/// next when looping, so that every client sees a gap and must resync.
pub const LOOP_ID_GAP: u64 = 1_000;

/// A symbol's book at the start of a pass whose ids are shifted by `offset`:
/// waiting for its snapshot record, or empty just before its first diff.
pub(crate) fn start_book(s: &SymbolInfo, offset: u64) -> SimBook {
    if s.has_snapshot {
        SimBook::waiting()
    } else {
        let first = s.first_diff_id.unwrap_or(1).saturating_add(offset);
        SimBook::empty_at(first.saturating_sub(1))
    }
}

/// The offset of the next pass: past every id of this one, plus [`LOOP_ID_GAP`].
pub(crate) fn next_offset(s: &SymbolInfo, offset: u64) -> u64 {
    match s.id_range {
        Some((lo, hi)) => offset.saturating_add(hi - lo).saturating_add(LOOP_ID_GAP),
        None => offset,
    }
}

pub(crate) fn run(shared: &Arc<Shared>) {
    // Wait for the first subscriber or depth request.
    {
        let mut m = lock(&shared.market);
        while !m.started && !shared.stopping() {
            m = shared.market_cv.wait(m).unwrap_or_else(|p| p.into_inner());
        }
    }
    let speed = shared.cfg.speed;
    let mut offsets: HashMap<String, u64> =
        shared.info.symbols.keys().map(|k| (k.clone(), 0)).collect();
    let mut pass = 0u64;
    loop {
        if pass > 0 {
            let mut m = lock(&shared.market);
            for (name, s) in &shared.info.symbols {
                let off = offsets.get(name).copied().unwrap_or(0);
                m.books.insert(name.clone(), start_book(s, off));
            }
        }
        let t0_wall = Instant::now();
        let mut t0_rec: Option<u64> = None;
        let result = for_each_record(&shared.cfg.source, &mut |rec| {
            if shared.stopping() {
                return false;
            }
            if speed > 0.0 {
                let t0 = *t0_rec.get_or_insert(rec.recv_ns);
                let delta_ns = rec.recv_ns.saturating_sub(t0) as f64 / speed;
                let target = t0_wall + Duration::from_nanos(delta_ns.min(u64::MAX as f64) as u64);
                let now = Instant::now();
                if target > now && shared.sleep(target - now) {
                    return false;
                }
            }
            match rec.kind {
                SourceKind::Snapshot => {
                    let Some(sym) = rec.symbol else { return true };
                    let off = offsets.get(sym).copied().unwrap_or(0);
                    let mut m = lock(&shared.market);
                    if let Some(book) = m.books.get_mut(sym) {
                        match book.apply_snapshot(rec.payload, off) {
                            Ok(n) => {
                                shared
                                    .stats
                                    .diffs_applied
                                    .fetch_add(n as u64, Ordering::Relaxed);
                            }
                            Err(e) => {
                                eprintln!("sim: source snapshot for {sym} skipped: {e}");
                                bump(&shared.stats.source_skipped);
                            }
                        }
                    }
                    shared.market_cv.notify_all();
                }
                SourceKind::Frame => {
                    let Some((mut frame, _)) = classify(rec.payload) else {
                        bump(&shared.stats.source_skipped);
                        return true;
                    };
                    let sym = frame.key.symbol.to_ascii_uppercase();
                    let off = offsets.get(&sym).copied().unwrap_or(0);
                    if off > 0 {
                        frame.bare = offset_ids(&frame.bare, off);
                    }
                    if frame.is_diff() {
                        // Applied before it is sent: a snapshot taken now may
                        // include a diff the client has yet to receive, never
                        // miss one it already has.
                        let mut m = lock(&shared.market);
                        if let Some(book) = m.books.get_mut(&sym) {
                            match book.apply_diff(&frame.bare, 0) {
                                Ok(Applied::Applied) => bump(&shared.stats.diffs_applied),
                                Ok(_) => {}
                                Err(e) => {
                                    eprintln!("sim: source diff for {sym} not applied: {e}");
                                    bump(&shared.stats.source_skipped);
                                }
                            }
                        }
                    }
                    let trade = frame.key.kind == super::stream::StreamKind::Trade;
                    let frame = Arc::new(frame);
                    super::ws::broadcast(shared, Arc::clone(&frame));
                    if trade {
                        // After the broadcast: a client sees the trade before its fill.
                        super::api::on_trade(shared, &sym, &frame.bare);
                    }
                }
            }
            true
        });
        if let Err(e) = result {
            eprintln!("sim: source pass {pass} failed: {e}");
            break;
        }
        if shared.stopping() || !shared.cfg.looped {
            break;
        }
        pass += 1;
        for (name, s) in &shared.info.symbols {
            if let Some(off) = offsets.get_mut(name) {
                *off = next_offset(s, *off);
            }
        }
        shared.stats.loops.fetch_add(1, Ordering::Relaxed);
        eprintln!("sim: loop={pass} ids offset {offsets:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_offsets_leave_a_gap_and_keep_increasing() {
        let s = SymbolInfo {
            name: "BTCUSDT".into(),
            first_diff_id: Some(100),
            id_range: Some((99, 250)),
            ..SymbolInfo::default()
        };
        let o1 = next_offset(&s, 0);
        assert_eq!(o1, 151 + LOOP_ID_GAP);
        // The first id of pass 2 is past the last of pass 1 by more than the gap.
        assert!(99 + o1 > 250 + LOOP_ID_GAP - 1);
        let o2 = next_offset(&s, o1);
        assert!(99 + o2 > 250 + o1);
        let b = start_book(&s, o1);
        assert!(b.is_ready());
        assert_eq!(b.last_update_id(), 99 + o1);
        let with_snap = SymbolInfo {
            has_snapshot: true,
            ..s.clone()
        };
        assert!(!start_book(&with_snap, o1).is_ready());
        let no_ids = SymbolInfo::default();
        assert_eq!(next_offset(&no_ids, 7), 7);
    }
}
