// The MCAP specification (https://mcap.dev/spec): little-endian integers, strings and byte
// arrays prefixed by a uint32 length, maps by their uint32 byte length; a record is an opcode
// byte and a uint64 content length.
#include "mcap_reader.hpp"

#include <lz4frame.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include "mcap_records.hpp"
#include "mcap_writer.hpp"  // crc32

namespace percept::mcap {

namespace {

// Reads fields from a record body; any read past its end sets !ok and returns zeros.
class Fields {
 public:
  Fields(const char* p, size_t n) : p_(p), n_(n) {}
  bool ok() const { return ok_; }
  size_t left() const { return n_ - i_; }
  template <class T>
  T get() {
    if (left() < sizeof(T)) return ok_ = false, T{};
    uint64_t v = 0;
    for (size_t k = 0; k < sizeof(T); ++k)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i_ + k])) << (8 * k);
    i_ += sizeof(T);
    return static_cast<T>(v);
  }
  std::string str() {
    const uint32_t len = get<uint32_t>();
    if (!ok_ || left() < len) return ok_ = false, std::string();
    std::string s(p_ + i_, len);
    i_ += len;
    return s;
  }
  void skip_prefixed() {  // a map or byte array with a uint32 length
    const uint32_t len = get<uint32_t>();
    if (!ok_ || left() < len) return void(ok_ = false);
    i_ += len;
  }
  const char* here() const { return p_ + i_; }
  void advance(size_t k) {
    if (left() < k) return void(ok_ = false);
    i_ += k;
  }

 private:
  const char* p_;
  size_t n_, i_ = 0;
  bool ok_ = true;
};

}  // namespace

Reader::~Reader() {
  if (f_) std::fclose(f_);
}

std::string Reader::where(uint64_t offset) const {
  return "bag '" + path_ + "': record at offset " + std::to_string(offset);
}

Status Reader::open(const std::string& path) {
  path_ = path;
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) return Error(ErrorCode::io, "bag '" + path + "': " + std::strerror(errno));
  return open_stream();
}

Status Reader::open_memory(const uint8_t* data, size_t size, const std::string& name) {
  path_ = name;
  // fmemopen refuses a size of 0; one byte of nothing reads as "not an MCAP file" all the same.
  static const uint8_t kNothing = 0;
  f_ = fmemopen(const_cast<uint8_t*>(size ? data : &kNothing), size ? size : 1, "rb");
  if (!f_) return Error(ErrorCode::io, "bag '" + name + "': " + std::strerror(errno));
  return open_stream();
}

Status Reader::open_stream() {
  const std::string& path = path_;
  std::fseek(f_, 0, SEEK_END);
  const long end = std::ftell(f_);
  size_ = end > 0 ? static_cast<uint64_t>(end) : 0;
  char magic[kMagicSize] = {};
  std::fseek(f_, 0, SEEK_SET);
  if (size_ < kMagicSize || std::fread(magic, 1, kMagicSize, f_) != kMagicSize ||
      std::memcmp(magic, kMagic, kMagicSize) != 0)
    return Error(ErrorCode::invalid_argument,
                 "bag '" + path + "': not an MCAP file (no MCAP magic at its start)");
  if (read_summary()) {
    rewind();
    return {};
  }
  schemas_.clear();
  channels_.clear();
  channel_index_.clear();
  rewind();
  // One pass for the channels and their message counts (a crash-cut bag has no summary).
  MessageView m;
  while (true) {
    Result<bool> got = next_any(m);
    if (!got) return got.error();
    if (!*got) break;
    const auto it = channel_index_.find(m.channel);
    if (it == channel_index_.end())
      return Error(ErrorCode::invalid_argument, "bag '" + path + "': a message names channel " +
                                                    std::to_string(m.channel) +
                                                    ", which no Channel record declares before it");
    ChannelInfo& c = channels_[it->second];
    if (c.messages++ == 0) c.first_time = m.log_time;
    c.last_time = m.log_time;
  }
  rewind();
  return {};
}

