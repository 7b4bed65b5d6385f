#!/usr/bin/env python3
"""Reference values for kairos's indicators, computed by established
libraries (TA-Lib and the `ta` package), not by kairos.

Writes a gzipped CSV: the input candles exactly as in the source file, then
one column per reference value (empty while the library warms up):

  talib_*  TA-Lib (Wilder / TA-Lib seeding, the convention kairos follows):
           atr, plus_di, minus_di, adx, rsi, macd, macd_signal, macd_hist,
           bb_width = (upper - lower) / middle of BBANDS(20, 2, 2, SMA),
           sma20, ema20, ema50
  ta_*     the `ta` package (its own seeding: first-value EWM for RSI/EMA/MACD,
           sum-of-n seeding for ADX, mean-of-n including the first bar's
           high-low for ATR): atr, adx, plus_di, minus_di, rsi, macd,
           macd_signal, macd_hist, bb_width (= bollinger_wband / 100), sma20,
           ema20, ema50
  ref_*    values no library offers, computed here straight from their
           definitions with pandas / brute force (not incremental):
           volume_ratio = volume / rolling-20 mean volume;
           support_distance / resistance_distance: kairos's swing-level
           definition (core/src/indicators/levels.rs) evaluated by brute force.

Usage (the fixture in core/tests/data/indicators/ was made with):
  python3 tools/indicators_reference.py \
      ../shared/data/klines/binance_spot_BTCUSDT_1m_2024-07-26_2024-08-25.csv.gz \
      --rows 600 --out core/tests/data/indicators/btcusdt_1m_20240726_first600_reference.csv.gz
"""

import argparse
import gzip
import importlib.metadata
import math

import numpy as np
import pandas as pd
import ta
import talib

PERIOD = 14
BB_WINDOW, BB_K = 20, 2
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
VOLUME_WINDOW = 20
SR_LOOKBACK, SR_WING = 60, 2


def swing_levels(high, low, close):
    """Brute-force support / resistance distances, one candle at a time."""
    n = len(close)
    sup = [math.nan] * n
    res = [math.nan] * n
    for t in range(SR_LOOKBACK - 1, n):
        highs, lows = [], []
        for j in range(max(t - SR_LOOKBACK + 1, SR_WING), t - SR_WING + 1):
            left = range(j - SR_WING, j)
            right = range(j + 1, j + SR_WING + 1)
            if all(high[j] > high[i] for i in left) and all(high[j] >= high[i] for i in right):
                highs.append(high[j])
            if all(low[j] < low[i] for i in left) and all(low[j] <= low[i] for i in right):
                lows.append(low[j])
        above = [h for h in highs if h > close[t]]
        below = [l for l in lows if l < close[t]]
        if above:
            res[t] = (min(above) - close[t]) / close[t]
        if below:
            sup[t] = (close[t] - max(below)) / close[t]
    return sup, res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("klines", help="normalised klines CSV(.gz): open_time_ms,open,high,low,close,volume")
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    # Keep the decimal strings exactly as delivered for the input columns.
    raw = pd.read_csv(args.klines, nrows=args.rows, dtype=str)
    df = raw.astype({"open": float, "high": float, "low": float, "close": float, "volume": float})
    t = df["open_time_ms"].astype(np.int64)
    if not (t.diff().dropna() == 60_000).all():
        raise SystemExit("window has a gap: pick another one")
    h, l, c, v = (df[k].to_numpy() for k in ("high", "low", "close", "volume"))
    hs, ls, cs = df["high"], df["low"], df["close"]

    out = raw.copy()
    # TA-Lib.
    out["talib_atr"] = talib.ATR(h, l, c, PERIOD)
    out["talib_plus_di"] = talib.PLUS_DI(h, l, c, PERIOD)
    out["talib_minus_di"] = talib.MINUS_DI(h, l, c, PERIOD)
    out["talib_adx"] = talib.ADX(h, l, c, PERIOD)
    out["talib_rsi"] = talib.RSI(c, PERIOD)
    m, s, hist = talib.MACD(c, MACD_FAST, MACD_SLOW, MACD_SIGNAL)
    out["talib_macd"], out["talib_macd_signal"], out["talib_macd_hist"] = m, s, hist
    up, mid, lo = talib.BBANDS(c, BB_WINDOW, BB_K, BB_K, 0)
    out["talib_bb_width"] = (up - lo) / mid
    out["talib_sma20"] = talib.SMA(c, 20)
    out["talib_ema20"] = talib.EMA(c, 20)
    out["talib_ema50"] = talib.EMA(c, 50)
    # ta.
    out["ta_atr"] = ta.volatility.AverageTrueRange(hs, ls, cs, PERIOD).average_true_range()
    adx = ta.trend.ADXIndicator(hs, ls, cs, PERIOD)
    out["ta_adx"], out["ta_plus_di"], out["ta_minus_di"] = adx.adx(), adx.adx_pos(), adx.adx_neg()
    out["ta_rsi"] = ta.momentum.RSIIndicator(cs, PERIOD).rsi()
    macd = ta.trend.MACD(cs, MACD_SLOW, MACD_FAST, MACD_SIGNAL)
    out["ta_macd"], out["ta_macd_signal"], out["ta_macd_hist"] = macd.macd(), macd.macd_signal(), macd.macd_diff()
    out["ta_bb_width"] = ta.volatility.BollingerBands(cs, BB_WINDOW, BB_K).bollinger_wband() / 100
    out["ta_sma20"] = ta.trend.SMAIndicator(cs, 20).sma_indicator()
    out["ta_ema20"] = ta.trend.EMAIndicator(cs, 20).ema_indicator()
    out["ta_ema50"] = ta.trend.EMAIndicator(cs, 50).ema_indicator()
    # Plain definitions.
    out["ref_volume_ratio"] = df["volume"] / df["volume"].rolling(VOLUME_WINDOW).mean()
    out["ref_support_distance"], out["ref_resistance_distance"] = swing_levels(h, l, c)

    with gzip.open(args.out, "wt", compresslevel=9, newline="") as f:
        f.write(f"# ta {importlib.metadata.version('ta')}; "
                f"TA-Lib (python) {talib.__version__}; pandas {pd.__version__}; numpy {np.__version__}\n")
        out.to_csv(f, index=False, float_format="%.17g", na_rep="")


if __name__ == "__main__":
    main()
