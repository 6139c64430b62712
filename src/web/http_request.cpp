#include "http_request.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace percept::web {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// RFC 9110 token characters, for header names and methods.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
  });
}

bool contains_token(std::string_view list, std::string_view token) {
  const std::string l = lower(list);
  size_t start = 0;
  while (start <= l.size()) {
    size_t end = l.find(',', start);
    if (end == std::string::npos) end = l.size();
    if (trim(std::string_view(l).substr(start, end - start)) == token) return true;
    start = end + 1;
  }
  return false;
}

ParsedHead fail(int status, std::string why) {
  ParsedHead p;
  p.error = status;
  p.why = std::move(why);
  p.keep_alive = false;
  return p;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return true;
}

const std::string* HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

std::optional<std::string> HttpRequest::param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!percent_decode(pair.substr(0, eq), true, key) || key != name) continue;
    if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), true, value)) continue;
    return value;
  }
  return std::nullopt;
}

ParsedHead parse_request_head(std::string_view head, const HttpLimits& limits) {
  ParsedHead p;
  // The request line.
  size_t eol = head.find('\n');
  std::string_view line = trim(head.substr(0, eol));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "malformed request line");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "malformed method");
  if (version == "HTTP/1.0")
    p.http10 = true;
  else if (version != "HTTP/1.1")
    return fail(505, "only HTTP/1.0 and HTTP/1.1");
  if (target.empty() || target.front() != '/') return fail(400, "the target must be a path");
  const size_t qmark = target.find('?');
  if (!percent_decode(target.substr(0, qmark), false, p.request.path))
    return fail(400, "malformed percent-encoding in the path");
  if (qmark != std::string_view::npos) p.request.query = std::string(target.substr(qmark + 1));
  p.request.method = std::string(method);

  // Header lines.
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 1);
    eol = head.find('\n');
    const std::string_view h = head.substr(0, eol);
    if (trim(h).empty()) continue;
    if (h.front() == ' ' || h.front() == '\t') return fail(400, "folded header lines");
    if (p.request.headers.size() >= limits.max_headers) return fail(431, "too many header lines");
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || !is_token(h.substr(0, colon)))
      return fail(400, "malformed header line");
    p.request.headers.emplace_back(lower(h.substr(0, colon)),
                                   std::string(trim(h.substr(colon + 1))));
  }

  const std::string* connection = p.request.header("connection");
  p.keep_alive = p.http10 ? connection && contains_token(*connection, "keep-alive")
                          : !(connection && contains_token(*connection, "close"));
  if (p.request.header("transfer-encoding")) p.has_body_encoding = true;
  bool seen_length = false;
  for (const auto& [name, value] : p.request.headers) {
    if (name != "content-length") continue;
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || value.empty())
      return fail(400, "malformed Content-Length");
    if (seen_length && n != p.content_length) return fail(400, "conflicting Content-Length");
    p.content_length = n;
    seen_length = true;
  }
  if (!p.http10 && !p.request.header("host")) return fail(400, "HTTP/1.1 without a Host header");
  return p;
}

bool host_allowed(std::string_view host, const std::vector<std::string>& allowed_names) {
  if (std::find(allowed_names.begin(), allowed_names.end(), "*") != allowed_names.end())
    return true;
  host = trim(host);
  if (host.empty()) return false;
  auto is_port = [](std::string_view p) {
    return !p.empty() && p.size() <= 5 && std::all_of(p.begin(), p.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
  };
  if (host.front() == '[') {
    // An IPv6 literal: no DNS name, so nothing to rebind. Nothing but a port may follow.
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && is_port(rest.substr(1)))) return false;
    const std::string literal(host.substr(1, close - 1));
    in6_addr a6;
    return inet_pton(AF_INET6, literal.c_str(), &a6) == 1;
  }
  if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    if (!is_port(host.substr(colon + 1))) return false;
    host = host.substr(0, colon);
  }
  // A DNS name or an IPv4 literal: letters, digits, '-' and '.' only (no NUL to cut it short).
  if (!std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      }))
    return false;
  std::string name = lower(host);
  if (!name.empty() && name.back() == '.') name.pop_back();  // "localhost." is localhost
  in_addr a4;
  if (inet_pton(AF_INET, name.c_str(), &a4) == 1) return true;
  if (name == "localhost" || (name.size() > 10 && name.ends_with(".localhost"))) return true;
  char own[256] = {};
  if (gethostname(own, sizeof own - 1) == 0 && name == lower(own)) return true;
  for (const std::string& allowed : allowed_names)
    if (name == lower(allowed)) return true;
  return false;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

}  // namespace percept::web
