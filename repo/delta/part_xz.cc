// File: repo/delta/part_xz.cc
#include "repo/delta/part_xz.h"

#include <lzma.h>

#include <algorithm>
#include <string>
#include <thread>

#include "repo/delta/limits.h"

namespace larch::delta {

namespace {

Status Bad(const std::string& msg) { return Status::Corruption("delta part: xz: " + msg); }

constexpr size_t kInChunk = 64 << 10;
// liblzma's state besides the dictionary (LZMA2 ~30 KiB, BCJ, stream and
// index bookkeeping) is far below this.
constexpr uint64_t kXzStateSlack = 1u << 20;

// A dictionary larger than the part is wasted memory on both sides.
uint32_t DictFor(size_t raw_size, uint32_t max_dict) {
  return static_cast<uint32_t>(
      std::clamp<uint64_t>(raw_size, LZMA_DICT_SIZE_MIN, std::min(max_dict, kMaxXzDict)));
}

std::string Mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

// What lzma_code's return value means for a part (Ok: progress or the end).
Status Verdict(lzma_ret rc, const lzma_stream& strm) {
  switch (rc) {
    case LZMA_OK:
    case LZMA_STREAM_END: return Status::Ok();
    case LZMA_MEMLIMIT_ERROR:
      return Bad("the stream needs " + Mib(lzma_memusage(&strm)) + " to decode, above the " +
                 Mib(XzPartMemLimit()) + " limit");
    case LZMA_FORMAT_ERROR: return Bad("not an xz stream");
    case LZMA_OPTIONS_ERROR: return Bad("unsupported stream options");
    case LZMA_DATA_ERROR: return Bad("corrupt data");
    case LZMA_BUF_ERROR: return Bad("truncated: the stream is incomplete");
    case LZMA_MEM_ERROR: return Status::IoError("part decompression: xz: out of memory");
    default: return Bad("decoder error " + std::to_string(static_cast<int>(rc)));
  }
}

}  // namespace

uint64_t XzPartMemLimit() { return kMaxXzDict + kXzStateSlack; }

namespace {

// The literal coder's settings a part is tried with: preset 9e's own
// (lc=3, pb=2: literals predicted by the previous byte's top bits, 4-byte
// positions) and xz's setting for text (lc=4, pb=0: the whole previous
// byte, no alignment). Neither wins everywhere: on corpus v2 -> v3 the
// text setting took 21 kB off the two parts of text and 19 kB off one part
// of x86 code, and added 11 kB to the other, so each part gets the smaller.
struct LiteralSettings {
  uint32_t lc, pb;
};
constexpr LiteralSettings kLiteralSettings[] = {{3, 2}, {4, 0}};

Result<Bytes> EncodeXz(ByteSpan raw, PartContent content, uint32_t dict, LiteralSettings literals) {
  lzma_options_lzma lzma2;
  if (lzma_lzma_preset(&lzma2, 9 | LZMA_PRESET_EXTREME))
    return Status::IoError("part compression: xz: no preset");
  lzma2.dict_size = dict;
  lzma2.lc = literals.lc;
  lzma2.lp = 0;
  lzma2.pb = literals.pb;
  lzma_filter filters[3];
  size_t n = 0;
  if (content == PartContent::kX86Code) filters[n++] = {LZMA_FILTER_X86, nullptr};
  if (content == PartContent::kArm64Code) filters[n++] = {LZMA_FILTER_ARM64, nullptr};
  filters[n++] = {LZMA_FILTER_LZMA2, &lzma2};
  filters[n] = {LZMA_VLI_UNKNOWN, nullptr};
  Bytes out(lzma_stream_buffer_bound(raw.size()));
  size_t pos = 0;
  lzma_ret rc = lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, nullptr, raw.data(),
                                          raw.size(), out.data(), &pos, out.size());
  if (rc != LZMA_OK)
    return Status::IoError("part compression: xz: error " + std::to_string(static_cast<int>(rc)));
  out.resize(pos);
  return out;
}

}  // namespace

Result<Bytes> CompressPartXz(ByteSpan raw, PartContent content, uint32_t max_dict) {
  const uint32_t dict = DictFor(raw.size(), max_dict);
  // Both settings at once: a big part's xz run is most of a delta's
  // generation time, and the publisher has cores to spare by then.
  Result<Bytes> text = Status::IoError("not run");
  std::thread other([&] { text = EncodeXz(raw, content, dict, kLiteralSettings[1]); });
  Result<Bytes> plain = EncodeXz(raw, content, dict, kLiteralSettings[0]);
  other.join();
  LARCH_RETURN_IF_ERROR(plain.status());
  LARCH_RETURN_IF_ERROR(text.status());
  return text->size() < plain->size() ? std::move(text).value() : std::move(plain).value();
}

