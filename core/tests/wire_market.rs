//! `decode_market` on every market-stream fixture we hold, with values checked,
//! plus the errors bad input must give.

mod common;

use common::{doc_blocks, files_in, fill_placeholders, parse_exchange, read, s, txt_files_under};
use kairos_core::binance::market::*;
use kairos_core::binance::DecodeError;

fn decode(json: &str) -> MarketMessage {
    decode_market(json.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

// ---------------------------------------------------------------- docs ---

const DOCS: &str = "binance_spot_api_docs/web-socket-streams.examples.json";

/// Blocks of the docs file that are not market frames we receive: asserted to
/// be rejected, so a new kind of block makes the test fail.
const DOC_BLOCKS_REJECTED: &[(usize, &str)] = &[
    (2, "SUBSCRIBE request (outbound)"),
    (4, "UNSUBSCRIBE request (outbound)"),
    (6, "LIST_SUBSCRIPTIONS request (outbound)"),
    (8, "SET_PROPERTY request (outbound)"),
    (10, "GET_PROPERTY request (outbound)"),
    (19, "[{}] placeholder for the all-market mini ticker array"),
    (
        22,
        "[{}] placeholder for the all-market rolling ticker array",
    ),
];

fn check_doc_block(index: usize, m: &MarketMessage) {
    use MarketEvent as E;
    match (index, &m.event) {
        (0, E::ServerShutdown(x)) => {
            assert_eq!(m.stream, None);
            assert_eq!(x.event_time_ms, 1_770_123_456_789);
        }
        (1, E::ServerShutdown(x)) => {
            assert_eq!(m.stream.as_deref(), Some("!serverShutdown"));
            assert_eq!(x.event_time_ms, 1_770_123_456_789);
        }
        (3, E::ControlResponse(x)) => {
            assert_eq!(
                x,
                &ControlResponse {
                    result: None,
                    id: Some(RequestId::Num(1))
                }
            )
        }
        (5, E::ControlResponse(x)) => assert_eq!(x.id, Some(RequestId::Num(312))),
        (7, E::ControlResponse(x)) => {
            assert_eq!(
                x.result,
                Some(ControlResult::Streams(vec!["btcusdt@aggTrade".into()]))
            );
            assert_eq!(x.id, Some(RequestId::Num(3)));
        }
        (9, E::ControlResponse(x)) => {
            assert_eq!(
                x,
                &ControlResponse {
                    result: None,
                    id: Some(RequestId::Num(5))
                }
            )
        }
        (11, E::ControlResponse(x)) => {
            assert_eq!(x.result, Some(ControlResult::Flag(true)));
            assert_eq!(x.id, Some(RequestId::Num(2)));
        }
        (12, E::ReferencePrice(x)) => {
            assert_eq!(x.symbol, "BAZUSD");
            assert_eq!(s(x.reference_price), "1.00000000");
            assert_eq!(x.time_ms, 1_770_313_263_917);
        }
        (13, E::AggTrade(x)) => {
            assert_eq!(
                (x.agg_trade_id, x.first_trade_id, x.last_trade_id),
                (12345, 100, 105)
            );
            assert_eq!(s(x.price), "0.00100000");
            assert_eq!(s(x.qty), "100.00000000");
            assert!(x.buyer_is_maker);
        }
        (14, E::Trade(x)) => {
            assert_eq!(x.symbol, "BNBBTC");
            assert_eq!(x.trade_id, 12345);
            assert_eq!(s(x.price), "0.00100000");
            assert_eq!((x.buyer_order_id, x.seller_order_id), (None, None));
            assert_eq!(x.trade_time_ms, 1_672_515_782_136);
        }
        (15, E::BlockTrade(x)) => {
            assert_eq!(x.trade_id, 582);
            assert_eq!(s(x.price), "0.05200000");
            assert_eq!(s(x.qty), "5838.00000000");
        }
        (16 | 17, E::Kline(x)) => {
            let k = &x.kline;
            assert_eq!(x.symbol, "BNBBTC");
            assert_eq!(
                (k.open_time_ms, k.close_time_ms),
                (1_672_515_780_000, 1_672_515_839_999)
            );
            assert_eq!(k.interval, KlineInterval::M1);
            assert_eq!(
                (k.first_trade_id, k.last_trade_id, k.trade_count),
                (100, 200, 100)
            );
            assert_eq!(s(k.open), "0.00100000");
            assert_eq!(s(k.close), "0.00200000");
            assert_eq!(s(k.high), "0.00250000");
            assert_eq!(s(k.low), "0.00150000");
            assert_eq!(s(k.volume), "1000.00000000");
            assert_eq!(s(k.quote_volume), "1.00000000");
            assert_eq!(s(k.taker_buy_base_volume), "500.00000000");
            assert_eq!(s(k.taker_buy_quote_volume), "0.50000000");
            assert!(!k.is_closed);
        }
        (18, E::MiniTicker(x)) => {
            assert_eq!(s(x.close), "0.00250000");
            assert_eq!(s(x.volume), "10000.00000000");
            assert_eq!(s(x.quote_volume), "18.00000000");
        }
        (20, E::Ticker(x)) => check_doc_ticker(x),
        (21, E::RollingTicker(x)) => {
            assert_eq!(x.window, RollingWindow::H1);
            assert_eq!(s(x.price_change_percent), "250.00000000");
            assert_eq!(s(x.weighted_avg_price), "0.00180000");
            assert_eq!(x.close_time_ms, 1_675_216_573_749);
            assert_eq!(
                (x.first_trade_id, x.last_trade_id, x.trade_count),
                (0, 18150, 18151)
            );
        }
        (23, E::BookTicker(x)) => {
            assert_eq!(m.stream, None);
            assert_eq!(x.update_id, 400_900_217);
            assert_eq!(x.symbol, "BNBUSDT");
            assert_eq!(s(x.bid_price), "25.35190000");
            assert_eq!(s(x.bid_qty), "31.21000000");
            assert_eq!(s(x.ask_price), "25.36520000");
            assert_eq!(s(x.ask_qty), "40.66000000");
            assert_eq!(x.event_time_ms, None);
        }
        (24, E::AvgPrice(x)) => {
            assert_eq!(x.interval, KlineInterval::M5);
            assert_eq!(s(x.avg_price), "25776.86000000");
            assert_eq!(x.last_trade_time_ms, 1_693_907_032_213);
        }
        (25, E::PartialDepth(x)) => check_doc_partial_depth(x),
        (26, E::DepthUpdate(x)) => {
            assert_eq!((x.first_update_id, x.final_update_id), (157, 160));
            assert_eq!(x.symbol, "BNBBTC");
            assert_eq!(x.bids.len(), 1);
            assert_eq!(s(x.bids[0].price), "0.00240000");
            assert_eq!(s(x.bids[0].qty), "10.00000000");
            assert_eq!(s(x.asks[0].price), "0.00260000");
            assert_eq!(s(x.asks[0].qty), "100.00000000");
        }
        (i, other) => panic!("block {i}: no expectation for {} ({other:?})", m.kind()),
    }
}

fn check_doc_ticker(x: &Ticker24h) {
    assert_eq!(x.symbol, "BNBBTC");
    assert_eq!(s(x.price_change), "0.00150000");
    assert_eq!(s(x.price_change_percent), "250.00000000");
    assert_eq!(s(x.prev_close_price), "0.00090000");
    assert_eq!(s(x.last_price), "0.00250000");
    assert_eq!(s(x.last_qty), "10.00000000");
    assert_eq!(s(x.bid_price), "0.00240000");
    assert_eq!(s(x.ask_qty), "100.00000000");
    assert_eq!(s(x.volume), "10000.00000000");
    assert_eq!((x.open_time_ms, x.close_time_ms), (0, 86_400_000));
    assert_eq!(
        (x.first_trade_id, x.last_trade_id, x.trade_count),
        (0, 18150, 18151)
    );
}

fn check_doc_partial_depth(x: &PartialDepth) {
    assert_eq!(x.last_update_id, 160);
    assert_eq!(
        x.bids,
        vec![Level {
            price: "0.0024".parse_price(),
            qty: kairos_core::num::Qty::parse("10").unwrap()
        }]
    );
    assert_eq!(s(x.asks[0].price), "0.00260000");
    assert_eq!(s(x.asks[0].qty), "100.00000000");
}

trait ParsePrice {
    fn parse_price(&self) -> kairos_core::num::Price;
}
impl ParsePrice for str {
    fn parse_price(&self) -> kairos_core::num::Price {
        kairos_core::num::Price::parse(self).unwrap()
    }
}

#[test]
fn every_docs_block() {
    let blocks = doc_blocks(DOCS);
    assert_eq!(
        blocks.len(),
        27,
        "the docs extract changed: review the table"
    );
    let mut rejected = Vec::new();
    for b in &blocks {
        if let Some((_, why)) = DOC_BLOCKS_REJECTED.iter().find(|(i, _)| *i == b.index) {
            let err = decode_market(b.json.as_bytes())
                .expect_err(&format!("block {} ({why}) should not decode", b.index));
            assert!(!err.to_string().is_empty());
            rejected.push(b.index);
            continue;
        }
        let m = decode(&b.json);
        check_doc_block(b.index, &m);
    }
    let listed: Vec<usize> = DOC_BLOCKS_REJECTED.iter().map(|(i, _)| *i).collect();
    assert_eq!(rejected, listed);
}

// ------------------------------------------------------------ nautilus ---

const NAUTILUS_WS: &str = "nautilus_trader/ws_messages";

#[test]
fn every_nautilus_market_message() {
    let files = files_in(NAUTILUS_WS, ".json");
    let mut seen = 0;
    for name in &files {
        if name.starts_with("ws_spot_execution_report_") {
            continue; // user data: tests/wire_user.rs walks these
        }
        let bytes = read(&format!("{NAUTILUS_WS}/{name}"));
        let m = decode_market(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        seen += 1;
        match (name.as_str(), &m.event) {
            ("ws_spot_agg_trade.json", MarketEvent::AggTrade(x)) => {
                assert_eq!(m.stream.as_deref(), Some("ethusdt@aggTrade"));
                assert_eq!(x.agg_trade_id, 226_532);
                assert_eq!(s(x.price), "1632.46000000");
                assert_eq!(s(x.qty), "0.34305000");
                assert_eq!((x.first_trade_id, x.last_trade_id), (228_423, 228_423));
                assert!(!x.buyer_is_maker);
            }
            ("ws_spot_trade.json", MarketEvent::Trade(x)) => {
                assert_eq!(m.stream.as_deref(), Some("ethusdt@trade"));
                assert_eq!(x.trade_id, 705_291_099);
                assert_eq!(s(x.price), "4149.74000000");
                assert_eq!(x.buyer_order_id, Some(7_038_593_583));
                assert_eq!(x.seller_order_id, Some(7_038_593_613));
            }
            ("ws_spot_ticker_book.json", MarketEvent::BookTicker(x)) => {
                assert_eq!(m.stream.as_deref(), Some("ethusdt@bookTicker"));
                assert_eq!(x.update_id, 12_711_621_188);
                assert_eq!(s(x.bid_price), "4507.24000000");
                assert_eq!(s(x.ask_qty), "2.84570000");
                assert_eq!(x.event_time_ms, Some(1_646_199_228_123));
                assert_eq!(x.transaction_time_ms, Some(1_646_199_228_121));
            }
            ("ws_spot_ticker_24hr.json", MarketEvent::Ticker(x)) => {
                assert_eq!(m.stream, None);
                assert_eq!(x.event_time_ms, 123_456_789);
                check_doc_ticker(x);
            }
            (other, _) => panic!("{other}: no expectation for {}", m.kind()),
        }
    }
    assert_eq!(seen, 4, "{files:?}");
}

// --------------------------------------------------------- Binance.Net ---

const NET_MARKET: &str = "binance_net/Subscriptions/Spot/ExchangeData";

#[test]
fn every_binance_net_market_subscription() {
    let files = txt_files_under(NET_MARKET);
    let expected = [
        "AggregatedTrades.txt",
        "BookTicker.txt",
        "Concurrent.txt",
        "Klines.txt",
        "MiniTicker.txt",
        "PartialBook.txt",
        "RollingWindowTicker.txt",
        "Ticker.txt",
        "Trades.txt",
    ];
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        names, expected,
        "a fixture was added or removed: extend this test"
    );

    for rel in &files {
        let name = rel.rsplit('/').next().unwrap();
        let text = String::from_utf8(read(rel)).unwrap();
        let ex = parse_exchange(&text);
        assert!(!ex.requests.is_empty(), "{rel}");
        // Every ack is a stream control reply once its `|1|` placeholders are filled.
        for ack in &ex.acks {
            let m = decode(&fill_placeholders(ack));
            assert_eq!(
                m.event,
                MarketEvent::ControlResponse(ControlResponse {
                    result: None,
                    id: Some(RequestId::Num(1)),
                })
            );
        }
        if name == "Concurrent.txt" {
            // Its payloads are stubs (`"k": { "t": 123400000 }`): a kline with
            // missing fields must be refused, naming the kind and the field.
            assert_eq!(ex.payloads.len(), 2);
            for p in &ex.payloads {
                let err = decode_market(p.as_bytes()).unwrap_err();
                let msg = err.to_string();
                assert!(
                    matches!(err, DecodeError::Json { what: "kline", .. }),
                    "{msg}"
                );
                assert!(msg.contains("missing field `T`"), "{msg}");
            }
            continue;
        }
        assert_eq!(ex.payloads.len(), 1, "{rel}");
        let m = decode(&ex.payloads[0]);
        match (name, &m.event) {
            ("AggregatedTrades.txt", MarketEvent::AggTrade(x)) => {
                assert_eq!(m.stream.as_deref(), Some("btcusdt@aggTrade"));
                assert_eq!(
                    (x.agg_trade_id, x.first_trade_id, x.last_trade_id),
                    (12345, 100, 105)
                );
                assert_eq!(s(x.price), "0.00100000");
            }
            ("BookTicker.txt", MarketEvent::BookTicker(x)) => {
                assert_eq!(m.stream.as_deref(), Some("btcusdt@bookTicker"));
                assert_eq!(x.update_id, 400_900_217);
                assert_eq!(s(x.bid_price), "25.35190000");
                assert_eq!(s(x.ask_qty), "40.66000000");
            }
            ("Klines.txt", MarketEvent::Kline(x)) => {
                assert_eq!(m.stream.as_deref(), Some("btcusdt@kline_8h"));
                assert_eq!(x.kline.open_time_ms, 123_400_000);
                assert_eq!(x.kline.close_time_ms, 123_460_000);
                assert_eq!(x.kline.interval, KlineInterval::M1);
                assert_eq!(s(x.kline.taker_buy_quote_volume), "0.50000000");
            }
            ("MiniTicker.txt", MarketEvent::MiniTicker(x)) => {
                assert_eq!(m.stream.as_deref(), Some("btcusdt@miniTicker"));
                assert_eq!(s(x.open), "0.00100000");
                assert_eq!(s(x.quote_volume), "18.00000000");
            }
            ("PartialBook.txt", MarketEvent::PartialDepth(x)) => {
                assert_eq!(m.stream.as_deref(), Some("btcusdt@depth5@100ms"));
                check_doc_partial_depth(x);
            }
            ("RollingWindowTicker.txt", MarketEvent::RollingTicker(x)) => {
                assert_eq!(m.stream.as_deref(), Some("btcusdt@ticker_1h"));
                assert_eq!(x.window, RollingWindow::H1);
                assert_eq!(x.close_time_ms, 86_400_000);
                assert_eq!(s(x.last_price), "0.00250000");
            }
            ("Ticker.txt", MarketEvent::Ticker(x)) => {
                assert_eq!(m.stream.as_deref(), Some("btcusdt@ticker"));
                check_doc_ticker(x);
            }
            ("Trades.txt", MarketEvent::Trade(x)) => {
                assert_eq!(m.stream.as_deref(), Some("btcusdt@trade"));
                assert_eq!(x.trade_id, 12345);
                assert_eq!((x.buyer_order_id, x.seller_order_id), (Some(88), Some(50)));
            }
            (other, _) => panic!("{other}: no expectation for {}", m.kind()),
        }
    }
}

// -------------------------------------------------- dispatch specifics ---

#[test]
fn envelope_dispatch_without_e() {
    // Partial depth by stream suffix, even with 10/20 levels and no @100ms.
    let m = decode(r#"{"stream":"ethbtc@depth20","data":{"lastUpdateId":7,"bids":[],"asks":[]}}"#);
    assert_eq!(m.kind(), "partialDepth");
    // bookTicker by stream suffix, and by shape when bare.
    let body = r#"{"u":1,"s":"X","b":"1","B":"2","a":"3","A":"4"}"#;
    assert_eq!(
        decode(&format!(r#"{{"stream":"x@bookTicker","data":{body}}}"#)).kind(),
        "bookTicker"
    );
    assert_eq!(decode(body).kind(), "bookTicker");
    // The stream name wins over the shape: a bookTicker stream with depth data
    // is an error naming bookTicker and the missing key.
    let err = decode_market(
        br#"{"stream":"x@bookTicker","data":{"lastUpdateId":7,"bids":[],"asks":[]}}"#,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::Json {
                what: "bookTicker",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("missing field `u`"), "{err}");
    // Rolling windows.
    for (e, w) in [
        ("4hTicker", RollingWindow::H4),
        ("1dTicker", RollingWindow::D1),
    ] {
        let json = format!(
            r#"{{"e":"{e}","E":1,"s":"A","p":"-1.5","P":"-0.75","o":"1","h":"1","l":"1","c":"1","w":"1","v":"1","q":"1","O":0,"C":1,"F":-1,"L":-1,"n":0}}"#
        );
        let MarketEvent::RollingTicker(x) = decode(&json).event else {
            panic!()
        };
        assert_eq!(x.window, w);
        assert_eq!(s(x.price_change), "-1.50000000");
        assert_eq!(s(x.price_change_percent), "-0.75000000");
        assert_eq!(x.first_trade_id, -1);
    }
    // Stream error reply.
    let m = decode(r#"{"error":{"code":2,"msg":"Invalid request: unknown variant"},"id":"abc"}"#);
    assert_eq!(
        m.event,
        MarketEvent::StreamError(StreamError {
            error: StreamErrorBody {
                code: 2,
                msg: "Invalid request: unknown variant".into()
            },
            id: Some(RequestId::Str("abc".into())),
        })
    );
}

#[test]
fn serializes_with_kind_and_descriptive_names() {
    let m = decode(
        r#"{"stream":"bnbbtc@depth@100ms","data":{"e":"depthUpdate","E":5,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[]}}"#,
    );
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(
        json,
        r#"{"stream":"bnbbtc@depth@100ms","kind":"depthUpdate","event_time_ms":5,"symbol":"BNBBTC","first_update_id":157,"final_update_id":160,"bids":[{"price":"0.00240000","qty":"10.00000000"}],"asks":[]}"#
    );
}

// ---------------------------------------------------------- bad input ---

fn err_of(json: &str) -> (DecodeError, String) {
    let e = decode_market(json.as_bytes()).expect_err(json);
    let msg = e.to_string();
    (e, msg)
}

const TRADE: &str =
    r#"{"e":"trade","E":1,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1,"m":true,"M":true}"#;

#[test]
fn empty_and_oversized() {
    assert!(matches!(decode_market(b""), Err(DecodeError::Empty)));
    let big = vec![b' '; kairos_core::binance::error::MAX_FRAME_BYTES + 1];
    let e = decode_market(&big).unwrap_err();
    assert!(matches!(e, DecodeError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("over the"), "{e}");
}

#[test]
fn truncated_json() {
    for cut in [10, TRADE.len() / 2, TRADE.len() - 1] {
        let (e, msg) = err_of(&TRADE[..cut]);
        assert!(matches!(e, DecodeError::Json { .. }), "{msg}");
        assert!(msg.contains("EOF"), "{msg}");
    }
    let (_, msg) = err_of(r#"{"stream":"x@trade","data":{"e":"trade","#);
    assert!(msg.contains("EOF"), "{msg}");
}

#[test]
fn wrong_type_for_price() {
    let (e, msg) = err_of(&TRADE.replace(r#""p":"0.001""#, r#""p":0.001"#));
    assert!(
        matches!(e, DecodeError::Json { what: "trade", .. }),
        "{msg}"
    );
    assert!(msg.contains("decimal string (Price)"), "{msg}");
}

#[test]
fn exponent_price() {
    let (e, msg) = err_of(&TRADE.replace(r#""p":"0.001""#, r#""p":"1e-5""#));
    assert!(
        matches!(e, DecodeError::Json { what: "trade", .. }),
        "{msg}"
    );
    assert!(msg.contains("1e-5") && msg.contains("exponent"), "{msg}");
}

#[test]
fn negative_quantity_and_too_precise() {
    let (_, msg) = err_of(&TRADE.replace(r#""q":"100""#, r#""q":"-1""#));
    assert!(msg.contains("trade") && msg.contains("negative"), "{msg}");
    let (_, msg) = err_of(&TRADE.replace(r#""p":"0.001""#, r#""p":"0.000000001""#));
    assert!(msg.contains("more than 8 decimal places"), "{msg}");
}

#[test]
fn unknown_event_type() {
    let (e, msg) = err_of(r#"{"e":"fooBar","E":1}"#);
    assert!(matches!(e, DecodeError::Unknown { .. }), "{msg}");
    assert!(msg.contains("\"fooBar\""), "{msg}");
    let (_, msg) = err_of(r#"{"stream":"x@foo","data":{"e":"fooBar"}}"#);
    assert!(msg.contains("\"fooBar\""), "{msg}");
    // No "e" and no known shape: the keys are named.
    let (e, msg) = err_of(r#"{"hello":1,"world":2}"#);
    assert!(matches!(e, DecodeError::Unknown { .. }), "{msg}");
    assert!(msg.contains("hello, world"), "{msg}");
    // An outbound request is not a market message.
    let (_, msg) = err_of(r#"{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}"#);
    assert!(msg.contains("method"), "{msg}");
}

#[test]
fn missing_field() {
    let (e, msg) = err_of(&TRADE.replace(r#""p":"0.001","#, ""));
    assert!(
        matches!(e, DecodeError::Json { what: "trade", .. }),
        "{msg}"
    );
    assert!(msg.contains("missing field `p`"), "{msg}");
    let (_, msg) = err_of(r#"{"e":"depthUpdate","E":1,"s":"X","U":1,"b":[],"a":[]}"#);
    assert!(
        msg.contains("depthUpdate") && msg.contains("missing field `u`"),
        "{msg}"
    );
}

#[test]
fn bad_levels_and_enums() {
    let (_, msg) = err_of(r#"{"lastUpdateId":1,"bids":[["1"]],"asks":[]}"#);
    assert!(msg.contains("partial depth"), "{msg}");
    let (_, msg) = err_of(r#"{"lastUpdateId":1,"bids":[["1","2","3"]],"asks":[]}"#);
    assert!(msg.contains("partial depth"), "{msg}");
    let (_, msg) = err_of(r#"{"e":"avgPrice","E":1,"s":"X","i":"7m","w":"1","T":1}"#);
    assert!(
        msg.contains("avgPrice") && msg.contains("unknown variant `7m`"),
        "{msg}"
    );
    let (_, msg) = err_of(r#"{"e":"trade","E":-1}"#);
    assert!(msg.contains("trade"), "{msg}");
}

#[test]
fn not_json_at_all() {
    for bad in ["42", "\"trade\"", "null", "nope", "[1,2]", "{\"e\":7}"] {
        let (_, msg) = err_of(bad);
        assert!(!msg.is_empty(), "{bad}");
    }
    let e = decode_market(&[0xff, 0xfe, b'{']).unwrap_err();
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

// ------------------------------------------------------------ no panic ---

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    const SEEDS: &[&str] = &[
        TRADE,
        r#"{"stream":"bnbbtc@depth@100ms","data":{"e":"depthUpdate","E":5,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[]}}"#,
        r#"{"stream":"btcusdt@depth5@100ms","data":{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[]}}"#,
        r#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
        r#"{"stream":"!miniTicker@arr","data":[{"e":"24hrMiniTicker","E":1,"s":"A","c":"1","o":"1","h":"1","l":"1","v":"1","q":"1"}]}"#,
        r#"{"result":["btcusdt@aggTrade"],"id":3}"#,
    ];

    proptest! {
        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode_market(&bytes);
        }

        #[test]
        fn mutated_fixtures(seed in 0..SEEDS.len(), at in any::<usize>(), byte in any::<u8>(), cut in any::<bool>()) {
            let mut b = SEEDS[seed].as_bytes().to_vec();
            let i = at % b.len();
            if cut { b.truncate(i) } else { b[i] = byte }
            let _ = decode_market(&b);
        }
    }
}
