// MCAP records as the specification lays them out (https://mcap.dev/spec): little-endian
// integers, strings and byte arrays prefixed by a uint32 length, maps and arrays by their uint32
// byte length; each record is an opcode byte and a uint64 content length.
#include "mcap_writer.hpp"

#include "mcap_records.hpp"

#include <fcntl.h>
#include <lz4frame.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

namespace percept::mcap {

namespace {

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i)
    b[i] = static_cast<char>(static_cast<uint64_t>(v) >> (8 * i));
  out.append(b, sizeof(T));
}

void put_string(std::string& out, const std::string& s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// Starts a record: the opcode and a length patched by end_record().
size_t begin_record(std::string& out, Op op) {
  out.push_back(static_cast<char>(op));
  put<uint64_t>(out, 0);
  return out.size();
}

void end_record(std::string& out, size_t content_start) {
  const uint64_t len = out.size() - content_start;
  for (size_t i = 0; i < 8; ++i) out[content_start - 8 + i] = static_cast<char>(len >> (8 * i));
}

// A uint32 byte-length prefix for a map or array, patched by end_prefix().
size_t begin_prefix(std::string& out) {
  put<uint32_t>(out, 0);
  return out.size();
}

void end_prefix(std::string& out, size_t start) {
  const uint32_t len = static_cast<uint32_t>(out.size() - start);
  for (size_t i = 0; i < 4; ++i) out[start - 4 + i] = static_cast<char>(len >> (8 * i));
}

Status io_error(const std::string& what) {
  return Error(ErrorCode::io, what + ": " + std::strerror(errno));
}

}  // namespace

uint32_t crc32(uint32_t crc, const void* data, size_t size) {
  // zlib's crc32 is the MCAP one (polynomial 0xEDB88320, reflected, inverted in and out).
  const auto* p = static_cast<const Bytef*>(data);
  while (size > 0) {
    const auto n = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = static_cast<uint32_t>(::crc32(crc, p, n));
    p += n;
    size -= n;
  }
  return crc;
}

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::zstd:
      return "zstd";
    case Compression::lz4:
      return "lz4";
    case Compression::none:
      break;
  }
  return "";
}

Writer::~Writer() {
  if (fd_ >= 0) (void)close();  // the destructor cannot report: close() explicitly to see errors
}

Status Writer::open(const std::string& path, const WriterOptions& options) {
  path_ = path;
  options_ = options;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error("bag: cannot create " + path);
  return {};
}

uint16_t Writer::add_schema(const std::string& name, const std::string& encoding,
                            const std::string& data) {
  const auto id = static_cast<uint16_t>(schemas_.size() + 1);
  schemas_.push_back({id, name, encoding, data});
  return id;
}

uint16_t Writer::add_channel(uint16_t schema_id, const std::string& topic,
                             const std::string& encoding,
                             const std::map<std::string, std::string>& metadata) {
  const auto id = static_cast<uint16_t>(channels_.size() + 1);
  channels_.push_back({id, schema_id, topic, encoding, metadata});
  return id;
}

void Writer::schema_record(std::string& out, const Schema& s) const {
  const size_t r = begin_record(out, kSchema);
  put<uint16_t>(out, s.id);
  put_string(out, s.name);
  put_string(out, s.encoding);
  put_string(out, s.data);  // bytes: the same uint32 length prefix
  end_record(out, r);
}

void Writer::channel_record(std::string& out, const Channel& c) const {
  const size_t r = begin_record(out, kChannel);
  put<uint16_t>(out, c.id);
  put<uint16_t>(out, c.schema_id);
  put_string(out, c.topic);
  put_string(out, c.encoding);
  const size_t m = begin_prefix(out);
  for (const auto& [k, v] : c.metadata) {  // std::map: keys sorted, as the spec's maps
    put_string(out, k);
    put_string(out, v);
  }
  end_prefix(out, m);
  end_record(out, r);
}

// The magic, Header, and every Schema and Channel: a streaming reader knows all channels before
// the first chunk.
Status Writer::write_preamble() {
  std::string out(kMagic, kMagicSize);
  const size_t r = begin_record(out, kHeader);
  put_string(out, options_.profile);
  put_string(out, options_.library);
  end_record(out, r);
  for (const Schema& s : schemas_) schema_record(out, s);
  for (const Channel& c : channels_) channel_record(out, c);
  if (Status st = append_to_file(out); !st.ok()) return st;
  preamble_written_ = true;
  return {};
}

