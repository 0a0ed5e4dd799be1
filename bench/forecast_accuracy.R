# R's forecasts at the origins of `forecast_accuracy --out DIR` (bench/forecast_accuracy_tool.cc), on the
# same 5-minute grid, with the same figures, for the table in docs/quality.md ("Forecast accuracy").
#   nice -n 19 Rscript bench/forecast_accuracy.R DIR [EVERY] [PATTERN]
# Reads DIR/origins.csv (only origins where promcast forecast: "ok") and DIR/series/<name>.csv; EVERY = k
# keeps every k-th origin of each series counting back from the latest (default 1: all). Writes
# DIR/r_accuracy.csv (method, series, horizon, n, mase, smape, cov80, cov95, as the tool's accuracy.csv),
# DIR/r_origins.csv (the origins used, with each model's pick or error) and prints CPU time. An origin
# where a method fails counts for no method; `forecast_accuracy --exclude DIR/r_origins.csv` then
# leaves it out of promcast's figures too, so all are scored on the same forecasts.
#
# Methods, with the daily period m = 288 (five-minute data), per Hyndman's advice for long seasons
# (ets() refuses m > 24, and a seasonal ARIMA with s = 288 is impractical):
#   auto.arima: auto.arima(x, xreg = fourier(x, K), seasonal = FALSE), K = 1..5 chosen by AICc (the
#               same K range as promcast's search); intervals from forecast() with the future Fourier terms.
#   stlf:       stlf(x, method = "ets"): STL decomposition, ets() on the seasonally adjusted series, the
#               seasonal component forecast by seasonal naive (gaps filled by na.interp first: stl needs
#               a complete series).
#   snaive:     snaive(x): the same forecast as promcast's baseline, a check that the data and origins agree.
# Window: the 2016 points (7 days) up to and including the origin, leading gaps dropped; forecasts 288 ahead.
# Figures (forecaster/backtest.h): MASE = mean |e| / Q, Q = mean |y_t - y_{t-288}| over the window's pairs
# with both present; sMAPE = mean 200|e| / (|y| + |f|) (0 when both are 0); coverage = share of y inside
# [lower, upper]. Missing actual values are skipped. Horizons: the leads 12, 72, 288 and "all" (1..288).
suppressPackageStartupMessages(library(forecast))

kPeriod <- 288
kHistory <- 2016
kHorizons <- c(12, 72, 288)

# Sums of one set of forecasts (mergeable): the figures' numerators and counts.
accuracy_sums <- function(actual, mean, lo80, hi80, lo95, hi95, q) {
  ok <- is.finite(actual)
  e <- abs(actual - mean)[ok]
  den <- (abs(actual) + abs(mean))[ok]
  smape <- ifelse(den == 0, 0, 200 * e / den)
  scaled <- is.finite(q) && q > 0
  c(n = sum(ok), mase_n = if (scaled) sum(ok) else 0, mase_sum = if (scaled) sum(e / q) else 0,
    smape_sum = sum(smape), in80 = sum(actual[ok] >= lo80[ok] & actual[ok] <= hi80[ok]),
    in95 = sum(actual[ok] >= lo95[ok] & actual[ok] <= hi95[ok]))
}

# The figures from sums (NaN when nothing was counted).
accuracy_figures <- function(s) {
  c(n = s[["n"]], mase = s[["mase_sum"]] / s[["mase_n"]], smape = s[["smape_sum"]] / s[["n"]],
    cov80 = s[["in80"]] / s[["n"]], cov95 = s[["in95"]] / s[["n"]])
}

# Q: mean |y_t - y_{t-m}| over the pairs with both values present.
seasonal_scale <- function(w, m) {
  d <- abs(w[(m + 1):length(w)] - w[1:(length(w) - m)])
  if (all(is.na(d))) NaN else mean(d, na.rm = TRUE)
}

fourier_arima <- function(w, h) {
  y <- ts(w, frequency = kPeriod)
  best <- NULL
  for (k in 1:5) {
    fit <- tryCatch(auto.arima(y, xreg = fourier(y, K = k), seasonal = FALSE), error = function(e) NULL)
    if (!is.null(fit) && (is.null(best) || fit$aicc < best$fit$aicc)) best <- list(fit = fit, k = k)
  }
  if (is.null(best)) stop("no K could be fitted (auto.arima: No suitable ARIMA model found)")
  f <- forecast(best$fit, xreg = fourier(y, K = best$k, h = h), level = c(80, 95))
  o <- arimaorder(best$fit)
  list(f = f, desc = sprintf("(%d,%d,%d)%s K=%d", o[1], o[2], o[3],
                             if ("intercept" %in% names(coef(best$fit))) "+c" else "", best$k))
}

