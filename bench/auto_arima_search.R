# R's forecast::auto.arima on the series written by `auto_arima_search --write-series DIR`, for the
# figures beside ours in docs/performance.md: CPU seconds per series and the pick's AICc.
#   Rscript bench/auto_arima_search.R DIR [MAX_SERIES] [PATTERN]
# Period-24 series run auto.arima(ts(x, frequency = 24)) with its defaults (approximation = TRUE,
# stepwise); period-288 series run the Fourier form R documents for long seasons:
# auto.arima(x, xreg = fourier(ts(x, frequency = 288), K), seasonal = FALSE) with K = 1..5 by AICc.
suppressPackageStartupMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
max_series <- if (length(args) >= 2) as.integer(args[2]) else Inf
pattern <- if (length(args) >= 3) args[3] else "\\.csv$"
files <- sort(list.files(dir, pattern = pattern, full.names = TRUE))
files <- head(files, max_series)
times <- c()
for (f in files) {
  lines <- readLines(f)
  period <- as.integer(sub("period,", "", lines[1]))
  x <- as.numeric(ifelse(lines[-1] == "NA", NA, lines[-1]))
  t0 <- proc.time()
  pick <- tryCatch({
    if (period <= 48) {
      fit <- auto.arima(ts(x, frequency = period))
      list(desc = paste(capture.output(print(arimaorder(fit))), collapse = " "), aicc = fit$aicc)
    } else {
      best <- NULL
      for (k in 1:5) {
        xr <- fourier(ts(x, frequency = period), K = k)
        fit <- auto.arima(x, xreg = xr, seasonal = FALSE)
        if (is.null(best) || fit$aicc < best$aicc) best <- list(fit = fit, k = k, aicc = fit$aicc)
      }
      list(desc = paste0(paste(arimaorder(best$fit), collapse = ","), " K=", best$k), aicc = best$aicc)
    }
  }, error = function(e) list(desc = conditionMessage(e), aicc = NA))
  el <- proc.time() - t0
  cpu <- el[["user.self"]] + el[["sys.self"]]
  times <- c(times, cpu)
  cat(sprintf("%-44s %5d %8.2f %12.2f %s\n", basename(f), length(x), cpu, pick$aicc, pick$desc))
}
cat(sprintf("R auto.arima: %d series, CPU s per series median %.2f, p95 %.2f, max %.2f\n", length(times),
            median(times), quantile(times, 0.95), max(times)))
