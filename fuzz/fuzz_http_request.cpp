// The dashboard's and /metrics' request-head parser on arbitrary bytes (src/web/http_request):
// what a hostile client controls before authentication. Refusals are status codes; anything
// else (a crash, a sanitizer report, a broken invariant) is a finding.
#include <cstdint>
#include <string>
#include <string_view>

#include "http_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  percept::web::HttpLimits limits;
  limits.max_headers = 16;
  const percept::web::ParsedHead p = percept::web::parse_request_head(text, limits);
  if (p.error == 0) {
    // An accepted request is usable: a method, a path from the root, at most the limit's
    // headers, and a Host unless it is HTTP/1.0.
    if (p.request.method.empty() || p.request.path.empty() || p.request.path[0] != '/')
      __builtin_trap();
    if (p.request.headers.size() > limits.max_headers) __builtin_trap();
    if (!p.http10 && !p.request.header("host")) __builtin_trap();
    (void)p.request.param("token");
    if (const std::string* host = p.request.header("host"))
      (void)percept::web::host_allowed(*host, {"robot.lan"});
  } else if (p.error < 400 || p.error > 599 || p.keep_alive) {
    __builtin_trap();  // a refusal is a 4xx/5xx and closes the connection
  }
  std::string decoded;
  (void)percept::web::percent_decode(text, true, decoded);
  if (decoded.size() > text.size()) __builtin_trap();
  return 0;
}