bool Reader::read_summary() {
  // The file ends with the Footer record (opcode, length 20, summary start, summary offset
  // start, summary CRC) and the magic.
  constexpr uint64_t kFooterSize = 1 + 8 + 20;
  if (size_ < 2 * kMagicSize + kFooterSize) return false;
  unsigned char foot[kFooterSize + kMagicSize];
  std::fseek(f_, static_cast<long>(size_ - sizeof foot), SEEK_SET);
  if (std::fread(foot, 1, sizeof foot, f_) != sizeof foot || foot[0] != kFooter ||
      std::memcmp(foot + kFooterSize, kMagic, kMagicSize) != 0)
    return false;
  Fields ff(reinterpret_cast<const char*>(foot + 9), 20);
  const uint64_t start = ff.get<uint64_t>();
  const uint64_t end = size_ - sizeof foot;
  if (start == 0 || start < kMagicSize || start >= end || end - start > kMaxRecord) return false;
  std::string summary(end - start, '\0');
  std::fseek(f_, static_cast<long>(start), SEEK_SET);
  if (std::fread(summary.data(), 1, summary.size(), f_) != summary.size()) return false;
  std::map<uint16_t, uint64_t> counts;
  uint64_t first = 0, last = 0;
  bool stats = false;
  Record r;
  for (size_t i = 0; i < summary.size();) {
    Fields h(summary.data() + i, summary.size() - i);
    r.op = h.get<uint8_t>();
    const uint64_t len = h.get<uint64_t>();
    if (!h.ok() || len > h.left()) return false;
    const std::string body(h.here(), len);
    if (r.op == kSchema || r.op == kChannel) {
      if (!note_schema_or_channel(r, body, start + i)) return false;
    } else if (r.op == kStatistics) {
      Fields st(body.data(), body.size());
      st.get<uint64_t>();  // message count
      st.get<uint16_t>();  // schemas
      st.get<uint32_t>();  // channels
      st.get<uint32_t>();  // attachments
      st.get<uint32_t>();  // metadata
      st.get<uint32_t>();  // chunks
      first = st.get<uint64_t>();
      last = st.get<uint64_t>();
      const uint32_t map_len = st.get<uint32_t>();
      if (!st.ok() || map_len > st.left() || map_len % 10 != 0) return false;
      for (uint32_t k = 0; k < map_len / 10; ++k) {
        const uint16_t id = st.get<uint16_t>();
        counts[id] = st.get<uint64_t>();
      }
      stats = st.ok();
    }
    i += 9 + len;
  }
  if (!stats || channels_.empty()) return false;
  for (ChannelInfo& c : channels_) {
    c.messages = counts.count(c.id) ? counts[c.id] : 0;
    // Statistics give the bag's time span, not each channel's: close enough for a rate.
    c.first_time = first;
    c.last_time = last;
  }
  return true;
}

void Reader::rewind() {
  pos_ = kMagicSize;
  ended_ = false;
  in_chunk_ = false;
  chunk_data_ = nullptr;
  chunk_size_ = chunk_pos_ = 0;
}

Result<bool> Reader::read_record(Record& r) {
  if (ended_) return false;
  if (size_ - pos_ < 9) {  // not even an opcode and a length: the end (or a cut)
    if (size_ != pos_ && truncated_.empty())
      truncated_ = where(pos_) + " cut by the end of the file";
    ended_ = true;
    return false;
  }
  unsigned char head[9];
  std::fseek(f_, static_cast<long>(pos_), SEEK_SET);
  if (std::fread(head, 1, 9, f_) != 9) return Error(ErrorCode::io, where(pos_) + ": read failed");
  r.op = head[0];
  r.offset = pos_;
  uint64_t len = 0;
  for (int k = 0; k < 8; ++k) len |= static_cast<uint64_t>(head[1 + k]) << (8 * k);
  if (r.op == kDataEnd || r.op == kFooter) {  // the summary follows: replay is done
    ended_ = true;
    return false;
  }
  if (len > size_ - pos_ - 9) {
    // What a killed writer leaves. Anything else that lies about its length looks the same,
    // so both end the data and say so.
    if (truncated_.empty())
      truncated_ = where(pos_) + " declares " + std::to_string(len) + " bytes, past the end of " +
                   "the file (" + std::to_string(size_) + " bytes)";
    ended_ = true;
    return false;
  }
  if (len > kMaxRecord)
    return Error(ErrorCode::invalid_argument,
                 where(pos_) + " is " + std::to_string(len) + " bytes, over the 1 GiB limit");
  r.body.resize(len);
  if (len && std::fread(r.body.data(), 1, len, f_) != len)
    return Error(ErrorCode::io, where(pos_) + ": read failed");
  pos_ += 9 + len;
  return true;
}

