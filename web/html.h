#pragma once
// HTML text helpers for the status pages and reports. Every string that came from a user (rule names,
// label names and values, expressions, annotations, file names, flags) goes through html_escape before
// it reaches a page; no page builds markup from user text in any other way.
#include <string>
#include <string_view>

namespace promcast::web {

/// `text` safe as HTML element content and as a double- or single-quoted attribute value: & < > " '
/// become entities, and each byte that is not part of valid UTF-8 becomes U+FFFD, so a page is always
/// valid UTF-8 whatever the input.
std::string html_escape(std::string_view text);

/// Appends html_escape(text) to `out`.
void append_escaped(std::string& out, std::string_view text);

/// `text` percent-encoded for one URL path segment or query value (RFC 3986 unreserved kept).
std::string url_escape(std::string_view text);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`, as in form bodies). Invalid escapes are kept.
std::string url_unescape(std::string_view text, bool plus_is_space);

}  // namespace promcast::web