stl_ets <- function(w, h) {
  f <- stlf(ts(na.interp(ts(w, frequency = kPeriod)), frequency = kPeriod), h = h, method = "ets",
            level = c(80, 95))
  list(f = f, desc = f$model$method)
}

seasonal_naive <- function(w, h) list(f = snaive(ts(w, frequency = kPeriod), h = h, level = c(80, 95)),
                                       desc = "snaive")

run <- function(dir, every = 1, pattern = ".") {
  origins <- read.csv(file.path(dir, "origins.csv"), stringsAsFactors = FALSE)
  origins <- origins[origins$promcast == "ok" & grepl(pattern, origins$series), ]
  methods <- list(auto.arima = fourier_arima, stlf = stl_ets, snaive = seasonal_naive)
  rows <- list()
  used <- list()
  cpu <- setNames(numeric(length(methods)), names(methods))
  for (name in unique(origins$series)) {
    cuts <- sort(origins$origin[origins$series == name], decreasing = TRUE)
    cuts <- sort(cuts[seq(1, length(cuts), by = every)])
    lines <- readLines(file.path(dir, "series", paste0(name, ".csv")))
    x <- suppressWarnings(as.numeric(lines))  # "NA" -> NA
    sums <- list()
    for (c in cuts) {
      idx <- max(1, c + 2 - kHistory):(c + 1)  # origin index c is 0-based
      w <- x[idx]
      q <- seasonal_scale(w, kPeriod)
      w <- w[min(which(!is.na(w))):length(w)]
      actual <- x[(c + 2):(c + 1 + kPeriod)]
      picks <- c()
      forecasts <- list()
      for (m in names(methods)) {
        t0 <- proc.time()
        r <- tryCatch(methods[[m]](w, kPeriod), error = function(e) conditionMessage(e))
        el <- proc.time() - t0
        cpu[[m]] <- cpu[[m]] + el[["user.self"]] + el[["sys.self"]]
        picks[m] <- if (is.character(r)) paste("error:", r) else r$desc
        if (!is.character(r)) forecasts[[m]] <- r$f
      }
      # An origin where a method failed counts for none (forecast_accuracy --exclude leaves it out too).
      if (length(forecasts) == length(methods)) {
        for (m in names(methods)) {
          f <- forecasts[[m]]
          mean <- as.numeric(f$mean)
          lo <- matrix(as.numeric(f$lower), ncol = 2)
          hi <- matrix(as.numeric(f$upper), ncol = 2)
          groups <- c(as.list(kHorizons), list(seq_len(kPeriod)))
          labels <- c(as.character(kHorizons), "all")
          for (g in seq_along(groups)) {
            i <- groups[[g]]
            s <- accuracy_sums(actual[i], mean[i], lo[i, 1], hi[i, 1], lo[i, 2], hi[i, 2], q)
            key <- paste(m, labels[g])
            sums[[key]] <- if (is.null(sums[[key]])) s else sums[[key]] + s
          }
        }
      }
      used[[length(used) + 1]] <- data.frame(series = name, origin = c, auto.arima = picks[["auto.arima"]],
                                             stlf = picks[["stlf"]], snaive = picks[["snaive"]])
      cat(sprintf("%-36s %5d %-22s %s\n", name, c, picks[["auto.arima"]], picks[["stlf"]]))
    }
    for (key in names(sums)) {
      parts <- strsplit(key, " ")[[1]]
      fig <- accuracy_figures(sums[[key]])
      rows[[length(rows) + 1]] <- data.frame(method = parts[1], series = name, horizon = parts[2], n = fig[["n"]],
                                             mase = fig[["mase"]], smape = fig[["smape"]], cov80 = fig[["cov80"]],
                                             cov95 = fig[["cov95"]])
    }
  }
  write.csv(do.call(rbind, rows), file.path(dir, "r_accuracy.csv"), row.names = FALSE, quote = FALSE)
  write.csv(do.call(rbind, used), file.path(dir, "r_origins.csv"), row.names = FALSE)
  cat(sprintf("CPU s: %s\n", paste(names(cpu), sprintf("%.1f", cpu), collapse = ", ")))
}

if (sys.nframe() == 0) {
  args <- commandArgs(trailingOnly = TRUE)
  run(args[1], if (length(args) >= 2) as.integer(args[2]) else 1, if (length(args) >= 3) args[3] else ".")
}
