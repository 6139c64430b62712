// Parsing one HTTP/1.x request head (request line plus headers) for http_server.cpp, kept apart
// so that the fuzz target and the tests reach it without sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http_server.hpp"

namespace percept::web {

struct ParsedHead {
  int error = 0;  // 0: a request; else the status to answer with, and the connection closes
  std::string why;
  HttpRequest request;
  bool http10 = false;
  bool keep_alive = true;
  uint64_t content_length = 0;
  bool has_body_encoding = false;  // Transfer-Encoding present: refused, never decoded
};

// `head` ends before the blank line. Limits: header count (431), a request line over
// max_head_bytes is caught by the caller before the head is complete.
ParsedHead parse_request_head(std::string_view head, const HttpLimits& limits);

// %XX decoding ('+' too when `plus_is_space`); false on a malformed escape.
bool percent_decode(std::string_view in, bool plus_is_space, std::string& out);

std::string_view reason_phrase(int status);

}  // namespace percept::web
