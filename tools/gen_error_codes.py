#!/usr/bin/env python3
"""Generates core/src/binance/errors_table.rs from Binance's documented error codes.

Input (the facts, extracted from binance-spot-api-docs errors.md):
  ../shared/data/messages/binance_spot_api_docs/error_codes.json
  ../shared/data/messages/binance_spot_api_docs/error_message_tables.json

Usage (from the repository root):
  python3 tools/gen_error_codes.py [SHARED_MESSAGES_DIR]

Re-run after the shared JSON changes and commit the output. The output is
deterministic (sorted by code), so a diff shows exactly what changed.

Two facts are patched here, and only here:
- -2021 and -2022 come out of the extraction with the name "Order" (errors.md
  gives them a heading, "Order cancel-replace partially failed" / "Order
  cancel-replace failed", instead of a SCREAMING name). We name them
  ORDER_CANCEL_REPLACE_PARTIALLY_FAILED / ORDER_CANCEL_REPLACE_FAILED.
- -1010 ERROR_MSG_RECEIVED and -2038 ORDER_AMEND_REJECTED are named in the
  heading of the matching-engine message table but have no entry of their
  own; they are added from that heading (with an empty meaning).
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    ROOT, "..", "shared", "data", "messages", "binance_spot_api_docs")
OUT = os.path.join(ROOT, "core", "src", "binance", "errors_table.rs")

NAME_PATCH = {
    -2021: "ORDER_CANCEL_REPLACE_PARTIALLY_FAILED",
    -2022: "ORDER_CANCEL_REPLACE_FAILED",
}

# Short names for the matching-engine messages (the text is the key; the
# documented text and description are kept verbatim in the table).
ME_NAMES = {
    "Unknown order sent.": "UnknownOrder",
    "Duplicate order sent.": "DuplicateOrder",
    "Market is closed.": "MarketClosed",
    "Account has insufficient balance for requested action.": "InsufficientBalance",
    "Market orders are not supported for this symbol.": "MarketOrdersNotSupported",
    "Iceberg orders are not supported for this symbol.": "IcebergOrdersNotSupported",
    "Stop loss orders are not supported for this symbol.": "StopLossNotSupported",
    "Stop loss limit orders are not supported for this symbol.": "StopLossLimitNotSupported",
    "Take profit orders are not supported for this symbol.": "TakeProfitNotSupported",
    "Take profit limit orders are not supported for this symbol.": "TakeProfitLimitNotSupported",
    "Order amend is not supported for this symbol.": "AmendNotSupported",
    "Price * QTY is zero or less.": "NotionalZeroOrLess",
    "IcebergQty exceeds QTY.": "IcebergQtyExceedsQty",
    "This action is disabled on this account.": "ActionDisabledOnAccount",
    "This account may not place or cancel orders.": "AccountCannotTrade",
    "Unsupported order combination": "UnsupportedOrderCombination",
    "Order would trigger immediately.": "WouldTriggerImmediately",
    "Cancel order is invalid. Check origClOrdId and orderId.": "InvalidCancel",
    "Order would immediately match and take.": "WouldMatchAndTake",
    "The relationship of the prices for the orders is not correct.": "BadPriceRelationship",
    "OCO orders are not supported for this symbol": "OcoNotSupported",
    "Quote order qty market orders are not support for this symbol.": "QuoteOrderQtyMarketNotSupported",
    "Trailing stop orders are not supported for this symbol.": "TrailingStopNotSupported",
    "Order cancel-replace is not supported for this symbol.": "CancelReplaceNotSupported",
    "This symbol is not permitted for this account.": "SymbolNotPermitted",
    "This symbol is restricted for this account.": "SymbolRestricted",
    "Order was not canceled due to cancel restrictions.": "CancelRestricted",
    "Rest API trading is not enabled.": "RestTradingDisabled",
    "WebSocket API trading is not enabled.": "WebSocketTradingDisabled",
    "FIX API trading is not enabled.": "FixTradingDisabled",
    "Order book liquidity is less than `LOT_SIZE` filter minimum quantity.": "LiquidityBelowLotSizeMin",
    "Order book liquidity is less than `MARKET_LOT_SIZE` filter minimum quantity.": "LiquidityBelowMarketLotSizeMin",
    "Order book liquidity is less than symbol minimum quantity.": "LiquidityBelowSymbolMin",
    "Order amend (quantity increase) is not supported.": "AmendQtyIncreaseNotSupported",
    "The requested action would change no state; rejecting": "NoStateChange",
    "Pegged orders are not supported for this symbol.": "PeggedNotSupported",
    "This order type may not use pegged price.": "OrderTypeCannotPeg",
    "This price peg cannot be used with this order type.": "PegNotForOrderType",
    "Order book liquidity is too low for this pegged order.": "LiquidityTooLowForPeg",
    "OPO orders are not supported for this symbol.": "OpoNotSupported",
    "Order amend (pending OPO order) is not supported.": "AmendPendingOpoNotSupported",
}


def camel(screaming):
    return "".join(p.capitalize() for p in screaming.lower().split("_") if p)


def rs(s):
    return json.dumps(s, ensure_ascii=False)


def main():
    codes = json.load(open(os.path.join(SRC, "error_codes.json"), encoding="utf-8"))
    tables = json.load(open(os.path.join(SRC, "error_message_tables.json"), encoding="utf-8"))
    entries = {}
    for c in codes:
        name = NAME_PATCH.get(c["code"], c["name"])
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            sys.exit(f"code {c['code']}: name {name!r} is not SCREAMING_CASE; patch it")
        entries[c["code"]] = (name, c["section"], c["messages"])
    me_key = next(k for k in tables if k.startswith("Messages for"))
    for code, name in re.findall(r"(-\d+) ([A-Z_]+)", me_key):
        entries.setdefault(int(code), (name, "Matching-engine message table heading", []))
    seen = set()
    for name, _, _ in entries.values():
        if name in seen:
            sys.exit(f"duplicate name {name}")
        seen.add(name)

    out = []
    w = out.append
    w("// @generated by tools/gen_error_codes.py from binance_spot_api_docs/error_codes.json")
    w("// and error_message_tables.json. Do not edit by hand: edit the script and re-run it.")
    w("")
    w("/// A documented Binance spot error code (`errors.md`), or [`ErrorCode::Undocumented`].")
    w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
    w("pub enum ErrorCode {")
    for code in sorted(entries, reverse=True):
        name, section, msgs = entries[code]
        first = msgs[0] if msgs else "(no message documented)"
        w(f"    /// {code} {name}: {first.replace('[', '(').replace(']', ')')}")
        w(f"    {camel(name)},")
    w("    /// A code that is not in the documented table (kept, never dropped).")
    w("    Undocumented(i32),")
    w("}")
    w("")
    w(f"/// Number of documented codes in the table.")
    w(f"pub const DOCUMENTED_CODES: usize = {len(entries)};")
    w("")
    w("/// Every documented code, in the order of the table (descending code).")
    w("pub const ALL_CODES: [ErrorCode; DOCUMENTED_CODES] = [")
    for code in sorted(entries, reverse=True):
        w(f"    ErrorCode::{camel(entries[code][0])},")
    w("];")
    w("")
    w("impl ErrorCode {")
    w("    /// The numeric code (`-1003`).")
    w("    pub const fn code(self) -> i32 {")
    w("        match self {")
    for code in sorted(entries, reverse=True):
        w(f"            ErrorCode::{camel(entries[code][0])} => {code},")
    w("            ErrorCode::Undocumented(c) => c,")
    w("        }")
    w("    }")
    w("")
    w("    /// The documented code for `code`, or `None` when it is not in the table.")
    w("    pub const fn from_code(code: i32) -> Option<Self> {")
    w("        Some(match code {")
    for code in sorted(entries, reverse=True):
        w(f"            {code} => ErrorCode::{camel(entries[code][0])},")
    w("            _ => return None,")
    w("        })")
    w("    }")
    w("")
    w("    /// Binance's SCREAMING name (`TOO_MANY_REQUESTS`); `UNDOCUMENTED` for [`ErrorCode::Undocumented`].")
    w("    pub const fn name(self) -> &'static str {")
    w("        match self {")
    for code in sorted(entries, reverse=True):
        w(f"            ErrorCode::{camel(entries[code][0])} => {rs(entries[code][0])},")
    w("            ErrorCode::Undocumented(_) => \"UNDOCUMENTED\",")
    w("        }")
    w("    }")
    w("")
    w("    /// The documented message templates (`%s` marks a placeholder); empty for")
    w("    /// codes only named in a heading and for [`ErrorCode::Undocumented`].")
    w("    pub const fn messages(self) -> &'static [&'static str] {")
    w("        match self {")
    for code in sorted(entries, reverse=True):
        msgs = ", ".join(rs(m) for m in entries[code][2])
        w(f"            ErrorCode::{camel(entries[code][0])} => &[{msgs}],")
    w("            ErrorCode::Undocumented(_) => &[],")
    w("        }")
    w("    }")
    w("")
    w("    /// The section of `errors.md` the code is documented in.")
    w("    pub const fn section(self) -> &'static str {")
    w("        match self {")
    for code in sorted(entries, reverse=True):
        w(f"            ErrorCode::{camel(entries[code][0])} => {rs(entries[code][1])},")
    w("            ErrorCode::Undocumented(_) => \"\",")
    w("        }")
    w("    }")
    w("}")
    w("")

    # Matching-engine messages.
    me_rows = []
    for row in tables[me_key]:
        for msg in row["Error message"].split('" / "'):
            msg = msg.strip()
            if msg.endswith('".'):  # a stray quote in the docs: `rejecting".`
                msg = msg[:-2]
            name = ME_NAMES.get(msg)
            if name is None:
                sys.exit(f"no short name for matching-engine message {msg!r}; add it to ME_NAMES")
            me_rows.append((name, msg, row["Description"]))
    w("/// A documented matching-engine message (returned with -1010, -2010, -2011 or -2038).")
    w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
    w("pub enum EngineMessage {")
    for name, msg, _ in me_rows:
        w(f"    /// {rs(msg)}")
        w(f"    {name},")
    w("}")
    w("")
    w("/// Every documented matching-engine message: (reason, message text, description).")
    w(f"pub const ENGINE_MESSAGES: [(EngineMessage, &str, &str); {len(me_rows)}] = [")
    for name, msg, desc in me_rows:
        w(f"    (EngineMessage::{name}, {rs(msg)}, {rs(desc)}),")
    w("];")
    w("")

    filt = [r["Error message"].split(":", 1)[1].strip() for r in tables["Filter failures"]]
    w("/// The filter named by a documented `Filter failure: …` message.")
    w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
    w("pub enum FilterFailure {")
    for f in filt:
        w(f"    /// `Filter failure: {f}`")
        w(f"    {camel(f)},")
    w("}")
    w("")
    w("/// Every documented filter failure: (filter, its SCREAMING name, description).")
    w(f"pub const FILTER_FAILURES: [(FilterFailure, &str, &str); {len(filt)}] = [")
    for f, r in zip(filt, tables["Filter failures"]):
        w(f"    (FilterFailure::{camel(f)}, {rs(f)}, {rs(r['Description'])}),")
    w("];")
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    print(f"wrote {OUT}: {len(entries)} codes, {len(me_rows)} engine messages, {len(filt)} filter failures")


if __name__ == "__main__":
    main()
