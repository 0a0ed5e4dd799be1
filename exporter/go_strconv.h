#pragma once
// Number parsing that accepts exactly what Go's strconv accepts, because statsd_exporter decides what a
// valid value, sampling rate or timestamp is with strconv.ParseFloat / ParseInt: "+1", "1_000", "0x1p-2",
// "Inf", "-infinity", "nan" are numbers; "0x1", "+nan", "nan(1)", "1_", " 1" are not. Conversion itself is
// std::from_chars (correctly rounded, like Go) once the text has been validated here.
#include <cstdint>
#include <string>
#include <string_view>

namespace promcast::exporter {

/// Outcome classes of strconv.ParseFloat: ok, ErrSyntax (value 0), ErrRange (value +-Inf; Go reports
/// overflow only, underflow silently gives 0 or a subnormal).
enum class GoNumStatus : uint8_t { Ok, Syntax, Range };

struct GoFloat {
  double value = 0;
  GoNumStatus status = GoNumStatus::Syntax;
  [[nodiscard]] bool ok() const noexcept { return status == GoNumStatus::Ok; }
};

/// strconv.ParseFloat(s, 64). `scratch` is only touched for inputs with '_' digit separators or
/// out-of-range exponents (it needs a NUL-terminated copy), so the common path never allocates.
GoFloat parse_go_float(std::string_view s, std::string& scratch);

/// Whether strconv.ParseInt(s, 10, 64) succeeds: optional sign, decimal digits, no '_', fits in int64.
bool is_go_int64(std::string_view s) noexcept;

}  // namespace promcast::exporter