Status Reader::note_schema_or_channel(const Record& r, const std::string& body, uint64_t offset) {
  Fields f(body.data(), body.size());
  if (r.op == kSchema) {
    const uint16_t id = f.get<uint16_t>();
    std::string name = f.str(), encoding = f.str();
    if (!f.ok()) return Error(ErrorCode::invalid_argument, where(offset) + ": malformed Schema");
    schemas_[id] = {std::move(name), std::move(encoding)};
    return {};
  }
  ChannelInfo c;
  c.id = f.get<uint16_t>();
  const uint16_t schema = f.get<uint16_t>();
  c.topic = f.str();
  c.message_encoding = f.str();
  if (!f.ok()) return Error(ErrorCode::invalid_argument, where(offset) + ": malformed Channel");
  if (schema != 0) {
    const auto it = schemas_.find(schema);
    if (it == schemas_.end())
      return Error(ErrorCode::invalid_argument, where(offset) + ": channel '" + c.topic +
                                                    "' names schema " + std::to_string(schema) +
                                                    ", which no Schema record declares");
    c.schema_name = it->second.first;
    c.schema_encoding = it->second.second;
  }
  if (!channel_index_.count(c.id)) {  // a channel may be repeated (chunks, summary): once
    channel_index_[c.id] = channels_.size();
    channels_.push_back(std::move(c));
  }
  return {};
}

Status Reader::load_chunk(const Record& r) {
  Fields f(r.body.data(), r.body.size());
  f.get<uint64_t>();  // message start time
  f.get<uint64_t>();  // message end time
  const uint64_t uncompressed_size = f.get<uint64_t>();
  const uint32_t crc = f.get<uint32_t>();
  const std::string compression = f.str();
  const uint64_t records_size = f.get<uint64_t>();
  if (!f.ok() || records_size > f.left())
    return Error(ErrorCode::invalid_argument,
                 where(r.offset) + ": malformed Chunk (its records run past the record)");
  if (uncompressed_size > kMaxRecord)
    return Error(ErrorCode::invalid_argument, where(r.offset) + ": chunk of " +
                                                  std::to_string(uncompressed_size) +
                                                  " bytes uncompressed, over the 1 GiB limit");
  const char* src = f.here();
  if (compression.empty()) {
    if (records_size != uncompressed_size)
      return Error(ErrorCode::invalid_argument,
                   where(r.offset) + ": uncompressed chunk whose sizes disagree");
    chunk_data_ = src;  // read in place: record_ stays untouched until the chunk is done
  } else {
    // A zstd frame says its own content size: a chunk that claims another is refused before
    // the buffer is allocated.
    if (compression == "zstd") {
      const unsigned long long declared = ZSTD_getFrameContentSize(src, records_size);
      if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != uncompressed_size)
        return Error(ErrorCode::invalid_argument,
                     where(r.offset) + ": zstd chunk does not decompress to its declared size");
    }
    chunk_.resize(uncompressed_size);
    chunk_data_ = chunk_.data();
  }
  chunk_size_ = uncompressed_size;
  if (compression.empty()) {
    // nothing to decompress
  } else if (compression == "zstd") {
    const size_t n = ZSTD_decompress(chunk_.data(), chunk_.size(), src, records_size);
    if (ZSTD_isError(n) || n != uncompressed_size)
      return Error(ErrorCode::invalid_argument,
                   where(r.offset) + ": zstd chunk does not decompress to its declared size" +
                       (ZSTD_isError(n) ? std::string(" (") + ZSTD_getErrorName(n) + ")" : ""));
  } else if (compression == "lz4") {
    LZ4F_dctx* ctx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
      return Error(ErrorCode::out_of_memory, "lz4: no decompression context");
    std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> guard(
        ctx, LZ4F_freeDecompressionContext);
    size_t out_pos = 0, in_pos = 0, hint = 1;
    while (hint != 0 && in_pos < records_size) {
      size_t out_n = chunk_.size() - out_pos, in_n = records_size - in_pos;
      hint = LZ4F_decompress(ctx, chunk_.data() + out_pos, &out_n, src + in_pos, &in_n, nullptr);
      if (LZ4F_isError(hint))
        return Error(ErrorCode::invalid_argument,
                     where(r.offset) + ": lz4 chunk: " + LZ4F_getErrorName(hint));
      out_pos += out_n;
      in_pos += in_n;
      if (out_n == 0 && in_n == 0) break;  // no progress: the output is full
    }
    if (hint != 0 || out_pos != uncompressed_size)
      return Error(ErrorCode::invalid_argument,
                   where(r.offset) + ": lz4 chunk does not decompress to its declared size");
  } else {
    return Error(ErrorCode::invalid_argument, where(r.offset) + ": chunk compression '" +
                                                  compression +
                                                  "' is not supported (none, zstd, lz4)");
  }
  // A CRC of 0 means "not computed" (the specification).
  if (crc != 0 && crc32(0, chunk_data_, chunk_size_) != crc)
    return Error(ErrorCode::invalid_argument,
                 where(r.offset) + ": chunk CRC mismatch (the bag is corrupt)");
  chunk_pos_ = 0;
  chunk_offset_ = r.offset;
  in_chunk_ = true;
  return {};
}