namespace {

struct State {
  ByteSource* src = nullptr;
  lzma_stream strm = LZMA_STREAM_INIT;
  Bytes in;
  uint64_t expected = 0;
  uint64_t produced = 0;
  bool input_done = false;
  bool stream_done = false;
  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { lzma_end(&strm); }
};

class XzPartDecoder : public ByteSource {
 public:
  Status Init(ByteSource& compressed, uint64_t expected_size);
  Result<size_t> Read(MutableByteSpan buf) override;

 private:
  Status Step(bool& produced_any);
  Status AtEnd();
  State m_;
};

Status XzPartDecoder::Init(ByteSource& compressed, uint64_t expected_size) {
  State& m = m_;
  m.src = &compressed;
  m.expected = expected_size;
  // One stream only (no LZMA_CONCATENATED): padding or a second stream is
  // trailing data. TELL_ANY_CHECK lets us insist on the CRC-32 we write;
  // IGNORE_CHECK skips computing it: the part's SHA-256 was checked before
  // a byte of it was decompressed (Applier::Receive), and the CRC of the
  // decompressed bytes cost 3% of applying a big binary's patch.
  lzma_ret rc = lzma_stream_decoder(&m.strm, XzPartMemLimit(), LZMA_TELL_ANY_CHECK | LZMA_IGNORE_CHECK);
  if (rc != LZMA_OK) return Status::IoError("part decompression: xz: no decoder");
  m.in.resize(kInChunk);
  return Status::Ok();
}

// One lzma_code call, refilling the input first when it ran dry.
Status XzPartDecoder::Step(bool& produced_any) {
  State& m = m_;
  if (m.strm.avail_in == 0 && !m.input_done) {
    LARCH_ASSIGN_OR_RETURN(size_t n, m.src->Read(m.in));
    m.strm.next_in = m.in.data();
    m.strm.avail_in = n;
    m.input_done = n == 0;
  }
  const size_t room = m.strm.avail_out;
  lzma_ret rc = lzma_code(&m.strm, m.input_done ? LZMA_FINISH : LZMA_RUN);
  produced_any = m.strm.avail_out != room;
  if (rc == LZMA_GET_CHECK) {
    if (lzma_get_check(&m.strm) != LZMA_CHECK_CRC32) return Bad("the stream's check is not CRC-32");
    return Status::Ok();
  }
  if (rc == LZMA_STREAM_END) m.stream_done = true;
  return Verdict(rc, m.strm);
}

// End of the stream: nothing may follow it, and the size must be exact.
Status XzPartDecoder::AtEnd() {
  State& m = m_;
  uint8_t extra;
  size_t n = 0;
  if (!m.input_done) {
    LARCH_ASSIGN_OR_RETURN(n, m.src->Read(MutableByteSpan(&extra, 1)));
  }
  if (m.strm.avail_in != 0 || n != 0) return Bad("trailing bytes after the stream");
  if (m.produced != m.expected)
    return Bad("decompresses to " + std::to_string(m.produced) + " bytes, the superblock says " +
               std::to_string(m.expected));
  return Status::Ok();
}

Result<size_t> XzPartDecoder::Read(MutableByteSpan buf) {
  State& m = m_;
  if (buf.empty() || m.stream_done) return size_t{0};
  m.strm.next_out = buf.data();
  m.strm.avail_out = buf.size();
  bool produced_any = false;
  while (!produced_any && !m.stream_done) LARCH_RETURN_IF_ERROR(Step(produced_any));
  const size_t got = buf.size() - m.strm.avail_out;
  m.produced += got;
  if (m.produced > m.expected)
    return Bad("decompresses to more than the " + std::to_string(m.expected) +
               " bytes the superblock declares");
  if (m.stream_done) LARCH_RETURN_IF_ERROR(AtEnd());
  return got;
}

}  // namespace

Result<std::unique_ptr<ByteSource>> OpenXzPart(ByteSource& compressed, uint64_t expected_size) {
  auto d = std::make_unique<XzPartDecoder>();
  LARCH_RETURN_IF_ERROR(d->Init(compressed, expected_size));
  return std::unique_ptr<ByteSource>(std::move(d));
}

}  // namespace larch::delta