Status Writer::append_to_file(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      const Status err = io_error("bag: cannot write " + path_);
      // Cut the partial record off again, so the file stays readable up to its last whole chunk.
      if (done > 0) {
        const int saved = errno;
        if (::ftruncate(fd_, static_cast<off_t>(file_size_)) == 0)
          (void)::lseek(fd_, static_cast<off_t>(file_size_), SEEK_SET);  // best effort
        errno = saved;
      }
      return err;
    }
    done += static_cast<size_t>(n);
  }
  data_crc_ = crc32(data_crc_, bytes.data(), bytes.size());
  file_size_ += bytes.size();
  return {};
}

Status Writer::write(uint16_t channel, uint64_t log_time, uint64_t publish_time,
                     const uint8_t* header, size_t header_size, const uint8_t* data, size_t size) {
  if (fd_ < 0) return Error(ErrorCode::io, "bag: " + path_ + " is not open");
  Status st;
  // A chunk old enough closes before this message joins (the time rule, in log time, so a
  // recording's chunks cover at most chunk_ns each).
  if (chunk_messages_ > 0 && log_time > chunk_start_ &&
      static_cast<int64_t>(log_time - chunk_start_) >= options_.chunk_ns)
    st = flush();
  if (chunk_messages_ == 0) {
    chunk_start_ = log_time;
    chunk_end_ = log_time;
  }
  chunk_start_ = std::min(chunk_start_, log_time);
  chunk_end_ = std::max(chunk_end_, log_time);
  chunk_index_[channel].emplace_back(log_time, chunk_.size());
  const size_t r = begin_record(chunk_, kMessage);
  put<uint16_t>(chunk_, channel);
  put<uint32_t>(chunk_, sequences_[channel]++);
  put<uint64_t>(chunk_, log_time);
  put<uint64_t>(chunk_, publish_time);
  chunk_.append(reinterpret_cast<const char*>(header), header_size);
  chunk_.append(reinterpret_cast<const char*>(data), size);
  end_record(chunk_, r);
  ++chunk_messages_;
  if (chunk_.size() >= options_.chunk_bytes) {
    Status fl = flush();
    if (st.ok()) st = std::move(fl);
  }
  return st;
}

Status Writer::flush() {
  if (fd_ < 0 || chunk_messages_ == 0) return {};
  // A chunk that cannot be written is dropped whole; its messages are counted lost.
  auto drop = [this](const Error& e) -> Status {
    const uint64_t lost = chunk_messages_;
    messages_lost_ += lost;
    chunk_.clear();
    chunk_index_.clear();
    chunk_messages_ = 0;
    return Error(e.code(), e.message() + " (" + std::to_string(lost) + " messages lost)");
  };
  if (!preamble_written_)
    if (Status st = write_preamble(); !st.ok()) return drop(st.error());
  const uint32_t crc = crc32(0, chunk_.data(), chunk_.size());
  const std::string* records = &chunk_;
  if (options_.compression == Compression::zstd) {
    compressed_.resize(ZSTD_compressBound(chunk_.size()));
    const size_t n = ZSTD_compress(compressed_.data(), compressed_.size(), chunk_.data(),
                                   chunk_.size(), 1);  // fastest: recording must keep up
    if (ZSTD_isError(n))
      return drop(Error(ErrorCode::io, std::string("bag: zstd: ") + ZSTD_getErrorName(n)));
    compressed_.resize(n);
    records = &compressed_;
  } else if (options_.compression == Compression::lz4) {
    compressed_.resize(LZ4F_compressFrameBound(chunk_.size(), nullptr));
    const size_t n = LZ4F_compressFrame(compressed_.data(), compressed_.size(), chunk_.data(),
                                        chunk_.size(), nullptr);
    if (LZ4F_isError(n))
      return drop(Error(ErrorCode::io, std::string("bag: lz4: ") + LZ4F_getErrorName(n)));
    compressed_.resize(n);
    records = &compressed_;
  }
  ChunkIndex ci{};
  ci.start_time = chunk_start_;
  ci.end_time = chunk_end_;
  ci.offset = file_size_;
  ci.compressed = records->size();
  ci.uncompressed = chunk_.size();
  out_.clear();
  const size_t r = begin_record(out_, kChunk);
  put<uint64_t>(out_, chunk_start_);
  put<uint64_t>(out_, chunk_end_);
  put<uint64_t>(out_, chunk_.size());
  put<uint32_t>(out_, crc);
  put_string(out_, compression_name(options_.compression));
  put<uint64_t>(out_, records->size());
  out_ += *records;
  end_record(out_, r);
  ci.length = out_.size();
  for (const auto& [channel, entries] : chunk_index_) {
    ci.index_offsets[channel] = file_size_ + out_.size();
    const size_t m = begin_record(out_, kMessageIndex);
    put<uint16_t>(out_, channel);
    const size_t a = begin_prefix(out_);
    for (const auto& [time, offset] : entries) {
      put<uint64_t>(out_, time);
      put<uint64_t>(out_, offset);
    }
    end_prefix(out_, a);
    end_record(out_, m);
  }
  ci.index_length = out_.size() - ci.length;
  if (Status st = append_to_file(out_); !st.ok()) return drop(st.error());
  chunks_.push_back(std::move(ci));
  messages_written_ += chunk_messages_;
  for (const auto& [channel, entries] : chunk_index_) channel_counts_[channel] += entries.size();
  first_time_ = std::min(first_time_, chunk_start_);
  last_time_ = std::max(last_time_, chunk_end_);
  chunk_.clear();
  chunk_index_.clear();
  chunk_messages_ = 0;
  return {};
}