Result<bool> Reader::next_any(MessageView& out) {
  while (true) {
    if (in_chunk_) {
      if (chunk_pos_ == chunk_size_) {
        in_chunk_ = false;
        continue;
      }
      Fields f(chunk_data_ + chunk_pos_, chunk_size_ - chunk_pos_);
      const uint8_t op = f.get<uint8_t>();
      const uint64_t len = f.get<uint64_t>();
      if (!f.ok() || len > f.left()) {
        in_chunk_ = false;  // the rest of this chunk cannot be framed: go on after it
        return Error(ErrorCode::invalid_argument,
                     where(chunk_offset_) + ": a record inside the chunk at " +
                         std::to_string(chunk_pos_) + " runs past the chunk's end");
      }
      const char* body = f.here();
      chunk_pos_ += 9 + len;
      if (op == kSchema || op == kChannel) {
        Record inner;  // record_'s body may hold this very chunk: leave it alone
        inner.op = op;
        if (Status s = note_schema_or_channel(inner, std::string(body, len), chunk_offset_); !s)
          return s.error();
      } else if (op == kMessage) {
        Fields m(body, len);
        out.channel = m.get<uint16_t>();
        m.get<uint32_t>();  // sequence
        out.log_time = m.get<uint64_t>();
        out.publish_time = m.get<uint64_t>();
        if (!m.ok())
          return Error(ErrorCode::invalid_argument, where(chunk_offset_) + ": malformed Message");
        out.data = reinterpret_cast<const uint8_t*>(m.here());
        out.size = m.left();
        return true;
      }
      continue;
    }
    Result<bool> got = read_record(record_);
    if (!got) return got.error();
    if (!*got) return false;
    switch (record_.op) {
      case kSchema:
      case kChannel:
        if (Status s = note_schema_or_channel(record_, record_.body, record_.offset); !s)
          return s.error();
        break;
      case kChunk:
        if (Status s = load_chunk(record_); !s) return s.error();
        break;
      case kMessage: {
        Fields m(record_.body.data(), record_.body.size());
        out.channel = m.get<uint16_t>();
        m.get<uint32_t>();
        out.log_time = m.get<uint64_t>();
        out.publish_time = m.get<uint64_t>();
        if (!m.ok())
          return Error(ErrorCode::invalid_argument, where(record_.offset) + ": malformed Message");
        out.data = reinterpret_cast<const uint8_t*>(m.here());
        out.size = m.left();
        return true;
      }
      default:
        break;  // Header, indexes, attachments, metadata: nothing replay needs
    }
  }
}

Result<bool> Reader::next(uint16_t channel, MessageView& out) {
  while (true) {
    Result<bool> got = next_any(out);
    if (!got || !*got) return got;
    if (out.channel == channel) return true;
  }
}

}  // namespace percept::mcap
