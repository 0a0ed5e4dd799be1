#!/usr/bin/env Rscript
# Times R's stats::arima (C code, exact ML) on the issue-3 benchmark cases, side by side with
# bench/sarimax_bench.cc and bench/compare_sarimax.py. Same data (bench/data/*.csv written by
# compare_sarimax.py --make-data; AirPassengers from R itself), fit + 24-step predict().
# Usage from the repository root:  Rscript bench/compare_sarimax.R [--with-288]
args <- commandArgs(trailingOnly = TRUE)
with288 <- "--with-288" %in% args

time_case <- function(name, expr_fun, repeats = 3) {
  best <- Inf
  ll <- NA
  for (i in seq_len(repeats)) {
    t0 <- proc.time()[["elapsed"]]
    res <- expr_fun()
    best <- min(best, proc.time()[["elapsed"]] - t0)
    ll <- res
  }
  cat(sprintf("R arima %s: %.1f ms  loglik %.6f (R scale)\n", name, best * 1000, ll))
}

fourier <- function(t, period, k) {
  do.call(cbind, lapply(seq_len(k), function(j) cbind(sin(2 * pi * j * t / period), cos(2 * pi * j * t / period))))
}

air <- log(AirPassengers)
time_case("airline_log_airpassengers", function() {
  fit <- arima(air, order = c(0, 1, 1), seasonal = list(order = c(0, 1, 1), period = 12), method = "ML")
  predict(fit, n.ahead = 24)
  fit$loglik
}, 20)

hourly <- ts(read.csv("bench/data/hourly_720.csv")$value, frequency = 24)
time_case("sarima_101_111_24_hourly720", function() {
  fit <- arima(hourly, order = c(1, 0, 1), seasonal = list(order = c(1, 1, 1), period = 24), method = "ML")
  predict(fit, n.ahead = 24)
  fit$loglik
}, 1)

five <- read.csv("bench/data/fivemin_4032.csv")$value
t <- seq_len(length(five) + 24) - 1
x <- cbind(fourier(t, 288, 3), fourier(t, 2016, 3))
time_case("arima201_fourier_3_3_fivemin4032", function() {
  fit <- arima(five, order = c(2, 0, 1), xreg = x[seq_along(five), ], method = "ML")
  predict(fit, n.ahead = 24, newxreg = x[-seq_along(five), ])
  fit$loglik
}, 1)

if (with288) {
  five288 <- ts(five, frequency = 288)
  time_case("sarima_101_011_288_fivemin4032", function() {
    fit <- arima(five288, order = c(1, 0, 1), seasonal = list(order = c(0, 1, 1), period = 288), method = "ML")
    predict(fit, n.ahead = 24)
    fit$loglik
  }, 1)
}