Status Writer::close() {
  if (fd_ < 0) return {};
  Status st = flush();
  if (!preamble_written_) {
    Status pre = write_preamble();
    if (st.ok()) st = std::move(pre);
  }
  if (preamble_written_) {
    std::string out;
    size_t r = begin_record(out, kDataEnd);
    put<uint32_t>(out, data_crc_);  // everything before this record
    end_record(out, r);
    // The summary: each group of records, and where each group starts.
    const uint64_t summary_start = file_size_ + out.size();
    struct Group {
      Op op;
      uint64_t start, length;
    };
    std::vector<Group> groups;
    auto group = [&](Op op, size_t from) {
      if (out.size() > from) groups.push_back({op, file_size_ + from, out.size() - from});
    };
    size_t from = out.size();
    for (const Schema& s : schemas_) schema_record(out, s);
    group(kSchema, from);
    from = out.size();
    for (const Channel& c : channels_) channel_record(out, c);
    group(kChannel, from);
    from = out.size();
    r = begin_record(out, kStatistics);
    put<uint64_t>(out, messages_written_);
    put<uint16_t>(out, static_cast<uint16_t>(schemas_.size()));
    put<uint32_t>(out, static_cast<uint32_t>(channels_.size()));
    put<uint32_t>(out, 0);  // attachments
    put<uint32_t>(out, 0);  // metadata
    put<uint32_t>(out, static_cast<uint32_t>(chunks_.size()));
    put<uint64_t>(out, messages_written_ ? first_time_ : 0);
    put<uint64_t>(out, messages_written_ ? last_time_ : 0);
    size_t m = begin_prefix(out);
    for (const auto& [channel, count] : channel_counts_) {
      put<uint16_t>(out, channel);
      put<uint64_t>(out, count);
    }
    end_prefix(out, m);
    end_record(out, r);
    group(kStatistics, from);
    from = out.size();
    for (const ChunkIndex& ci : chunks_) {
      r = begin_record(out, kChunkIndex);
      put<uint64_t>(out, ci.start_time);
      put<uint64_t>(out, ci.end_time);
      put<uint64_t>(out, ci.offset);
      put<uint64_t>(out, ci.length);
      m = begin_prefix(out);
      for (const auto& [channel, offset] : ci.index_offsets) {
        put<uint16_t>(out, channel);
        put<uint64_t>(out, offset);
      }
      end_prefix(out, m);
      put<uint64_t>(out, ci.index_length);
      put_string(out, compression_name(options_.compression));
      put<uint64_t>(out, ci.compressed);
      put<uint64_t>(out, ci.uncompressed);
      end_record(out, r);
    }
    group(kChunkIndex, from);
    const uint64_t offsets_start = file_size_ + out.size();
    for (const Group& g : groups) {
      r = begin_record(out, kSummaryOffset);
      put<uint8_t>(out, g.op);
      put<uint64_t>(out, g.start);
      put<uint64_t>(out, g.length);
      end_record(out, r);
    }
    // The footer's length is written before the CRC that covers it: summary_start,
    // summary_offset_start and the CRC, 20 bytes.
    out.push_back(static_cast<char>(kFooter));
    put<uint64_t>(out, 20);
    put<uint64_t>(out, summary_start);
    put<uint64_t>(out, offsets_start);
    // The summary CRC covers the summary through the footer's summary_offset_start field.
    const size_t summary_from = static_cast<size_t>(summary_start - file_size_);
    put<uint32_t>(out, crc32(0, out.data() + summary_from, out.size() - summary_from));
    out.append(kMagic, kMagicSize);
    Status tail = append_to_file(out);
    if (st.ok()) st = std::move(tail);
  }
  if (::close(fd_) != 0 && st.ok()) st = io_error("bag: cannot close " + path_);
  fd_ = -1;
  return st;
}

}  // namespace percept::mcap
